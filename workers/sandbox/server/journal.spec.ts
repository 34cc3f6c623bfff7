import { describe, expect, it } from 'vitest';
import { Journal, parseMatches, parseRange, select } from './journal.ts';

function journal(n: number) {
	const j = new Journal();
	for (let i = 0; i < n; i++)
		j.write(
			1_700_000_000_000 + i,
			i % 2
				? { identifier: 'nassella-sync', unit: 'nassella-sync.service' }
				: { identifier: 'memos', container: 'nassella-memos-1' },
			`line ${i}`
		);
	return j;
}

describe('sandbox journal (gatewayd shape)', () => {
	it('reads Range as gatewayd does', () => {
		expect(parseRange(undefined)).toBeUndefined();
		expect(parseRange('entries=:-5:5')).toEqual({ cursor: '', skip: -5, count: 5 });
		expect(parseRange('entries=abc:10')).toEqual({ cursor: 'abc', count: 10 });
		expect(parseRange('entries=abc:1:')).toEqual({ cursor: 'abc', skip: 1, count: undefined });
		expect(parseRange('bytes=0-10')).toBe('bad');
	});

	it('selects from the start, the end, or after a cursor, with field matches', () => {
		const j = journal(10);
		const all = j.entries;
		expect(select(j, undefined, new Map()).map((e) => e.MESSAGE)).toEqual(all.map((e) => e.MESSAGE));
		expect(select(j, { cursor: '', skip: -3, count: 3 }, new Map()).map((e) => e.MESSAGE)).toEqual([
			'line 7',
			'line 8',
			'line 9'
		]);
		expect(select(j, { cursor: all[2]!.__CURSOR!, skip: 1, count: 2 }, new Map()).map((e) => e.MESSAGE)).toEqual([
			'line 3',
			'line 4'
		]);
		const m = parseMatches(new URLSearchParams('follow&CONTAINER_NAME=nassella-memos-1'));
		expect(m).not.toBe('bad');
		const memos = select(j, undefined, m as Map<string, string[]>);
		expect(memos).toHaveLength(5);
		expect(memos.every((e) => e.CONTAINER_NAME === 'nassella-memos-1')).toBe(true);
		expect(parseMatches(new URLSearchParams('bad-field=1'))).toBe('bad');
	});

	it('writes every value as a string, with cursors in order', () => {
		const j = journal(3);
		for (const e of j.entries) for (const v of Object.values(e)) expect(typeof v).toBe('string');
		expect(new Set(j.entries.map((e) => e.__CURSOR)).size).toBe(3);
		expect(Number(j.entries[1]!.__REALTIME_TIMESTAMP)).toBeGreaterThan(Number(j.entries[0]!.__REALTIME_TIMESTAMP));
	});
});
