import { describe, expect, it } from 'vitest';
import type { GitHttpRequest, GitHttpResponse } from 'isomorphic-git';
import { gitHttpClient } from './chain-http.ts';

async function text(body: AsyncIterableIterator<Uint8Array> | undefined): Promise<string> {
	let out = '';
	for await (const part of body ?? []) out += new TextDecoder().decode(part);
	return out;
}

function answer(req: GitHttpRequest, statusCode: number, body = ''): GitHttpResponse {
	return {
		url: req.url,
		method: req.method,
		statusCode,
		statusMessage: String(statusCode),
		headers: { 'content-type': 'application/x-git' },
		body: (async function* () {
			yield new TextEncoder().encode(body);
		})()
	};
}

describe('git smart HTTP over the chain', () => {
	it('rewrites through the relay and carries bodies and headers both ways', async () => {
		const seen: string[] = [];
		const client = gitHttpClient({
			proxyBase: 'https://relay.example.net',
			bottom: {
				async request(req) {
					seen.push(`${req.method} ${req.url} ${req.headers?.['content-type']} ${await text(req.body)}`);
					return answer(req, 200, 'pack');
				}
			}
		});
		const res = await client.request({
			url: 'https://codeberg.org/alice/config.git/git-upload-pack',
			method: 'POST',
			headers: { 'content-type': 'application/x-git-upload-pack-request' },
			body: (async function* () {
				yield new TextEncoder().encode('want ');
				yield new TextEncoder().encode('abc');
			})()
		});
		expect(seen).toEqual([
			'POST https://relay.example.net/codeberg.org/alice/config.git/git-upload-pack application/x-git-upload-pack-request want abc'
		]);
		expect(res.statusCode).toBe(200);
		expect(res.headers?.['content-type']).toBe('application/x-git');
		expect(await text(res.body)).toBe('pack');
	});

	it('sends a read again after a server error, never a push', async () => {
		const sent: string[] = [];
		let n = 0;
		const client = gitHttpClient({
			bottom: {
				async request(req) {
					sent.push(req.method ?? 'GET');
					return answer(req, n++ === 0 || req.method === 'POST' ? 503 : 200);
				}
			}
		});
		expect((await client.request({ url: 'https://git.example.org/a/b.git/info/refs' })).statusCode).toBe(200);
		const push = await client.request({
			url: 'https://git.example.org/a/b.git/git-receive-pack',
			method: 'POST',
			body: (async function* () {
				yield new Uint8Array([1]);
			})()
		});
		expect(push.statusCode).toBe(503);
		expect(sent).toEqual(['GET', 'GET', 'POST']);
	});
});
