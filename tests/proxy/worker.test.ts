/**
 * The Cloudflare Workers entry in workerd (the Workers runtime, from npm through
 * miniflare). Every fetch the Worker makes to a provider goes to `outboundService`
 * here, which records it and answers like the provider would. The `server` route runs
 * in a Worker of its own (below), whose DNS-over-HTTPS lookups go to a stand-in resolver
 * and whose sockets lead to a stand-in admin host on loopback.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { stripTypeScriptTypes } from 'node:module';
import { dirname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { Miniflare, type Request as WorkerRequest } from 'miniflare';

const ROOT = resolve(import.meta.dirname, '../..');
const APP = 'https://app.nassella.example';
const TOKEN = 'cf-token-8d1e0a77';
const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';

/**
 * The Worker's own sources, found by following its relative imports from worker.ts (as
 * wrangler's bundler would), types stripped, type-only imports dropped and imports renamed to .js.
 */
function workerModules() {
	const seen = new Set<string>();
	const queue = [resolve(ROOT, 'workers/proxy/worker.ts')];
	const modules: { type: 'ESModule'; path: string; contents: string }[] = [];
	while (queue.length) {
		const file = queue.pop()!;
		if (seen.has(file)) continue;
		seen.add(file);
		const source = readFileSync(file, 'utf8');
		for (const m of source.matchAll(/^import\s+(?!type\b)[^;]*?from\s+'(\.{1,2}\/[^']+\.ts)'/gm))
			queue.push(resolve(dirname(file), m[1]!));
		modules.push({
			type: 'ESModule',
			path: file.replace(/\.ts$/, '.js'),
			contents: stripTypeScriptTypes(source).replace(/(from\s+'\.{1,2}\/[^']+)\.ts'/g, "$1.js'")
		});
	}
	return modules;
}

interface Outbound {
	url: string;
	method: string;
	headers: Record<string, string>;
}

let outbound: Outbound[] = [];
let answer: (url: URL) => Response = () => Response.json({ ok: true });
let stdout = '';
let mf: Miniflare;

beforeAll(async () => {
	mf = new Miniflare({
		modules: workerModules(),
		modulesRoot: ROOT,
		compatibilityDate: '2025-01-01',
		bindings: { ALLOWED_ORIGINS: APP },
		ratelimits: { RATE_LIMITER: { simple: { limit: 40, period: 60 } } },
		outboundService: (request: WorkerRequest) => {
			outbound.push({
				url: request.url,
				method: request.method,
				headers: Object.fromEntries(request.headers)
			});
			return answer(new URL(request.url));
		},
		handleRuntimeStdio(out: Readable, err: Readable) {
			out.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
			err.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
		}
	});
	await mf.ready;
});
afterAll(() => mf.dispose());
beforeEach(() => {
	outbound = [];
	answer = () => Response.json({ ok: true });
});

describe('the Workers entry in workerd', () => {
	it('forwards an allowed request with only the listed headers and strips cookies both ways', async () => {
		answer = () =>
			new Response('{"result":[]}', {
				status: 200,
				headers: [
					['content-type', 'application/json'],
					['set-cookie', '__cflb=abc; HttpOnly'],
					['x-internal', 'no'],
					['retry-after', '3']
				]
			});
		const response = await mf.dispatchFetch(
			`https://relay.example/api.cloudflare.com/client/v4/zones/${ZONE}/dns_records?name=secret-name.example`,
			{
				headers: {
					origin: APP,
					authorization: `Bearer ${TOKEN}`,
					cookie: 'session=1',
					'cf-connecting-ip': '203.0.113.9'
				}
			}
		);
		expect(response.status).toBe(200);
		expect(await response.text()).toBe('{"result":[]}');
		expect(response.headers.get('access-control-allow-origin')).toBe(APP);
		expect(response.headers.get('access-control-allow-credentials')).toBeNull();
		expect(response.headers.get('set-cookie')).toBeNull();
		expect(response.headers.get('x-internal')).toBeNull();
		expect(response.headers.get('retry-after')).toBe('3');
		expect(outbound).toHaveLength(1);
		const sent = outbound[0]!;
		expect(sent.url).toBe(`https://api.cloudflare.com/client/v4/zones/${ZONE}/dns_records?name=secret-name.example`);
		expect(sent.headers.authorization).toBe(`Bearer ${TOKEN}`);
		expect(sent.headers.cookie).toBeUndefined();
		expect(sent.headers.origin).toBeUndefined();
	});

	it('refuses hosts, paths and methods off the list without fetching anything', async () => {
		for (const [method, path] of [
			['GET', '/evil.example/x'],
			['GET', '/api.digitalocean.com/v2/droplets'],
			['GET', '/169.254.169.254/latest/meta-data'],
			['GET', '/api.hetzner.cloud/v1/certificates'],
			['DELETE', `/api.cloudflare.com/client/v4/zones/${ZONE}`],
			['GET', '/api.hetzner.cloud%2e/v1/servers']
		] as const) {
			const response = await mf.dispatchFetch(`https://relay.example${path}`, { method, headers: { origin: APP } });
			expect(response.status, `${method} ${path}`).toBe(403);
			expect(((await response.json()) as { error: string }).error).toEqual(expect.any(String));
		}
		const header = await mf.dispatchFetch('https://relay.example/api.hetzner.cloud/v1/servers', {
			headers: { origin: APP, 'x-auth-key': 'k' }
		});
		expect(header.status).toBe(403);
		expect(outbound).toHaveLength(0);
	});

	it('does not follow a redirect to another host', async () => {
		answer = () => new Response(null, { status: 302, headers: { location: 'https://evil.example/collect' } });
		const response = await mf.dispatchFetch('https://relay.example/api.hetzner.cloud/v1/servers', {
			headers: { origin: APP, authorization: `Bearer ${TOKEN}` }
		});
		expect(response.status).toBe(403);
		expect(response.headers.get('location')).toBeNull();
		// One fetch only: the Worker did not go on to evil.example. (The redirect mode itself is not
		// visible here: the outbound service sees the request as it arrives on the wire.)
		expect(outbound.map((o) => o.url)).toEqual(['https://api.hetzner.cloud/v1/servers']);
	});

	it('answers preflights for the configured origin only', async () => {
		const ok = await mf.dispatchFetch('https://relay.example/api.hetzner.cloud/v1/servers', {
			method: 'OPTIONS',
			headers: {
				origin: APP,
				'access-control-request-method': 'POST',
				'access-control-request-headers': 'authorization'
			}
		});
		expect(ok.status).toBe(204);
		expect(ok.headers.get('access-control-allow-origin')).toBe(APP);
		const other = await mf.dispatchFetch('https://relay.example/api.hetzner.cloud/v1/servers', {
			method: 'OPTIONS',
			headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' }
		});
		expect(other.status).toBe(403);
		expect(other.headers.get('access-control-allow-origin')).toBeNull();
		const none = await mf.dispatchFetch('https://relay.example/api.hetzner.cloud/v1/servers');
		expect(none.status).toBe(403);
		expect(outbound).toHaveLength(0);
	});

	it('refuses an oversized body', async () => {
		const response = await mf.dispatchFetch('https://relay.example/api.hetzner.cloud/v1/servers', {
			method: 'POST',
			headers: { origin: APP, 'content-type': 'application/json' },
			body: new Uint8Array(16 * 1024 * 1024 + 1)
		});
		expect(response.status).toBe(413);
		expect(outbound).toHaveLength(0);
	});

	it('limits each client through the Rate Limiting binding', async () => {
		const statuses: number[] = [];
		for (let i = 0; i < 45; i++) {
			const r = await mf.dispatchFetch('https://relay.example/api.hetzner.cloud/v1/servers', {
				headers: { origin: APP, 'cf-connecting-ip': '198.51.100.77' }
			});
			await r.arrayBuffer();
			statuses.push(r.status);
		}
		expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
		expect(statuses.slice(0, 40).every((s) => s === 200)).toBe(true);
		const someoneElse = await mf.dispatchFetch('https://relay.example/api.hetzner.cloud/v1/servers', {
			headers: { origin: APP, 'cf-connecting-ip': '198.51.100.78' }
		});
		expect(someoneElse.status).toBe(200);
	});

	it('logs host, status and duration only', async () => {
		await mf.dispatchFetch('https://relay.example/api.hetzner.cloud/v1/servers?name=query-secret-1', {
			headers: { origin: APP, authorization: `Bearer ${TOKEN}` }
		});
		await new Promise((r) => setTimeout(r, 200));
		const lines = stdout.split('\n').filter((l) => l.includes('proxy host='));
		expect(lines.length).toBeGreaterThan(0);
		expect(stdout).not.toContain(TOKEN);
		expect(stdout).not.toContain('query-secret');
		for (const line of lines) expect(line.trim()).toMatch(/proxy host=\S+ status=\d{3} ms=\d+$/);
	});
});

describe('a Worker deployed with a wrong ALLOWED_ORIGINS', () => {
	it('answers 500 with the reason and fetches nothing', async () => {
		const fetched: string[] = [];
		const broken = new Miniflare({
			modules: workerModules(),
			modulesRoot: ROOT,
			compatibilityDate: '2025-01-01',
			bindings: { ALLOWED_ORIGINS: 'http://app.example' },
			outboundService: (request: WorkerRequest) => {
				fetched.push(request.url);
				return new Response('');
			}
		});
		try {
			const response = await broken.dispatchFetch('https://relay.example/api.hetzner.cloud/v1/servers', {
				headers: { origin: 'http://app.example' }
			});
			expect(response.status).toBe(500);
			expect(((await response.json()) as { error: string }).error).toMatch(/must use https/);
			expect(fetched).toEqual([]);
		} finally {
			await broken.dispose();
		}
	});
});

/**
 * The entry the `server` route tests run: the Worker itself (createWorker), on a network
 * whose DNS-over-HTTPS goes to the test's resolver (the DNS binding) and whose sockets
 * all lead to the stand-in admin host on loopback, each recording where the Worker asked
 * to connect and which name it asked TLS to verify. The stand-in has no certificate for
 * that name, so the connection stays plain TCP; the TLS handshake itself is workerd's.
 */
const SERVER_ENTRY = `
import { connect } from 'cloudflare:sockets';
import { createWorker } from './worker.js';

const connections = [];
let worker;

export default {
	fetch(request, env) {
		if (new URL(request.url).pathname === '/__connections') return Response.json(connections.splice(0));
		worker ??= createWorker({
			fetch: (input, init) => env.DNS.fetch(input, init),
			connect(address, options) {
				const seen = { address, options, tls: null };
				connections.push(seen);
				const socket = connect({ hostname: '127.0.0.1', port: Number(env.ADMIN_PORT) }, options);
				const plain = {
					readable: socket.readable,
					writable: socket.writable,
					opened: socket.opened,
					closed: socket.closed,
					close: () => socket.close(),
					startTls(tls) {
						seen.tls = tls.expectedServerHostname;
						return plain;
					}
				};
				return plain;
			}
		});
		return worker.fetch(request, env);
	}
};
`;

const ADMIN_HOST = 'nassella.family.example';
const BASIC = `Basic ${btoa('admin:worker-admin-pass')}`;

interface Lookup {
	url: string;
	accept: string | null;
	name: string | null;
	type: string | null;
}
interface DnsAnswer {
	/** The DNS-over-HTTPS answer's Status (0 is NOERROR); an HTTP status replaces the whole answer. */
	status?: number;
	http?: number;
	data: string[];
}
interface Connection {
	address: { hostname: string; port: number };
	options: { secureTransport: string };
	tls: string | null;
}
interface AdminRequest {
	method: string;
	url: string;
	headers: IncomingHttpHeaders;
}

describe('the server route in workerd: checked over DNS-over-HTTPS, connected to the checked address', () => {
	let server: Miniflare;
	let admin: ReturnType<typeof createServer>;
	let lookups: Lookup[] = [];
	let adminRequests: AdminRequest[] = [];
	/** The resolver's answer to the nth lookup (from 1) of a type. */
	let dns: (type: 'A' | 'AAAA', nth: number) => DnsAnswer;
	let serve: (res: ServerResponse) => void | Promise<void>;

	const ask = (path: string) =>
		server.dispatchFetch(`https://relay.example/server/${path}`, {
			// Without it, miniflare compresses the JSON answer on its way out and holds it until it ends.
			headers: { origin: APP, authorization: BASIC, 'user-agent': 'Mozilla/5.0', 'accept-encoding': 'identity' }
		});
	const connections = async () =>
		(await (await server.dispatchFetch('https://relay.example/__connections')).json()) as Connection[];
	const lookupsOf = (type: string) => lookups.filter((l) => l.type === type).length;

	beforeAll(async () => {
		admin = createServer((req, res) => {
			adminRequests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
			void serve(res);
		});
		await new Promise<void>((r) => admin.listen(0, '127.0.0.1', r));
		server = new Miniflare({
			modules: [
				{ type: 'ESModule', path: resolve(ROOT, 'workers/proxy/server-route-entry.js'), contents: SERVER_ENTRY },
				...workerModules()
			],
			modulesRoot: ROOT,
			compatibilityDate: '2025-01-01',
			bindings: { ALLOWED_ORIGINS: APP, ADMIN_PORT: String((admin.address() as AddressInfo).port) },
			// Its log lines (host=server, status, duration) are checked in the tests above.
			handleRuntimeStdio(out: Readable, err: Readable) {
				out.resume();
				err.resume();
			},
			serviceBindings: {
				DNS: (request: WorkerRequest) => {
					const url = new URL(request.url);
					const type = url.searchParams.get('type');
					lookups.push({
						url: `${url.origin}${url.pathname}`,
						accept: request.headers.get('accept'),
						name: url.searchParams.get('name'),
						type
					});
					if (type !== 'A' && type !== 'AAAA') return new Response('', { status: 400 });
					const answer = dns(type, lookupsOf(type));
					if (answer.http) return new Response('', { status: answer.http });
					return Response.json({
						Status: answer.status ?? 0,
						Answer: answer.data.map((data) => ({
							name: url.searchParams.get('name'),
							type: type === 'A' ? 1 : 28,
							TTL: 300,
							data
						}))
					});
				}
			}
		});
		await server.ready;
	});
	afterAll(async () => {
		await server.dispose();
		admin.closeAllConnections();
		await new Promise((r) => admin.close(r));
	});
	beforeEach(() => {
		lookups = [];
		adminRequests = [];
		dns = (type) => ({ data: type === 'A' ? ['95.217.10.20'] : ['2a01:4f8:c17:1::5'] });
		serve = (res) => {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end('{"version":1}');
		};
	});
	afterEach(async () => {
		await connections();
	});

	it("connects to exactly the address it checked, and asks TLS to verify the server's name", async () => {
		const response = await ask(`${ADMIN_HOST}/status.json`);
		expect(response.status).toBe(200);
		expect(await response.text()).toBe('{"version":1}');
		expect(lookups).toEqual([
			{ url: 'https://cloudflare-dns.com/dns-query', accept: 'application/dns-json', name: ADMIN_HOST, type: 'A' },
			{ url: 'https://cloudflare-dns.com/dns-query', accept: 'application/dns-json', name: ADMIN_HOST, type: 'AAAA' }
		]);
		expect(await connections()).toEqual([
			{ address: { hostname: '95.217.10.20', port: 443 }, options: { secureTransport: 'starttls' }, tls: ADMIN_HOST }
		]);
		expect(adminRequests).toHaveLength(1);
		const seen = adminRequests[0]!;
		expect(seen.method).toBe('GET');
		expect(seen.url).toBe('/status.json');
		expect(seen.headers.host).toBe(ADMIN_HOST);
		expect(seen.headers.authorization).toBe(BASIC);
		expect(seen.headers['user-agent']).toBeUndefined();
		expect(seen.headers['accept-encoding']).toBe('identity');
		expect(seen.headers.connection).toBe('close');
	});

	it('keeps to the checked address when the name answers differently afterwards (DNS rebinding)', async () => {
		// A public address to the first lookup, a private one to every later lookup.
		dns = (type, nth) => ({ data: type === 'A' ? [nth === 1 ? '95.217.10.20' : '10.0.0.5'] : [] });
		const first = await ask(`${ADMIN_HOST}/status.json`);
		expect(first.status).toBe(200);
		await first.arrayBuffer();
		// One lookup, and the connection went to its answer: nothing resolved the name again.
		expect(lookupsOf('A')).toBe(1);
		expect((await connections()).map((c) => c.address.hostname)).toEqual(['95.217.10.20']);

		// The next request's lookup gets the private answer, and the route refuses it.
		const second = await ask(`${ADMIN_HOST}/status.json`);
		expect(second.status).toBe(403);
		expect(((await second.json()) as { error: string }).error).toMatch(/private, loopback or otherwise reserved/);
		expect(await connections()).toEqual([]);
		expect(adminRequests).toHaveLength(1);
	});

	it('refuses a name that answers the check with a private address, whatever it answers later', async () => {
		dns = (type, nth) => ({ data: type === 'A' ? [nth === 1 ? '10.0.0.5' : '95.217.10.20'] : [] });
		const response = await ask(`${ADMIN_HOST}/status.json`);
		expect(response.status).toBe(403);
		expect(await connections()).toEqual([]);
		expect(adminRequests).toEqual([]);
	});

	it.each<[string, (type: 'A' | 'AAAA') => DnsAnswer, number]>([
		['a unique-local AAAA beside a public A', (t) => ({ data: t === 'A' ? ['95.217.10.20'] : ['fd00::5'] }), 403],
		['a loopback A beside a public one', (t) => ({ data: t === 'A' ? ['95.217.10.20', '127.0.0.1'] : [] }), 403],
		['an IPv6 address in an A record', (t) => ({ data: t === 'A' ? ['2a01:4f8:c17:1::5'] : [] }), 403],
		['a benchmarking AAAA', (t) => ({ data: t === 'A' ? [] : ['2001:2::5'] }), 403],
		['an IPv4-mapped AAAA', (t) => ({ data: t === 'A' ? ['95.217.10.20'] : ['::ffff:10.0.0.5'] }), 403],
		['no address at all', () => ({ data: [] }), 403],
		[
			'a failed AAAA lookup (SERVFAIL)',
			(t) => ({ status: t === 'A' ? 0 : 2, data: t === 'A' ? ['95.217.10.20'] : [] }),
			502
		],
		['a name that does not exist (NXDOMAIN)', () => ({ status: 3, data: [] }), 502],
		['a resolver that fails', () => ({ http: 503, data: [] }), 502]
	])('connects nowhere for %s', async (_case, answer, status) => {
		dns = answer;
		const response = await ask(`${ADMIN_HOST}/status.json`);
		expect(response.status).toBe(status);
		expect(await connections()).toEqual([]);
		expect(adminRequests).toEqual([]);
	});

	it('refuses IP literals before any lookup', async () => {
		for (const host of ['10.0.0.1', '95.217.10.20', '[2a01:4f8::1]']) {
			const response = await ask(`${host}/status.json`);
			expect(response.status, host).toBe(403);
		}
		expect(lookups).toEqual([]);
		expect(await connections()).toEqual([]);
	});

	it('connects to an IPv6 address in brackets when the name has no A record', async () => {
		dns = (type) => ({ data: type === 'A' ? [] : ['2a01:4f8:c17:1::5'] });
		const response = await ask(`${ADMIN_HOST}/status.json`);
		expect(response.status).toBe(200);
		await response.arrayBuffer();
		expect((await connections()).map((c) => c.address)).toEqual([{ hostname: '[2a01:4f8:c17:1::5]', port: 443 }]);
	});

	it('streams a followed journal as it comes, before the server ends its answer', async () => {
		let release!: () => void;
		const held = new Promise<void>((r) => (release = r));
		serve = async (res) => {
			res.writeHead(200, { 'content-type': 'application/json' });
			res.write('{"MESSAGE":"first"}\n');
			await held;
			res.end('{"MESSAGE":"second"}\n');
		};
		const response = await ask(`${ADMIN_HOST}/journal/entries?follow&CONTAINER_NAME=nassella-vaultwarden-1`);
		expect(response.status).toBe(200);
		expect(adminRequests[0]!.url).toBe('/journal/entries?follow&CONTAINER_NAME=nassella-vaultwarden-1');
		const reader = response.body!.getReader();
		const first = await reader.read();
		// The first line came through while the server was still holding its answer open.
		expect(new TextDecoder().decode(first.value)).toBe('{"MESSAGE":"first"}\n');
		release();
		let rest = '';
		for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
		expect(rest).toBe('{"MESSAGE":"second"}\n');
	});

	it('does not follow or pass on a redirect from the server', async () => {
		serve = (res) => {
			res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' });
			res.end();
		};
		const response = await ask(`${ADMIN_HOST}/status.json`);
		expect(response.status).toBe(502);
		expect(response.headers.get('location')).toBeNull();
		expect(await response.text()).not.toContain('169.254');
		expect(adminRequests).toHaveLength(1);
	});
});
