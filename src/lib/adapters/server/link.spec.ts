import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../core/errors.ts';
import { StatusFormatError } from '../../core/server/status.ts';
import type { HttpClient } from '../../ports/http.ts';
import { createServerLink, journalRange, journalSearch, serverBase, serverLinkFactory } from './link.ts';

const PASSWORD = 'Sup3rSecretAdminPassw0rd';
const STATUS = {
	version: 1,
	commit: 'a'.repeat(40),
	appliedAt: '2026-11-25T10:00:00Z',
	checkedAt: '2026-11-25T10:01:00Z',
	result: 'ok',
	lastError: null,
	apps: { vaultwarden: 'healthy' },
	os: { version: '4152.2.0', update: null },
	backup: null
};

function recording(answer: (r: Request) => Response | Promise<Response>) {
	const seen: Request[] = [];
	const http: HttpClient = async (r) => {
		seen.push(r);
		return answer(r);
	};
	return { seen, http };
}

function link(http: HttpClient) {
	return createServerLink({
		host: 'nassella.example.org',
		user: 'admin',
		password: PASSWORD,
		base: 'https://relay.example.net/server/nassella.example.org',
		http
	});
}

function stream(chunks: string[]): ReadableStream<Uint8Array> {
	const enc = new TextEncoder();
	return new ReadableStream({
		start(c) {
			for (const x of chunks) c.enqueue(enc.encode(x));
			c.close();
		}
	});
}

function noSecret(error: unknown) {
	const e = error as ProviderError;
	expect(`${e.message} ${e.action}`).not.toContain(PASSWORD);
}

describe('server link: status', () => {
	it('reads status.json with basic auth in a header, never in the URL', async () => {
		const { seen, http } = recording(() => Response.json(STATUS));
		const status = await link(http).status();
		expect(status.commit).toBe('a'.repeat(40));
		expect(status.apps).toEqual({ vaultwarden: 'healthy' });
		const r = seen[0]!;
		expect(r.url).toBe('https://relay.example.net/server/nassella.example.org/status.json');
		expect(r.method).toBe('GET');
		expect(r.headers.get('authorization')).toBe(`Basic ${btoa(`admin:${PASSWORD}`)}`);
		expect(r.url).not.toContain(PASSWORD);
	});

	it('maps a refused password to an auth error that points at the admin password', async () => {
		const { http } = recording(() => new Response('', { status: 401 }));
		const error = await link(http)
			.status()
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(ProviderError);
		expect((error as ProviderError).code).toBe('unauthorized');
		expect((error as ProviderError).action).toMatch(/admin password/);
		noSecret(error);
	});

	it('says plainly that the server is not reachable yet (404, 502, no answer)', async () => {
		for (const answer of [
			() => new Response('', { status: 404 }),
			() => new Response('', { status: 502 }),
			() => {
				throw new TypeError('fetch failed');
			}
		]) {
			const error = await link(recording(answer).http)
				.status()
				.catch((e: unknown) => e);
			expect((error as ProviderError).code).toBe('network');
			expect((error as ProviderError).message).toBe('The server is not reachable yet.');
		}
	});

	it("passes on the relay's reason for a refusal", async () => {
		const { http } = recording(() =>
			Response.json(
				{ error: 'The host x.example resolves to a private, loopback or otherwise reserved address.' },
				{ status: 403 }
			)
		);
		const error = (await link(http)
			.status()
			.catch((e: unknown) => e)) as ProviderError;
		expect(error.code).toBe('forbidden');
		expect(error.message).toMatch(/private, loopback/);
	});

	it('treats a malformed report as a format error', async () => {
		const { http } = recording(() => new Response('<html>hello</html>', { status: 200 }));
		await expect(link(http).status()).rejects.toBeInstanceOf(StatusFormatError);
	});

	it('refuses an oversized report without reading it all', async () => {
		const big = 'x'.repeat(300_000);
		const { http } = recording(() => new Response(stream([big, big, big, big])));
		const error = (await link(http)
			.status()
			.catch((e: unknown) => e)) as ProviderError;
		expect(error.code).toBe('unexpected');
	});
});

describe('server link: journal', () => {
	it('builds gatewayd requests: Range, follow and field matches', async () => {
		const { seen, http } = recording(() => new Response(stream(['{"MESSAGE":"a"}\n'])));
		const batches: Record<string, unknown>[][] = [];
		for await (const b of link(http).journal({
			matches: { CONTAINER_NAME: 'nassella-vaultwarden-1', _SYSTEMD_UNIT: 'nassella-sync.service' },
			skip: -100,
			count: 100,
			follow: true
		}))
			batches.push(b);
		const r = seen[0]!;
		expect(r.url).toBe(
			'https://relay.example.net/server/nassella.example.org/journal/entries?follow&CONTAINER_NAME=nassella-vaultwarden-1&_SYSTEMD_UNIT=nassella-sync.service'
		);
		expect(r.headers.get('accept')).toBe('application/json');
		expect(r.headers.get('range')).toBe('entries=:-100:100');
		expect(batches).toEqual([[{ MESSAGE: 'a' }]]);
	});

	it('starts after a cursor', () => {
		expect(journalRange({ cursor: 's=ab;i=1f;b=cd;m=3;t=5;x=9' })).toBe('entries=s=ab;i=1f;b=cd;m=3;t=5;x=9:1:');
		expect(journalRange({ cursor: 's=ab;i=1f', count: 50 })).toBe('entries=s=ab;i=1f:1:50');
		expect(journalRange({})).toBeUndefined();
		expect(() => journalRange({ cursor: 'x\r\nEvil: 1' })).toThrow();
	});

	it('refuses filters that would smuggle anything into the query', () => {
		expect(() => journalSearch({ matches: { 'A&follow': 'x' } })).toThrow();
		expect(() => journalSearch({ matches: { MESSAGE: 'a b' } })).toThrow();
		expect(() => journalSearch({ matches: { MESSAGE: 'x&y=1' } })).toThrow();
		expect(journalSearch({ matches: { SYSLOG_IDENTIFIER: 'nassella-backup' } })).toBe(
			'?SYSLOG_IDENTIFIER=nassella-backup'
		);
	});

	it('reads NDJSON in batches across chunk boundaries, skipping broken lines', async () => {
		const { http } = recording(
			() => new Response(stream(['{"a":1}\n{"a"', ':2}\nnot json\n{"a":3}\n[1]\n', '{"a":4}']), { status: 200 })
		);
		const out: Record<string, unknown>[] = [];
		for await (const b of link(http).journal({ count: 10 })) out.push(...b);
		expect(out).toEqual([{ a: 1 }, { a: 2 }, { a: 3 }, { a: 4 }]);
	});

	it('maps errors before any entry is yielded', async () => {
		const { http } = recording(() => new Response('', { status: 401 }));
		const it = link(http).journal({ count: 10 })[Symbol.asyncIterator]();
		const error = (await it.next().catch((e: unknown) => e)) as ProviderError;
		expect(error.code).toBe('unauthorized');
		noSecret(error);
	});
});

describe('server link: where the server is reached', () => {
	it('uses the app origin for sandbox servers and the relay for real ones', () => {
		expect(serverBase('nassella.example.org', { sandbox: true, appOrigin: 'http://127.0.0.1:4173' })).toBe(
			'http://127.0.0.1:4173/sandbox/server/nassella.example.org'
		);
		expect(
			serverBase('nassella.example.org', {
				sandbox: false,
				appOrigin: 'https://app.example',
				proxyBase: 'https://relay.example.net/'
			})
		).toBe('https://relay.example.net/server/nassella.example.org');
	});

	it('needs a relay for a real server, and a host name (never an IP)', () => {
		expect(() => serverBase('nassella.example.org', { sandbox: false, appOrigin: 'https://app.example' })).toThrow(
			/relay/
		);
		expect(() => serverBase('127.0.0.1', { sandbox: true, appOrigin: 'https://app.example' })).toThrow();
		expect(() => serverBase('a.example/../x', { sandbox: true, appOrigin: 'https://app.example' })).toThrow();
	});

	it('makes links through the factory', async () => {
		const { seen, http } = recording(() => Response.json(STATUS));
		const make = serverLinkFactory({ appOrigin: 'http://127.0.0.1:4173', http });
		await make({ host: 'nassella.example.org', user: 'admin', password: PASSWORD, sandbox: true }).status();
		expect(seen[0]!.url).toBe('http://127.0.0.1:4173/sandbox/server/nassella.example.org/status.json');
	});
});
