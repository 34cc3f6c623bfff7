import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { LogLine } from './entry.ts';
import { LogIndex, type LogFilter } from './filter.ts';

let seq = 0;
function line(
	app: string,
	level: number,
	text: string,
	unit = app ? `nassella-${app}-1` : 'nassella-sync.service'
): LogLine {
	seq++;
	return { cursor: `c${seq}`, time: seq, level, app, unit, text };
}

function naive(lines: readonly LogLine[], f: LogFilter): number[] {
	const out: number[] = [];
	const t = (f.text ?? '').toLowerCase();
	lines.forEach((l, i) => {
		if (f.app !== undefined && l.app !== f.app) return;
		if (l.level > (f.maxLevel ?? 7)) return;
		if (t && !`${l.unit} ${l.text}`.toLowerCase().includes(t)) return;
		out.push(i);
	});
	return out;
}

describe('log filter', () => {
	it('filters by app, level and text, case-insensitively', () => {
		const idx = new LogIndex();
		idx.append([line('vaultwarden', 6, 'Started OK'), line('nextcloud', 3, 'DB error'), line('', 4, 'sync Warning')]);
		expect([...idx.filter({ app: 'nextcloud' })]).toEqual([1]);
		expect([...idx.filter({ maxLevel: 4 })]).toEqual([1, 2]);
		expect([...idx.filter({ text: 'WARN' })]).toEqual([2]);
		expect([...idx.filter({ text: 'vaultwarden' })]).toEqual([0]); // the unit is searchable too
		expect([...idx.filter({ app: '' })]).toEqual([2]);
		expect([...idx.filter({ app: 'not-there' })]).toEqual([]);
		expect(idx.apps).toEqual(['vaultwarden', 'nextcloud', '']);
	});

	it('skips entries it already has (a resumed stream repeats its first entry)', () => {
		const idx = new LogIndex();
		const a = line('x', 6, 'a');
		expect(idx.append([a, line('x', 6, 'b')])).toBe(2);
		expect(idx.append([a])).toBe(0);
		expect(idx.size).toBe(2);
		expect(idx.lastCursor).toBe(`c${seq}`);
	});

	it('drops the oldest lines past its capacity, and still filters right', () => {
		const idx = new LogIndex(100);
		const all: LogLine[] = [];
		for (let i = 0; i < 250; i++) all.push(line(i % 2 ? 'a' : 'b', i % 8, `n${i}`));
		for (let i = 0; i < 250; i += 25) idx.append(all.slice(i, i + 25));
		expect(idx.size).toBeLessThanOrEqual(100);
		const kept = all.slice(250 - idx.size);
		expect(idx.line(0)).toBe(kept[0]);
		expect([...idx.filter({ app: 'a', text: 'N2' })]).toEqual(naive(kept, { app: 'a', text: 'N2' }));
	});

	it('gives the same answer as a plain scan for any sequence of queries and appends (property)', () => {
		const apps = ['', 'vaultwarden', 'immich', 'caddy'];
		const text = fc.string({ unit: fc.constantFrom('a', 'B', 'é', 'É', ' ', '<', '\u0130', 'ß'), maxLength: 12 });
		const step = fc.oneof(
			fc.record({
				kind: fc.constant('add' as const),
				lines: fc.array(fc.tuple(fc.constantFrom(...apps), fc.integer({ min: 0, max: 7 }), text), { maxLength: 20 })
			}),
			fc.record({
				kind: fc.constant('query' as const),
				app: fc.option(fc.constantFrom(...apps, 'missing'), { nil: undefined }),
				maxLevel: fc.option(fc.integer({ min: 0, max: 7 }), { nil: undefined }),
				// Typing: extend, shorten or replace the text.
				text
			})
		);
		fc.assert(
			fc.property(fc.array(step, { maxLength: 30 }), fc.integer({ min: 5, max: 60 }), (steps, capacity) => {
				const idx = new LogIndex(capacity);
				let all: LogLine[] = [];
				let typed = '';
				for (const s of steps) {
					if (s.kind === 'add') {
						const ls = s.lines.map(([a, l, t]) => line(a, l, t));
						idx.append(ls);
						all = all.concat(ls);
						all = all.slice(all.length - idx.size);
					} else {
						// Half the time, type on from the last query, as a person does.
						typed = s.text.length % 2 ? typed + s.text : s.text;
						const f = { app: s.app, maxLevel: s.maxLevel, text: typed };
						expect([...idx.filter(f)]).toEqual(naive(all, f));
					}
				}
			}),
			{ numRuns: 500 }
		);
	});

	it('narrows as the query grows, with hostile text in the lines', () => {
		const idx = new LogIndex();
		const ls = ['<script>alert(1)</script>', 'ALERT level', 'nothing', '\u0130stanbul'].map((t) =>
			line('x', 6, t, 'web')
		);
		idx.append(ls);
		expect([...idx.filter({ text: 'a' })]).toEqual(naive(ls, { text: 'a' }));
		expect([...idx.filter({ text: 'al' })]).toEqual([0, 1]);
		expect([...idx.filter({ text: 'ale' })]).toEqual([0, 1]);
		idx.append([line('x', 6, 'alerted again', 'web')]);
		expect([...idx.filter({ text: 'aler' })]).toEqual([0, 1, 4]);
		expect([...idx.filter({ text: '<script' })]).toEqual([0]);
		expect([...idx.filter({ text: '' })]).toEqual([0, 1, 2, 3, 4]);
	});
});
