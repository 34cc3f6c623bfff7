import { describe, expect, it } from 'vitest';
import { asFetch, errorByStatus, fetchClient, JsonApi, safeDetail, withRetry, type WaitNote } from './chain.ts';
import type { HttpClient } from '../../ports/http.ts';
import { viaProxy } from './proxy-url.ts';

const TOKEN = 'secret-token-abcdefghijklmnopqrstuvwxyz';

function api(bottom: (r: Request) => Promise<Response>, extra: Partial<ConstructorParameters<typeof JsonApi>[0]> = {}) {
	const waits: WaitNote[] = [];
	const a = new JsonApi({
		baseUrl: 'https://api.example.com/v1',
		errors: { provider: 'Example', map: (status, _b, _h, retry) => errorByStatus('Example', status, retry) },
		rule: { resetHeaders: ['ratelimit-reset'], resetMeaning: 'epoch' },
		auth: () => ({ authorization: `Bearer ${TOKEN}` }),
		http: bottom,
		retry: {
			sleep: async () => undefined,
			random: () => 0,
			baseDelayMs: 1,
			timeoutMs: 200,
			onWait: (n) => waits.push(n)
		},
		...extra
	});
	return { a, waits };
}

describe('HTTP chain', () => {
	it('rewrites through the proxy in the agreed form and keeps the token in a header only', async () => {
		const seen: Request[] = [];
		const { a } = api(
			async (r) => {
				seen.push(r);
				return Response.json({ ok: true });
			},
			{ proxyBase: 'http://127.0.0.1:4173/proxy/' }
		);
		await a.call('GET', '/servers', { query: { name: 'x y' } });
		expect(seen[0]!.url).toBe('http://127.0.0.1:4173/proxy/api.example.com/v1/servers?name=x+y');
		expect(seen[0]!.url).not.toContain(TOKEN);
		expect(seen[0]!.headers.get('authorization')).toBe(`Bearer ${TOKEN}`);
		expect(viaProxy('https://h.example/p?q=1', undefined)).toBe('https://h.example/p?q=1');
	});

	it('retries idempotent requests after a network failure, but never re-sends a POST blindly', async () => {
		let calls = 0;
		const flaky = async () => {
			calls++;
			if (calls === 1) throw new TypeError('fetch failed');
			return Response.json({ ok: true });
		};
		const { a, waits } = api(flaky);
		expect((await a.call('GET', '/x')).data).toEqual({ ok: true });
		expect(waits.map((w) => w.reason)).toEqual(['network']);
		calls = 0;
		const error = await a.call('POST', '/x', { body: {} }).catch((e: unknown) => e);
		expect(calls).toBe(1);
		expect((error as { code: string }).code).toBe('network');
		expect(JSON.stringify(error)).not.toContain(TOKEN);
	});

	it('retries a 429 even for POST, waiting as told, and gives up with the wait after the retries', async () => {
		let calls = 0;
		const limited = async () => {
			calls++;
			return new Response('{}', { status: 429, headers: { 'retry-after': '2' } });
		};
		const { a, waits } = api(limited);
		const error = (await a.call('POST', '/x', { body: { a: 1 } }).catch((e: unknown) => e)) as {
			code: string;
			retryAfterMs: number;
		};
		expect(calls).toBe(5);
		expect(waits.every((w) => w.ms === 2000)).toBe(true);
		expect(error.code).toBe('rate-limited');
		expect(error.retryAfterMs).toBe(2000);
	});

	it('turns a hung request into a network error after the timeout', async () => {
		const hang = (r: Request) =>
			new Promise<Response>((_, reject) => r.signal.addEventListener('abort', () => reject(r.signal.reason)));
		const { a } = api(hang, { retry: { retries: 0, timeoutMs: 30, sleep: async () => undefined } });
		const error = (await a.call('GET', '/x').catch((e: unknown) => e)) as { code: string; message: string };
		expect(error.code).toBe('network');
		expect(error.message).toMatch(/in time/);
	});

	it('keeps credentials and URLs out of vendor text it shows', () => {
		expect(safeDetail(`bad token ${TOKEN} at https://api.example.com/v1/x?key=1`)).toBe('bad token … at …');
	});
});

describe('the chain under a vendor SDK', () => {
	const quick = { rule: { resetHeaders: [], resetMeaning: 'seconds' as const }, sleep: async () => undefined };

	it('hands a request to a fetch function as URL and init, and back as a fetch function', async () => {
		const seen: { url: string; init?: RequestInit }[] = [];
		const f = (async (url: string, init?: RequestInit) => {
			seen.push({ url, init });
			return Response.json({ ok: true });
		}) as typeof fetch;
		const sdkFetch = asFetch(withRetry(fetchClient(f), quick));
		const answer = await sdkFetch('https://api.example.com/x', { method: 'PATCH', body: '{"a":1}' });
		expect(await answer.json()).toEqual({ ok: true });
		expect(seen[0]!.url).toBe('https://api.example.com/x');
		expect(seen[0]!.init?.method).toBe('PATCH');
		expect(new TextDecoder().decode(seen[0]!.init?.body as ArrayBuffer)).toBe('{"a":1}');
	});

	it('sends again only the methods an API says are safe, and what `idempotent` adds', async () => {
		const sent: string[] = [];
		const failing: HttpClient = async (r) => {
			sent.push(`${r.method} ${new URL(r.url).pathname}`);
			return new Response('{}', { status: 503 });
		};
		const client = withRetry(failing, {
			...quick,
			retries: 2,
			safeMethods: ['GET'],
			idempotent: (r) => r.method === 'POST' && r.url.endsWith('/blobs')
		});
		for (const [method, path] of [
			['GET', '/r'],
			['PUT', '/contents'],
			['POST', '/blobs'],
			['POST', '/repos']
		] as const)
			expect((await client(new Request(`https://api.example.com${path}`, { method }))).status).toBe(503);
		expect(sent).toEqual([
			'GET /r',
			'GET /r',
			'GET /r',
			'PUT /contents',
			'POST /blobs',
			'POST /blobs',
			'POST /blobs',
			'POST /repos'
		]);
	});
});
