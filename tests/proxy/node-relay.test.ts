/**
 * Real HTTP through the Node relay to upstream servers on loopback. The relay maps
 * allowed provider hosts to those servers only through its explicit test option.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APP, raw, startRelay, startUpstream, type Running } from './helpers.ts';
import { createNodeProxy } from '../../workers/proxy/node.ts';
import { createLocalServer } from '../../workers/local/server.ts';
import { localMounts } from '../../workers/local/mounts.ts';

const TOKEN = 'hcloud-secret-token-5f1c9e';
const QUERY_SECRET = 'query-secret-77ab';
const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';

let upstream: Awaited<ReturnType<typeof startUpstream>>;
let relay: Awaited<ReturnType<typeof startRelay>>;
let behaviour: (url: string) => {
	status: number;
	headers?: Record<string, string | string[]>;
	body?: string;
	delayMs?: number;
};

beforeAll(async () => {
	upstream = await startUpstream(async (req, res) => {
		const b = behaviour(req.url);
		if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs));
		res.writeHead(b.status, b.headers ?? { 'content-type': 'application/json' });
		res.end(b.body ?? JSON.stringify({ ok: true, url: req.url }));
	});
	const loopbackUpstreams = {
		'api.hetzner.cloud': upstream.url,
		'api.cloudflare.com': upstream.url,
		'github.com': upstream.url
	};
	relay = await startRelay({
		allowedOrigins: [APP],
		rateLimit: false,
		limits: { maxRequestBytes: 1024, maxResponseBytes: 4096, timeoutMs: 1500 },
		test: { loopbackUpstreams }
	});
});
afterAll(async () => {
	await relay.close();
	await upstream.close();
});
afterEach(() => {
	upstream.requests.length = 0;
	relay.logs.length = 0;
	behaviour = () => ({ status: 200 });
});
behaviour = () => ({ status: 200 });

const json = { origin: APP, 'content-type': 'application/json' };

describe('forwarding', () => {
	it('passes an allowed request on with only the listed headers, and the answer back without cookies', async () => {
		behaviour = () => ({
			status: 201,
			headers: {
				'content-type': 'application/json',
				'set-cookie': ['session=abc; HttpOnly', 'other=1'],
				'ratelimit-remaining': '3599',
				'ratelimit-reset': '1735689600',
				link: '<https://api.hetzner.cloud/v1/servers?page=2>; rel="next"',
				'x-internal-debug': 'secret-ish',
				'access-control-allow-credentials': 'true',
				'access-control-allow-origin': '*'
			},
			body: '{"server":{"id":1}}'
		});
		const answer = await raw(
			relay.port,
			'POST',
			'/api.hetzner.cloud/v1/servers?name=web',
			{
				...json,
				authorization: `Bearer ${TOKEN}`,
				cookie: 'tracker=1',
				referer: `${APP}/setup`,
				'sec-fetch-mode': 'cors',
				'x-forwarded-for': '10.0.0.9',
				'accept-encoding': 'gzip'
			},
			'{"name":"web"}'
		);
		expect(answer.status).toBe(201);
		expect(answer.body).toBe('{"server":{"id":1}}');
		expect(answer.headers['set-cookie']).toBeUndefined();
		expect(answer.headers['x-internal-debug']).toBeUndefined();
		expect(answer.headers['access-control-allow-credentials']).toBeUndefined();
		expect(answer.headers['access-control-allow-origin']).toBe(APP);
		expect(answer.headers['access-control-expose-headers']).toMatch(/ratelimit-remaining/);
		expect(answer.headers['ratelimit-remaining']).toBe('3599');
		expect(answer.headers.link).toMatch(/rel="next"/);
		expect(answer.headers.vary).toMatch(/Origin/);

		expect(upstream.requests).toHaveLength(1);
		const seen = upstream.requests[0]!;
		expect(seen.method).toBe('POST');
		expect(seen.url).toBe('/v1/servers?name=web');
		expect(seen.body.toString()).toBe('{"name":"web"}');
		expect(seen.headers.host).toBe('api.hetzner.cloud');
		expect(seen.headers.authorization).toBe(`Bearer ${TOKEN}`);
		expect(seen.headers['content-type']).toBe('application/json');
		for (const gone of ['cookie', 'origin', 'referer', 'sec-fetch-mode', 'x-forwarded-for', 'accept-encoding'])
			expect(seen.headers[gone], gone).toBeUndefined();
	});

	it('speaks git smart-HTTP: discovery, then a pack exchange with the right content type', async () => {
		behaviour = (url) =>
			url.endsWith('/info/refs?service=git-upload-pack')
				? {
						status: 200,
						headers: { 'content-type': 'application/x-git-upload-pack-advertisement' },
						body: '001e# service=git-upload-pack\n'
					}
				: { status: 200, headers: { 'content-type': 'application/x-git-upload-pack-result' }, body: '0008NAK\n' };
		const refs = await raw(relay.port, 'GET', '/github.com/someone/server.git/info/refs?service=git-upload-pack', {
			origin: APP
		});
		expect(refs.status).toBe(200);
		expect(refs.headers['content-type']).toBe('application/x-git-upload-pack-advertisement');
		const pack = await raw(
			relay.port,
			'POST',
			'/github.com/someone/server.git/git-upload-pack',
			{ origin: APP, 'content-type': 'application/x-git-upload-pack-request', 'git-protocol': 'version=2' },
			'0032want 0000000000000000000000000000000000000000\n00000009done\n'
		);
		expect(pack.status).toBe(200);
		expect(pack.body).toBe('0008NAK\n');
		expect(upstream.requests.map((r) => r.url)).toEqual([
			'/someone/server.git/info/refs?service=git-upload-pack',
			'/someone/server.git/git-upload-pack'
		]);
		expect(upstream.requests[1]!.headers['git-protocol']).toBe('version=2');

		const wrongType = await raw(
			relay.port,
			'POST',
			'/github.com/someone/server.git/git-upload-pack',
			{ origin: APP, 'content-type': 'text/plain' },
			'x'
		);
		expect(wrongType.status).toBe(403);
		expect(upstream.requests).toHaveLength(2);
	});

	it('answers preflights for allowed requests only, never with credentials', async () => {
		const ok = await raw(relay.port, 'OPTIONS', `/api.cloudflare.com/client/v4/zones/${ZONE}/dns_records`, {
			origin: APP,
			'access-control-request-method': 'POST',
			'access-control-request-headers': 'authorization, content-type'
		});
		expect(ok.status).toBe(204);
		expect(ok.headers['access-control-allow-origin']).toBe(APP);
		expect(ok.headers['access-control-allow-methods']).toBe('POST');
		expect(ok.headers['access-control-allow-headers']).toMatch(/authorization/);
		expect(ok.headers['access-control-allow-credentials']).toBeUndefined();

		const badMethod = await raw(relay.port, 'OPTIONS', `/api.cloudflare.com/client/v4/zones/${ZONE}`, {
			origin: APP,
			'access-control-request-method': 'DELETE'
		});
		expect(badMethod.status).toBe(403);
		const badHeader = await raw(relay.port, 'OPTIONS', '/api.hetzner.cloud/v1/servers', {
			origin: APP,
			'access-control-request-method': 'GET',
			'access-control-request-headers': 'authorization, x-auth-key'
		});
		expect(badHeader.status).toBe(403);
		expect(JSON.parse(badHeader.body).error).toMatch(/x-auth-key/);
		const badHost = await raw(relay.port, 'OPTIONS', '/evil.example/x', {
			origin: APP,
			'access-control-request-method': 'GET'
		});
		expect(badHost.status).toBe(403);
		const bare = await raw(relay.port, 'OPTIONS', '/api.hetzner.cloud/v1/servers', { origin: APP });
		expect(bare.status).toBe(403);
		expect(upstream.requests).toHaveLength(0);
	});
});

describe('origins', () => {
	it.each([
		['another site', { origin: 'https://evil.example' }],
		['a look-alike origin', { origin: 'https://app.nassella.example.evil.example' }],
		['the null origin', { origin: 'null' }],
		['no origin at all', {} as Record<string, string>]
	])('refuses %s, without CORS headers', async (_name, headers) => {
		const answer = await raw(relay.port, 'GET', '/api.hetzner.cloud/v1/servers', headers);
		expect(answer.status).toBe(403);
		expect(answer.headers['access-control-allow-origin']).toBeUndefined();
		expect(upstream.requests).toHaveLength(0);
	});
});

describe('refused before anything is sent', () => {
	it.each([
		['another host', 'GET', '/evil.example/v1/servers'],
		['a host that sends CORS itself', 'GET', '/api.digitalocean.com/v2/droplets'],
		['an encoded dot in the host', 'GET', '/api%2ehetzner.cloud/v1/servers'],
		['an encoded slash in the host', 'GET', '/api.hetzner.cloud%2f@evil.example/v1/servers'],
		['user info', 'GET', '/api.hetzner.cloud@evil.example/v1/servers'],
		['user info before the host', 'GET', '/user:pass@api.hetzner.cloud/v1/servers'],
		['a backslash', 'GET', '/api.hetzner.cloud\\@evil.example/v1/servers'],
		['a backslash in the path', 'GET', '/api.hetzner.cloud/v1\\..\\..\\x'],
		['a double slash', 'GET', '//api.hetzner.cloud/v1/servers'],
		['a double slash in the path', 'GET', '/api.hetzner.cloud//v1/servers'],
		['an uppercase host', 'GET', '/API.Hetzner.Cloud/v1/servers'],
		['a trailing dot', 'GET', '/api.hetzner.cloud./v1/servers'],
		['an IDN host', 'GET', '/api.h%C3%A9tzner.cloud/v1/servers'],
		['a punycode look-alike', 'GET', '/xn--pi-hetzner-cloud-xyz.example/v1/servers'],
		['an IPv4 literal', 'GET', '/127.0.0.1/v1/servers'],
		['a short IPv4 literal', 'GET', '/127.1/v1/servers'],
		['the metadata address', 'GET', '/169.254.169.254/latest/meta-data/'],
		['an IPv6 literal', 'GET', '/[::1]/v1/servers'],
		['a port', 'GET', '/api.hetzner.cloud:8443/v1/servers'],
		['dot segments', 'GET', '/api.hetzner.cloud/v1/servers/../../../evil'],
		['encoded dot segments', 'GET', '/api.hetzner.cloud/v1/servers/%2E%2E/certificates'],
		['a path off the list', 'GET', '/api.hetzner.cloud/v1/certificates'],
		['a method off the list', 'PATCH', '/api.hetzner.cloud/v1/servers/1'],
		['TRACE', 'TRACE', '/api.hetzner.cloud/v1/servers'],
		['DELETE on a zone', 'DELETE', `/api.cloudflare.com/client/v4/zones/${ZONE}`],
		['a git service off the list', 'GET', '/github.com/a/b.git/info/refs?service=git-upload-archive']
	])('%s: %s %s', async (_name, method, target) => {
		const answer = await raw(relay.port, method, target, { origin: APP });
		expect(answer.status).toBe(403);
		expect(answer.headers['content-type']).toMatch(/json/);
		expect(JSON.parse(answer.body).error).toEqual(expect.any(String));
		expect(upstream.requests).toHaveLength(0);
	});

	it.each(['x-auth-key', 'x-auth-email', 'proxy-authorization', 'x-http-method-override', 'x-original-url'])(
		'a request header off the list: %s',
		async (header) => {
			const answer = await raw(relay.port, 'GET', '/api.hetzner.cloud/v1/servers', { origin: APP, [header]: 'x' });
			expect(answer.status).toBe(403);
			expect(JSON.parse(answer.body).error).toMatch(header);
			expect(upstream.requests).toHaveLength(0);
		}
	);

	it('an oversized body, announced or streamed', async () => {
		const big = 'x'.repeat(2000);
		const announced = await raw(relay.port, 'POST', '/api.hetzner.cloud/v1/servers', json, big);
		expect(announced.status).toBe(413);
		const streamed = await new Promise<number>((resolve, reject) => {
			import('node:http').then(({ request }) => {
				const req = request(
					{
						host: '127.0.0.1',
						port: relay.port,
						method: 'POST',
						path: '/api.hetzner.cloud/v1/servers',
						headers: { ...json, 'transfer-encoding': 'chunked' }
					},
					(res) => {
						res.resume();
						resolve(res.statusCode ?? 0);
					}
				);
				req.on('error', reject);
				for (let i = 0; i < 4; i++) req.write('y'.repeat(500));
				req.end();
			}, reject);
		});
		expect(streamed).toBe(413);
		expect(upstream.requests).toHaveLength(0);
	});
});

describe('upstream answers', () => {
	it('refuses a redirect to another host, and to an allowed host’s unlisted path', async () => {
		behaviour = () => ({ status: 302, headers: { location: 'https://evil.example/steal' } });
		const off = await raw(relay.port, 'GET', '/api.hetzner.cloud/v1/servers', { origin: APP });
		expect(off.status).toBe(403);
		expect(off.headers.location).toBeUndefined();
		expect(JSON.parse(off.body).error).toMatch(/redirected/);

		behaviour = () => ({ status: 301, headers: { location: 'http://api.hetzner.cloud/v1/servers' } });
		expect((await raw(relay.port, 'GET', '/api.hetzner.cloud/v1/servers', { origin: APP })).status).toBe(403);

		behaviour = () => ({ status: 302, headers: { location: '/v1/certificates' } });
		expect((await raw(relay.port, 'GET', '/api.hetzner.cloud/v1/servers', { origin: APP })).status).toBe(403);

		behaviour = () => ({ status: 307, headers: { location: 'https://127.0.0.1/v1/servers' } });
		expect((await raw(relay.port, 'GET', '/api.hetzner.cloud/v1/servers', { origin: APP })).status).toBe(403);
		// The relay asked once each time and never followed.
		expect(upstream.requests).toHaveLength(4);
	});

	it('passes a redirect within the list on, rewritten to go through the relay', async () => {
		behaviour = () => ({
			status: 301,
			headers: { location: 'https://github.com/new-owner/server.git/info/refs?service=git-upload-pack' }
		});
		const moved = await raw(relay.port, 'GET', '/github.com/old-owner/server.git/info/refs?service=git-upload-pack', {
			origin: APP
		});
		expect(moved.status).toBe(301);
		expect(moved.headers.location).toBe(
			`${relay.url}/github.com/new-owner/server.git/info/refs?service=git-upload-pack`
		);
		expect(upstream.requests).toHaveLength(1);
	});

	it('rewrites such a redirect to the public address when the relay sits behind a front', async () => {
		const fronted = await startRelay({
			allowedOrigins: [APP],
			publicOrigin: 'https://relay.example.org',
			test: { loopbackUpstreams: { 'github.com': upstream.url } }
		});
		behaviour = () => ({ status: 308, headers: { location: '/new-owner/server.git/git-upload-pack' } });
		try {
			const moved = await raw(
				fronted.port,
				'POST',
				'/github.com/old-owner/server.git/git-upload-pack',
				{ origin: APP, 'content-type': 'application/x-git-upload-pack-request' },
				'0000'
			);
			expect(moved.status).toBe(308);
			expect(moved.headers.location).toBe('https://relay.example.org/github.com/new-owner/server.git/git-upload-pack');
		} finally {
			await fronted.close();
		}
	});

	it('passes an empty answer on', async () => {
		behaviour = () => ({ status: 204, headers: { 'ratelimit-remaining': '10' } });
		const gone = await raw(relay.port, 'DELETE', '/api.hetzner.cloud/v1/servers/7', { origin: APP });
		expect(gone.status).toBe(204);
		expect(gone.body).toBe('');
		expect(gone.headers['ratelimit-remaining']).toBe('10');
	});

	it('refuses an oversized answer', async () => {
		behaviour = () => ({ status: 200, headers: { 'content-length': '10000' }, body: 'z'.repeat(10_000) });
		const announced = await raw(relay.port, 'GET', '/api.hetzner.cloud/v1/images', { origin: APP });
		expect(announced.status).toBe(502);
		behaviour = () => ({
			status: 200,
			headers: { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' },
			body: 'z'.repeat(10_000)
		});
		await expect(raw(relay.port, 'GET', '/api.hetzner.cloud/v1/images', { origin: APP })).rejects.toThrow();
	});

	it('streams a large answer through whole', async () => {
		const big = await startRelay({
			allowedOrigins: [APP],
			test: { loopbackUpstreams: { 'api.hetzner.cloud': upstream.url } }
		});
		const payload = 'abcdefghij'.repeat(70_000);
		behaviour = () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: payload });
		try {
			const answer = await raw(big.port, 'GET', '/api.hetzner.cloud/v1/images', { origin: APP });
			expect(answer.status).toBe(200);
			expect(answer.body.length).toBe(payload.length);
			expect(answer.body).toBe(payload);
		} finally {
			await big.close();
		}
	});

	it('tries a GET once more when a kept-alive connection was closed under it, never a POST', async () => {
		// An upstream that hangs up on the second request of every connection.
		const perSocket = new WeakMap<object, number>();
		let arrived = 0;
		const flaky = createServer((req, res) => {
			arrived++;
			const n = (perSocket.get(req.socket) ?? 0) + 1;
			perSocket.set(req.socket, n);
			if (n > 1) return void req.socket.destroy();
			req.resume();
			res.writeHead(200, { 'content-type': 'application/json', 'content-length': '2' }).end('{}');
		});
		await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
		const flakyPort = (flaky.address() as AddressInfo).port;
		const retrying = await startRelay({
			allowedOrigins: [APP],
			rateLimit: false,
			test: { loopbackUpstreams: { 'api.hetzner.cloud': `http://127.0.0.1:${flakyPort}` } }
		});
		try {
			const statuses = [];
			for (let i = 0; i < 3; i++)
				statuses.push((await raw(retrying.port, 'GET', '/api.hetzner.cloud/v1/servers', { origin: APP })).status);
			expect(statuses).toEqual([200, 200, 200]);
			expect(arrived).toBe(5); // 1, then (hang-up + retry) twice
			const post = await raw(retrying.port, 'POST', '/api.hetzner.cloud/v1/servers', json, '{}');
			expect(post.status).toBe(502);
			expect(arrived).toBe(6);
		} finally {
			await retrying.close();
			flaky.closeAllConnections();
			await new Promise<void>((r) => flaky.close(() => r()));
		}
	});

	it('gives up on a slow provider with 504', async () => {
		behaviour = () => ({ status: 200, delayMs: 2500 });
		const slow = await raw(relay.port, 'GET', '/api.hetzner.cloud/v1/servers', { origin: APP });
		expect(slow.status).toBe(504);
		expect(JSON.parse(slow.body).error).toMatch(/did not answer in time/);
	});

	it('reports an unreachable provider as 502', async () => {
		const closed = createServer();
		await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
		const port = (closed.address() as AddressInfo).port;
		await new Promise<void>((r) => closed.close(() => r()));
		const lonely = await startRelay({
			allowedOrigins: [APP],
			test: { loopbackUpstreams: { 'api.hetzner.cloud': `http://127.0.0.1:${port}` } }
		});
		try {
			const answer = await raw(lonely.port, 'GET', '/api.hetzner.cloud/v1/servers', { origin: APP });
			expect(answer.status).toBe(502);
			expect(JSON.parse(answer.body).error).toBe('Could not reach Hetzner Cloud.');
		} finally {
			await lonely.close();
		}
	});
});

describe('addresses after name resolution', () => {
	let resolved: string[] = [];
	let calls = 0;
	let guarded: Running & { logs: unknown[] };
	beforeAll(async () => {
		guarded = await startRelay({
			allowedOrigins: [APP],
			limits: { timeoutMs: 1000 },
			test: {
				resolve: async () => {
					calls++;
					return resolved.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
				}
			}
		});
	});
	afterAll(() => guarded.close());

	it.each([
		[['127.0.0.1']],
		[['10.0.0.5']],
		[['172.20.1.1']],
		[['192.168.0.10']],
		[['169.254.169.254']],
		[['100.64.3.4']],
		[['0.0.0.0']],
		[['::1']],
		[['fe80::1']],
		[['fd00::53']],
		[['::ffff:127.0.0.1']],
		[['95.217.0.1', '10.0.0.1']],
		[[]]
	])('refuses a name that resolves to %j', async (addresses) => {
		resolved = addresses;
		calls = 0;
		const answer = await raw(guarded.port, 'GET', '/api.hetzner.cloud/v1/servers', { origin: APP });
		expect(answer.status).toBe(403);
		expect(JSON.parse(answer.body).error).toMatch(/private, loopback or otherwise reserved/);
		expect(calls).toBe(1);
	});
});

describe('rate limit', () => {
	it('answers 429 once a client has used its share', async () => {
		const limited = await startRelay({
			allowedOrigins: [APP],
			rateLimit: { capacity: 3, perSecond: 0.001 },
			test: { loopbackUpstreams: { 'api.hetzner.cloud': upstream.url } }
		});
		try {
			const statuses = [];
			for (let i = 0; i < 5; i++)
				statuses.push((await raw(limited.port, 'GET', '/api.hetzner.cloud/v1/servers', { origin: APP })).status);
			expect(statuses).toEqual([200, 200, 200, 429, 429]);
			const last = await raw(limited.port, 'GET', '/api.hetzner.cloud/v1/servers', { origin: APP });
			expect(last.headers['retry-after']).toBe('60');
			expect(last.headers['access-control-allow-origin']).toBe(APP);
		} finally {
			await limited.close();
		}
	});
});

describe('logs', () => {
	it('hold host, status and duration only: no token, no path, no query, no body', async () => {
		const lines: string[] = [];
		const spies = (['log', 'info', 'warn', 'error', 'debug'] as const).map((level) =>
			vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void lines.push(args.map(String).join(' ')))
		);
		// The default logger, as `npm run proxy` uses it.
		const handler = createNodeProxy({
			allowedOrigins: [APP],
			test: { loopbackUpstreams: { 'api.hetzner.cloud': upstream.url } }
		});
		const server = createServer((req, res) => void handler(req, res));
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		const port = (server.address() as AddressInfo).port;
		try {
			behaviour = () => ({ status: 401, body: `{"error":"invalid token ${TOKEN}"}` });
			const auth = { origin: APP, authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
			await raw(port, 'GET', `/api.hetzner.cloud/v1/servers?name=${QUERY_SECRET}`, auth);
			await raw(
				port,
				'POST',
				`/api.hetzner.cloud/v1/servers?label_selector=${QUERY_SECRET}`,
				auth,
				`{"token":"${TOKEN}"}`
			);
			await raw(port, 'GET', `/evil.example/steal?token=${QUERY_SECRET}`, auth);
			await raw(port, 'GET', `/api.hetzner.cloud/v1/servers?x=${QUERY_SECRET}`, { ...auth, 'x-auth-key': TOKEN });
		} finally {
			await new Promise<void>((r) => server.close(() => r()));
			for (const spy of spies) spy.mockRestore();
		}
		expect(lines).toHaveLength(4);
		for (const line of lines) {
			expect(line).toMatch(/^proxy host=\S+ status=\d{3} ms=\d+$/);
			expect(line).not.toContain(TOKEN);
			expect(line).not.toContain(QUERY_SECRET);
			expect(line).not.toContain('/v1/');
			expect(line).not.toContain('Bearer');
		}
		expect(lines[0]).toMatch(/^proxy host=api.hetzner.cloud status=401 /);
	});
});

describe('the local entry', () => {
	it('mounts the relay at /proxy/ for the app on the same origin, and refuses other sites', async () => {
		const server = createLocalServer({ root: 'build', mounts: await localMounts() });
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		const port = (server.address() as AddressInfo).port;
		try {
			const sameOrigin = await raw(port, 'GET', '/proxy/evil.example/x', { origin: `http://127.0.0.1:${port}` });
			expect(sameOrigin.status).toBe(403);
			expect(JSON.parse(sameOrigin.body).error).toMatch(/evil.example is not on/);
			const noOrigin = await raw(port, 'GET', '/proxy/api.hetzner.cloud/v1/certificates');
			expect(JSON.parse(noOrigin.body).error).toMatch(/Hetzner Cloud address is not on/);
			// The app's own GET carries no Origin, and the browser says it is same-origin.
			const ownGet = await raw(port, 'GET', '/proxy/api.hetzner.cloud/v1/certificates', {
				'sec-fetch-site': 'same-origin'
			});
			expect(JSON.parse(ownGet.body).error).toMatch(/Hetzner Cloud address is not on/);
			// Another site's page (an image, a link) sends no Origin either; its browser says cross-site.
			for (const site of ['cross-site', 'same-site', 'none']) {
				const fromPage = await raw(port, 'GET', '/proxy/api.hetzner.cloud/v1/servers', { 'sec-fetch-site': site });
				expect(fromPage.status, site).toBe(403);
				expect(JSON.parse(fromPage.body).error).toMatch(/only serves the nassella app/);
			}
			// A page of another site whose name was made to point at 127.0.0.1 (DNS rebinding).
			const rebound = await raw(port, 'GET', '/proxy/api.hetzner.cloud/v1/servers', {
				host: `rebind.evil.example:${port}`,
				origin: `http://rebind.evil.example:${port}`
			});
			expect(rebound.status).toBe(403);
			expect(JSON.parse(rebound.body).error).toMatch(/does not serve pages from that origin/);
			const otherSite = await raw(port, 'GET', '/proxy/api.hetzner.cloud/v1/servers', {
				origin: 'https://evil.example'
			});
			expect(otherSite.status).toBe(403);
			expect(otherSite.headers['access-control-allow-origin']).toBeUndefined();
			expect(JSON.parse(otherSite.body).error).toMatch(/does not serve pages from that origin/);
		} finally {
			await new Promise<void>((r) => server.close(() => r()));
		}
	});
});
