/**
 * The log client against the sandbox's stand-in journal (what `npm start` serves for sandbox
 * servers), so that the practice servers' logs read the same way as a real gatewayd's:
 * the newest lines, then following, with hostile messages shown as plain text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Journal, serveEntries } from '../../workers/sandbox/server/journal.ts';
import { fetchJournal } from '../../src/lib/adapters/server/journal.ts';
import { toLogLines } from '../../src/lib/core/logs/entry.ts';
import { LogIndex } from '../../src/lib/core/logs/filter.ts';

const journal = new Journal();
let server: Server;
let base: string;

beforeAll(async () => {
	for (let i = 0; i < 300; i++)
		journal.write(
			Date.now(),
			{ container: 'nassella-vaultwarden-1', identifier: 'vaultwarden', priority: i % 8 },
			`line ${i}`
		);
	journal.write(
		Date.now(),
		{ unit: 'nassella-sync.service', identifier: 'nassella-sync', priority: 3 },
		'\u001b[31m<script>alert(1)</script>\u001b[0m'
	);
	server = createServer((req, res) => {
		const url = new URL(req.url ?? '/', 'http://x');
		if (url.pathname !== '/journal/entries') return void res.writeHead(404).end();
		void serveEntries(journal, req, res, url.searchParams, { followMs: 10_000, pollMs: 20 });
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
	server.closeAllConnections();
	await new Promise((r) => server.close(r));
});

describe('log client against the sandbox journal', () => {
	it('reads the newest lines and follows new ones', async () => {
		const idx = new LogIndex();
		const ctl = new AbortController();
		const timer = setTimeout(() => ctl.abort(), 10_000);
		let wrote = false;
		try {
			for await (const batch of fetchJournal(fetch, base, { skip: -100, follow: true }, { signal: ctl.signal })) {
				idx.append(toLogLines(batch, ['vaultwarden']));
				if (!wrote && idx.size >= 100) {
					wrote = true;
					journal.write(Date.now(), { container: 'nassella-vaultwarden-1', identifier: 'vaultwarden' }, 'fresh line');
				}
				if (idx.filter({ text: 'fresh line' }).length === 1) ctl.abort();
			}
		} catch (e) {
			if (!ctl.signal.aborted) throw e;
		} finally {
			clearTimeout(timer);
		}
		expect(idx.filter({ text: 'fresh line' }).length).toBe(1);
		expect(idx.size).toBeGreaterThanOrEqual(101);
		expect(idx.size).toBeLessThanOrEqual(103);
		const hostile = idx.line(idx.filter({ app: '' })[0]!)!;
		expect(hostile).toMatchObject({
			app: '',
			unit: 'nassella-sync.service',
			level: 3,
			text: '<script>alert(1)</script>'
		});
		expect(idx.filter({ app: 'vaultwarden' }).length).toBe(idx.size - 1);
	});
});
