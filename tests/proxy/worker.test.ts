/**
 * The Cloudflare Workers entry in workerd (the Workers runtime, from npm through
 * miniflare). Every fetch the Worker makes to a provider goes to `outboundService`
 * here, which records it and answers like the provider would.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { stripTypeScriptTypes } from 'node:module';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { Miniflare, type Request as WorkerRequest } from 'miniflare';

const ROOT = resolve(import.meta.dirname, '../..');
const APP = 'https://app.nassella.example';
const TOKEN = 'cf-token-8d1e0a77';
const ZONE = '023e105f4ecef8ad9ca31a8372d0c353';

/** The Worker's own sources, types stripped (as wrangler's bundler would) and imports renamed to .js. */
function workerModules() {
	const files = [
		'workers/proxy/worker.ts',
		'workers/proxy/handler.ts',
		'workers/proxy/policy.ts',
		'workers/proxy/public-ip.ts',
		'src/lib/core/net/proxy-url.ts'
	];
	return files.map((file) => ({
		type: 'ESModule' as const,
		path: resolve(ROOT, file.replace(/\.ts$/, '.js')),
		contents: stripTypeScriptTypes(readFileSync(resolve(ROOT, file), 'utf8')).replace(
			/(from\s+'\.{1,2}\/[^']+)\.ts'/g,
			"$1.js'"
		)
	}));
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

	it("reaches a person's server only when its name resolves to public addresses", async () => {
		let addresses: Record<string, string[]> = { A: ['95.217.10.20'], AAAA: [] };
		answer = (url) => {
			if (url.hostname === 'cloudflare-dns.com') {
				const type = url.searchParams.get('type')!;
				return Response.json({
					Status: 0,
					Answer: (addresses[type] ?? []).map((data) => ({ type: type === 'A' ? 1 : 28, data }))
				});
			}
			return Response.json({ version: 1 });
		};
		const basic = `Basic ${btoa('admin:worker-admin-pass')}`;
		const ok = await mf.dispatchFetch('https://relay.example/server/nassella.family.example/status.json', {
			headers: { origin: APP, authorization: basic, 'user-agent': 'Mozilla/5.0' }
		});
		expect(ok.status).toBe(200);
		const sent = outbound.find((o) => o.url === 'https://nassella.family.example/status.json')!;
		expect(sent.headers.authorization).toBe(basic);
		expect(sent.headers['user-agent']).not.toBe('Mozilla/5.0');

		outbound = [];
		addresses = { A: ['95.217.10.20'], AAAA: ['fd00::5'] };
		const inside = await mf.dispatchFetch('https://relay.example/server/nassella.family.example/status.json', {
			headers: { origin: APP, authorization: basic }
		});
		expect(inside.status).toBe(403);
		expect(outbound.every((o) => o.url.startsWith('https://cloudflare-dns.com/'))).toBe(true);
		const literal = await mf.dispatchFetch('https://relay.example/server/10.0.0.1/status.json', {
			headers: { origin: APP, authorization: basic }
		});
		expect(literal.status).toBe(403);
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
