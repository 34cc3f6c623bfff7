/**
 * The log client against the real systemd-journal-gatewayd: journal files built for the
 * test by systemd-journal-remote (100,000 entries over a few containers and units, with
 * hostile content), served by gatewayd on a UNIX socket (socket-activated, as on the
 * server), behind a small front that plays Caddy's part on the admin host (basic auth,
 * `handle_path /journal/*`, only Accept and Range passed on).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { fetchJournal, type StreamStats } from '../../src/lib/adapters/server/journal.ts';
import { toLogLines, type LogLine } from '../../src/lib/core/logs/entry.ts';
import { LogIndex } from '../../src/lib/core/logs/filter.ts';
import type { JournalQuery } from '../../src/lib/ports/server.ts';
import { GATEWAYD, writeJournal, type ExportEntry } from './journal-export.ts';

const TOTAL = 100_000;
const BOOT = '6d1c0a3e5f2b4c7d8e9f0a1b2c3d4e5f';
const MACHINE = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const T0 = 1_764_028_800_000_000; // µs
const APPS = ['vaultwarden', 'immich'];
const SOURCES = [
	{ container: 'nassella-vaultwarden-1' },
	{ container: 'nassella-immich-server-1' },
	{ container: 'nassella-immich-db-1' },
	{ container: 'nassella-caddy-1' },
	{ unit: 'nassella-sync.service' },
	{ unit: 'nassella-backup.service' }
] as const;
const USER = 'admin';
const PASSWORD = 'correct horse battery staple';

/** Hostile messages, every 1,000th entry. */
const HOSTILE: (string | Uint8Array)[] = [
	'<script>document.title="owned"</script>',
	'<img src=x onerror="alert(1)"><b>bold</b>',
	'\u001b[1;31mERROR\u001b[0m \u001b]8;;https://evil.example\u0007click\u001b]8;;\u0007 \u001b]0;title\u0007done',
	new Uint8Array([0x62, 0x69, 0x6e, 0x00, 0xff, 0xfe, 0x1b, 0x5b, 0x32, 0x4a, 0x3c, 0x69, 0x3e, 0x0a, 0x7a]),
	'multi\nline\r\nmessage\twith\u0007bell',
	'abc\u202egpj.exe'
];

function entry(i: number, base = 0): ExportEntry {
	const n = base + i;
	const src = SOURCES[n % SOURCES.length]!;
	const hostile = n % 1000 === 7 ? HOSTILE[((n / 1000) % HOSTILE.length) | 0] : undefined;
	const e: ExportEntry = {
		__REALTIME_TIMESTAMP: String(T0 + n * 1000),
		__MONOTONIC_TIMESTAMP: String(1_000_000 + n),
		_BOOT_ID: BOOT,
		_MACHINE_ID: MACHINE,
		_HOSTNAME: 'server',
		PRIORITY: String(n % 8),
		MESSAGE: hostile ?? `entry ${n} from ${'container' in src ? src.container : src.unit}`
	};
	if ('container' in src) {
		e._SYSTEMD_UNIT = 'docker.service';
		e.CONTAINER_NAME = src.container;
		e.CONTAINER_TAG = src.container.slice(0, 12);
		e.SYSLOG_IDENTIFIER = src.container.slice(0, 12);
	} else {
		e._SYSTEMD_UNIT = src.unit;
		e.SYSLOG_IDENTIFIER = src.unit.replace('.service', '');
	}
	return e;
}

function* entries(count: number, base = 0): Generator<ExportEntry> {
	for (let i = 0; i < count; i++) yield entry(i, base);
}

let dir: string;
let journal: string;
let gatewayd: ChildProcess;
let front: Server;
let base: string;

async function waitFor(check: () => boolean, what: string, ms = 10_000): Promise<void> {
	const end = Date.now() + ms;
	while (!check()) {
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

beforeAll(async () => {
	dir = mkdtempSync(join(tmpdir(), 'nassella-journal-'));
	mkdirSync(join(dir, 'journal'));
	journal = join(dir, 'journal', 'remote.journal');
	writeJournal(entries(TOTAL), join(dir, 'all.export'), journal);

	const socket = join(dir, 'gateway.sock');
	gatewayd = spawn('systemd-socket-activate', ['--listen', socket, GATEWAYD, `--directory=${join(dir, 'journal')}`], {
		stdio: ['ignore', 'ignore', 'pipe']
	});
	await waitFor(() => existsSync(socket), 'the gateway socket');

	// Caddy's part: basic auth, strip /journal, pass only Accept and Range, stream back.
	const expected = 'Basic ' + Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
	front = createServer((req, res) => {
		if (req.headers.authorization !== expected) {
			res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="nassella"' }).end();
			return;
		}
		if (req.method !== 'GET' || !req.url?.startsWith('/journal/')) {
			res.writeHead(404).end();
			return;
		}
		const headers: Record<string, string> = {};
		for (const h of ['accept', 'range']) if (typeof req.headers[h] === 'string') headers[h] = req.headers[h];
		const up = request({ socketPath: socket, path: req.url.slice('/journal'.length), headers }, (upRes) => {
			res.writeHead(upRes.statusCode ?? 502, { 'content-type': upRes.headers['content-type'] ?? 'text/plain' });
			upRes.pipe(res);
		});
		up.on('error', () => res.destroy());
		res.on('close', () => up.destroy());
		up.end();
	});
	await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
	base = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
}, 120_000);

afterAll(async () => {
	front?.closeAllConnections();
	await new Promise((r) => front?.close(r));
	gatewayd?.kill('SIGTERM');
	if (dir) rmSync(dir, { recursive: true, force: true });
});

let batches = 0;
async function read(query: JournalQuery, opts: { signal?: AbortSignal; stats?: StreamStats; password?: string } = {}) {
	const lines: LogLine[] = [];
	batches = 0;
	for await (const batch of fetchJournal(fetch, base, query, {
		auth: { user: USER, password: opts.password ?? PASSWORD },
		signal: opts.signal,
		stats: opts.stats
	})) {
		batches++;
		lines.push(...toLogLines(batch, APPS));
	}
	return lines;
}

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/;

describe('log client against the real systemd-journal-gatewayd', () => {
	let everything: LogLine[];

	it('reads all 100,000 entries, in order, as log lines', async () => {
		const stats: StreamStats = { bytes: 0, entries: 0, skipped: 0, truncated: false };
		everything = await read({}, { stats });
		expect(everything.length).toBe(TOTAL);
		expect(stats).toMatchObject({ entries: TOTAL, skipped: 0, truncated: false });
		// Handed over in batches, not entry by entry.
		expect(batches).toBeLessThan(TOTAL / 20);
		expect(everything[0]).toMatchObject({
			time: T0 / 1000,
			level: 0,
			app: 'vaultwarden',
			unit: 'nassella-vaultwarden-1',
			text: 'entry 0 from nassella-vaultwarden-1'
		});
		expect(everything[4]).toMatchObject({ app: '', unit: 'nassella-sync.service', level: 4 });
		expect(everything[2]).toMatchObject({ app: 'immich', unit: 'nassella-immich-db-1' });
		expect(everything[TOTAL - 1]!.time).toBe((T0 + (TOTAL - 1) * 1000) / 1000);
		expect(new Set(everything.map((l) => l.cursor)).size).toBe(TOTAL);

		// The same counts as the entries written, through the log filter.
		const written = [...entries(TOTAL)];
		const count = (f: (e: ExportEntry) => boolean) => written.filter(f).length;
		const idx = new LogIndex();
		idx.append(everything);
		expect(idx.filter({ app: 'immich' }).length).toBe(
			count((e) => String(e.CONTAINER_NAME).startsWith('nassella-immich-'))
		);
		expect(idx.filter({ app: '' }).length).toBe(count((e) => e.CONTAINER_NAME === undefined));
		expect(idx.filter({ app: 'caddy', maxLevel: 3 }).length).toBe(
			count((e) => e.CONTAINER_NAME === 'nassella-caddy-1' && Number(e.PRIORITY) <= 3)
		);
		expect(idx.filter({ maxLevel: 3 }).length).toBe(TOTAL / 2);
		expect(idx.filter({ text: 'ENTRY 4242 ' }).length).toBe(1);
		expect(idx.filter({ text: 'backup' }).length).toBe(count((e) => e._SYSTEMD_UNIT === 'nassella-backup.service'));
	}, 120_000);

	it('narrows on the server by container, unit and priority', async () => {
		const vw = await read({ matches: { CONTAINER_NAME: 'nassella-vaultwarden-1' } });
		expect(vw.length).toBe([...entries(TOTAL)].filter((e) => e.CONTAINER_NAME === 'nassella-vaultwarden-1').length);
		expect(vw.every((l) => l.app === 'vaultwarden')).toBe(true);
		const sync = await read({ matches: { _SYSTEMD_UNIT: 'nassella-sync.service', PRIORITY: '4' } });
		// Entries whose index is 4 mod 6 and 4 mod 8: 4 mod 24.
		expect(sync.length).toBe(Math.floor((TOTAL - 4 - 1) / 24) + 1);
		expect(sync.every((l) => l.unit === 'nassella-sync.service' && l.level === 4)).toBe(true);
		expect(await read({ matches: { CONTAINER_NAME: 'nassella-nothing-1' } })).toEqual([]);
	}, 60_000);

	it('pages with Range: a count from the start, and on from a cursor', async () => {
		const first = await read({ skip: 0, count: 100 });
		expect(first.map((l) => l.time)).toEqual(everything.slice(0, 100).map((l) => l.time));
		const next = await read({ cursor: first[99]!.cursor, count: 50 });
		expect(next.map((l) => l.cursor)).toEqual(everything.slice(100, 150).map((l) => l.cursor));
		// The newest entries: gatewayd 252 counts a negative skip from the entry before the
		// end, so it sends one more than asked for; either way the newest entry comes last.
		const tail = await read({ skip: -10 });
		expect(tail.length).toBeGreaterThanOrEqual(10);
		expect(tail.length).toBeLessThanOrEqual(11);
		expect(tail.map((l) => l.cursor)).toEqual(everything.slice(-tail.length).map((l) => l.cursor));
	}, 60_000);

	it('shows hostile content as plain, inert text', () => {
		const hostile = everything.filter((_, i) => i % 1000 === 7);
		expect(hostile.length).toBe(TOTAL / 1000);
		const texts = new Set(hostile.map((l) => l.text));
		expect(texts).toContain('<script>document.title="owned"</script>');
		expect(texts).toContain('<img src=x onerror="alert(1)"><b>bold</b>');
		expect(texts).toContain('ERROR click done');
		expect(texts).toContain('bin\ufffd\ufffd<i> z');
		expect(texts).toContain('multi line message withbell');
		expect(texts).toContain('abcgpj.exe');
		for (const l of everything) expect(UNSAFE.test(l.text)).toBe(false);
	});

	it('refuses a wrong admin password with a plain error', async () => {
		const err = await read({ count: 1 }, { password: 'wrong' }).catch((e: unknown) => e);
		expect(err).toMatchObject({ code: 'unauthorized', provider: 'your server' });
	});

	it('follows: new entries arrive on the open stream, and an abort ends it', async () => {
		const ctl = new AbortController();
		const last = everything.at(-1)!.cursor;
		const idx = new LogIndex();
		idx.append([everything.at(-1)!]);
		const timer = setTimeout(() => ctl.abort(), 30_000);
		let fresh: LogLine[] = [];
		const follow = (async () => {
			for await (const batch of fetchJournal(
				fetch,
				base,
				{ follow: true, cursor: last },
				{ auth: { user: USER, password: PASSWORD }, signal: ctl.signal }
			)) {
				// With nothing after the cursor gatewayd sends the cursor's own entry again; the index skips repeats.
				idx.append(toLogLines(batch, APPS));
				fresh = [...idx.filter()].slice(1).map((i) => idx.line(i)!);
				if (fresh.length >= 3) ctl.abort();
			}
		})();
		try {
			await new Promise((r) => setTimeout(r, 500));
			expect(fresh).toEqual([]); // nothing new yet: the stream waits
			writeJournal(entries(3, TOTAL), join(dir, 'more.export'), journal);
			await expect(follow).rejects.toThrow(/abort/i);
		} finally {
			ctl.abort();
			clearTimeout(timer);
			await follow.catch(() => {});
		}
		expect(fresh.map((l) => l.text)).toEqual(
			[0, 1, 2].map((i) => {
				const src = SOURCES[(TOTAL + i) % SOURCES.length]!;
				return `entry ${TOTAL + i} from ${'container' in src ? src.container : src.unit}`;
			})
		);
	}, 60_000);
});
