import { describe, expect, it } from 'vitest';
import { ProviderError } from '../core/errors.ts';
import type { JournalQuery } from '../ports/server.ts';
import { LogsState } from './logs.svelte.ts';

const entry = (n: number, extra: Record<string, unknown> = {}) => ({
	__CURSOR: `c${n}`,
	__REALTIME_TIMESTAMP: String(1_764_028_800_000_000 + n),
	PRIORITY: String(n % 8),
	CONTAINER_NAME: n % 2 ? 'nassella-immich-server-1' : 'nassella-vaultwarden-1',
	MESSAGE: `line ${n}`,
	...extra
});

const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, ms = 2000): Promise<void> {
	const end = Date.now() + ms;
	while (!check()) {
		if (Date.now() > end) throw new Error('timed out');
		await tick();
	}
}

/** A journal double: answers each query from a script, records the queries and signals. */
function journal(answers: ((q: JournalQuery) => Record<string, unknown>[][] | Error | 'hang')[]) {
	const queries: JournalQuery[] = [];
	const signals: AbortSignal[] = [];
	const fn = (q: JournalQuery, signal?: AbortSignal): AsyncIterable<Record<string, unknown>[]> => {
		queries.push(q);
		if (signal) signals.push(signal);
		const answer = answers[Math.min(queries.length - 1, answers.length - 1)]!(q);
		return (async function* () {
			if (answer instanceof Error) throw answer;
			if (answer === 'hang') {
				await new Promise((_, reject) => signal?.addEventListener('abort', () => reject(signal.reason)));
				return;
			}
			for (const b of answer) {
				await tick(1);
				yield b;
			}
		})();
	};
	return { fn, queries, signals };
}

describe('log view state', () => {
	it('loads the newest lines, then follows on from the last cursor when the stream ends', async () => {
		const j = journal([
			() => [[entry(1), entry(2)], [entry(3)]],
			// gatewayd sends the cursor's own entry again when nothing follows it
			() => [[entry(3), entry(4)]],
			() => 'hang'
		]);
		const v = new LogsState(j.fn, { initial: 500, refreshMs: 0, backoffMs: 1, appIds: ['immich', 'vaultwarden'] });
		v.start();
		await until(() => v.total === 4 && v.matches.length === 4 && j.queries.length >= 3);
		expect(j.queries[0]).toEqual({ skip: -500, follow: true });
		expect(j.queries[1]).toEqual({ cursor: 'c3', follow: true });
		expect(j.queries[2]).toEqual({ cursor: 'c4', follow: true });
		expect(v.status).toBe('connecting');
		expect(v.apps).toEqual(['immich', 'vaultwarden']);
		v.app = 'immich';
		expect([...v.matches].map((i) => v.index.line(i)!.text)).toEqual(['line 1', 'line 3']);
		v.app = undefined;
		v.text = 'LINE 4';
		expect(v.matches.length).toBe(1);
		v.stop();
		expect(j.signals.every((s) => s.aborted)).toBe(true);
		expect(v.status).toBe('ended');
	});

	it('holds new lines while paused, and shows them on follow', async () => {
		let push: ((b: Record<string, unknown>[]) => void) | undefined;
		const fn = (_q: JournalQuery, signal?: AbortSignal) =>
			(async function* () {
				while (!signal?.aborted) yield await new Promise<Record<string, unknown>[]>((r) => (push = r));
			})();
		const v = new LogsState(fn, { refreshMs: 0 });
		v.start();
		await until(() => push !== undefined);
		push!([entry(1)]);
		await until(() => v.matches.length === 1);
		v.pause();
		const version = v.version;
		push!([entry(2), entry(3)]);
		await until(() => v.waiting === 2);
		await tick(20);
		expect(v.version).toBe(version);
		v.follow();
		expect(v.waiting).toBe(0);
		expect(v.matches.length).toBe(3);
		v.stop();
	});

	it('gives up at once on a wrong password, with the plain message', async () => {
		const j = journal([
			() =>
				new ProviderError({
					code: 'unauthorized',
					provider: 'your server',
					message: 'Your server did not accept its admin password.',
					action: 'Import the newest export of your vault.'
				})
		]);
		const v = new LogsState(j.fn, { backoffMs: 1 });
		v.start();
		await until(() => v.status === 'error');
		expect(v.error).toBe('Your server did not accept its admin password. Import the newest export of your vault.');
		expect(j.queries.length).toBe(1);
	});

	it('retries a broken connection a few times, then says so', async () => {
		const down = new ProviderError({
			code: 'network',
			provider: 'your server',
			message: 'Unreachable.',
			action: 'Wait.'
		});
		const j = journal([() => [[entry(1)]], () => down]);
		const v = new LogsState(j.fn, { backoffMs: 1, retries: 3, refreshMs: 0 });
		v.start();
		await until(() => v.status === 'error');
		// The end of the first answer counts as the first try, then three more.
		expect(j.queries.length).toBe(4);
		expect(j.queries.slice(1).every((q) => q.cursor === 'c1')).toBe(true);
		expect(v.total).toBe(1);
		// Follow starts again.
		v.follow();
		await until(() => j.queries.length > 4);
		v.stop();
	});
});
