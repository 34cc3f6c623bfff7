import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ProviderError } from '../../core/errors.ts';
import { fetchJournal, journalRequest, readJournalStream, type StreamStats } from './journal.ts';

function streamOf(chunks: Uint8Array[], opts: { hang?: boolean } = {}): ReadableStream<Uint8Array> {
	let i = 0;
	return new ReadableStream<Uint8Array>({
		pull(c) {
			if (i < chunks.length) c.enqueue(chunks[i++]!);
			else if (!opts.hang) c.close();
			else return new Promise(() => {}); // a follow stream that waits for more
		}
	});
}

function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
	const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
	const out: Uint8Array[] = [];
	let prev = 0;
	for (const p of [...points, bytes.length]) {
		out.push(bytes.slice(prev, p));
		prev = p;
	}
	return out.filter((c) => c.length > 0);
}

async function all(it: AsyncIterable<Record<string, unknown>[]>): Promise<Record<string, unknown>[][]> {
	const out: Record<string, unknown>[][] = [];
	for await (const b of it) out.push(b);
	return out;
}

describe('journal request', () => {
	it('asks gatewayd for JSON, with Range, follow and matches', () => {
		const r = journalRequest(
			'/sandbox/server/admin.example.org/',
			{ matches: { CONTAINER_NAME: 'nassella-vaultwarden-1', _SYSTEMD_UNIT: 'a b&c' }, follow: true, skip: -100 },
			{ user: 'admin', password: 'pä:ss' }
		);
		expect(r.url).toBe(
			'/sandbox/server/admin.example.org/journal/entries?follow&CONTAINER_NAME=nassella-vaultwarden-1&_SYSTEMD_UNIT=a%20b%26c'
		);
		expect(r.headers.Accept).toBe('application/json');
		expect(r.headers.Range).toBe('entries=:-100:');
		expect(atob(r.headers.Authorization!.slice(6))).toBe('admin:p\u00c3\u00a4:ss');
		expect(journalRequest('https://x', { cursor: 's=1;i=2', count: 50 }).headers.Range).toBe('entries=s=1;i=2:1:50');
		expect(journalRequest('https://x', {}).headers.Range).toBeUndefined();
		expect(journalRequest('https://x', {}).url).toBe('https://x/journal/entries');
	});

	it('refuses field names, values and cursors that could change the request', () => {
		expect(() => journalRequest('', { matches: { 'follow&x': '1' } })).toThrow(/field name/);
		expect(() => journalRequest('', { matches: { token: '1' } })).toThrow(/field name/);
		expect(() => journalRequest('', { matches: { A: 'x\r\nInjected: 1' } })).toThrow(/control/);
		expect(() => journalRequest('', { cursor: 'a\r\nb' })).toThrow(/cursor/);
		expect(() => journalRequest('', { cursor: 'a:5:6' })).toThrow(/cursor/);
		expect(() => journalRequest('', { count: 0 })).toThrow(/count/);
		expect(() => journalRequest('', { skip: 1.5 })).toThrow(/whole/);
	});
});

describe('journal stream', () => {
	const entries = [
		{ __CURSOR: 'c1', MESSAGE: 'héllo wörld ✓ 🎉' },
		{ __CURSOR: 'c2', MESSAGE: [0, 255, 27] },
		{ __CURSOR: 'c3', MESSAGE: '<script>alert(1)</script>\n' }
	];
	const text = entries.map((e) => JSON.stringify(e)).join('\n') + '\n';
	const bytes = new TextEncoder().encode(text);

	it('gives the same entries however the network splits the bytes (property)', async () => {
		await fc.assert(
			fc.asyncProperty(fc.array(fc.nat(), { maxLength: 20 }), async (cuts) => {
				const got = (await all(readJournalStream(streamOf(split(bytes, cuts))))).flat();
				expect(got).toEqual(entries);
			}),
			{ numRuns: 300 }
		);
	});

	it('skips lines that are too long, not JSON or not objects, and counts them', async () => {
		const long = JSON.stringify({ MESSAGE: 'x'.repeat(5000) });
		const body = ['{"a":1}', long, 'not json', '[1,2]', '42', '', '{"b":2}\r', long.slice(0, 3000)].join('\n');
		const stats: StreamStats = { bytes: 0, entries: 0, skipped: 0, truncated: false };
		const chunks = split(new TextEncoder().encode(body), [100, 2000, 4000, 4500, 7000]);
		const got = (await all(readJournalStream(streamOf(chunks), { maxLineBytes: 1000, stats }))).flat();
		expect(got).toEqual([{ a: 1 }, { b: 2 }]);
		expect(stats).toMatchObject({ entries: 2, skipped: 5, truncated: false });
	});

	it('stops at the total limit', async () => {
		const line = new TextEncoder().encode('{"m":"0123456789"}\n');
		const stats: StreamStats = { bytes: 0, entries: 0, skipped: 0, truncated: false };
		const got = (
			await all(readJournalStream(streamOf(Array(100).fill(line)), { maxTotalBytes: line.length * 10 + 5, stats }))
		).flat();
		expect(got.length).toBe(10);
		expect(stats.truncated).toBe(true);
		expect(stats.bytes).toBe(line.length * 10 + 5);
	});

	it('batches by chunk and by maxBatch', async () => {
		const many = new TextEncoder().encode('{"i":1}\n'.repeat(25));
		const batches = await all(readJournalStream(streamOf([many]), { maxBatch: 10 }));
		expect(batches.map((b) => b.length)).toEqual([10, 10, 5]);
	});

	it('gathers many small chunks into few batches, and hands over a lone entry soon', async () => {
		const one = new TextEncoder().encode('{"i":1}\n');
		const batches = await all(readJournalStream(streamOf(Array(1000).fill(one))));
		expect(batches.flat().length).toBe(1000);
		expect(batches.length).toBeLessThan(20);
	});

	it('ends a waiting follow stream when the signal aborts', async () => {
		const ctl = new AbortController();
		const seen: number[] = [];
		const run = (async () => {
			for await (const b of readJournalStream(streamOf([new TextEncoder().encode('{"i":1}\n')], { hang: true }), {
				signal: ctl.signal
			}))
				seen.push(b.length);
		})();
		await new Promise((r) => setTimeout(r, 300));
		ctl.abort();
		await expect(run).rejects.toThrow(/abort/i);
		expect(seen).toEqual([1]);
	});
});

describe('fetching the journal', () => {
	it('maps answers and failures to plain errors without secrets', async () => {
		const status = (s: number) => async () => new Response('nope', { status: s });
		for (const [s, code] of [
			[401, 'unauthorized'],
			[404, 'not-found'],
			[502, 'unavailable'],
			[416, 'invalid']
		] as const) {
			const err = await all(
				fetchJournal(status(s), 'https://admin.example.org', {}, { auth: { user: 'u', password: 'secret-pw' } })
			).catch((e) => e);
			expect(err).toBeInstanceOf(ProviderError);
			expect(err.code).toBe(code);
			expect(`${err.message} ${err.action}`).not.toContain('secret-pw');
		}
		const down = await all(
			fetchJournal(async () => Promise.reject(new TypeError('fetch failed')), 'https://x', {})
		).catch((e) => e);
		expect(down.code).toBe('network');
	});

	it('sends the built request and streams its answer', async () => {
		let seen: Request | undefined;
		const http = async (r: Request) => {
			seen = r;
			return new Response('{"__CURSOR":"a"}\n{"__CURSOR":"b"}\n', { status: 200 });
		};
		const got = (
			await all(fetchJournal(http, 'https://admin.example.org', { count: 2, matches: { PRIORITY: '3' } }))
		).flat();
		expect(got.map((e) => e.__CURSOR)).toEqual(['a', 'b']);
		expect(seen?.url).toBe('https://admin.example.org/journal/entries?PRIORITY=3');
		expect(seen?.headers.get('range')).toBe('entries=:0:2');
	});
});
