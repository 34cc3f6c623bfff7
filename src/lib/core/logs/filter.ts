/**
 * The lines the log view holds, and the filter over them (app, least severe level, text).
 * Built to answer per keystroke over 100,000 lines: each line's searchable text is
 * lower-cased once when it arrives, levels and apps sit in typed arrays, and a few recent
 * answers are kept: the same query again (a backspace) costs only the lines added since,
 * and a query that narrows a kept one (same app, same or stricter level, text that contains
 * the old text) looks only at that answer's matches and the lines added since.
 */
import type { LogLine } from './entry.ts';

export interface LogFilter {
	/** Show only this app ('' for the server's own services); undefined for every app. */
	app?: string;
	/** Show lines at this level or more severe (0–7; 7 shows everything). */
	maxLevel?: number;
	/** Case-insensitive text to find in the message or the unit. */
	text?: string;
}

/** Lines kept by default before the oldest are dropped. */
export const DEFAULT_CAPACITY = 200_000;

/** How many recent answers are kept (a few MB at most for 200,000 lines). */
const ANSWERS = 12;

interface Answer {
	q: Normal;
	upTo: number;
	hits: Uint32Array;
	count: number;
}

interface Normal {
	app: number; // -1: every app; -2: an app never seen (matches nothing)
	maxLevel: number;
	text: string;
}

export class LogIndex {
	readonly capacity: number;
	#lines: LogLine[] = [];
	#lower: string[] = [];
	#levels: Uint8Array;
	#apps: Uint16Array;
	#appIds = new Map<string, number>();
	#appNames: string[] = [];
	#cursors = new Set<string>();
	/** Bumped when old lines are dropped: earlier results no longer index the same lines. */
	#epoch = 0;

	/** Recent answers, newest first, for repeating and narrowing. Emptied when lines are dropped. */
	#answers: Answer[] = [];

	constructor(capacity = DEFAULT_CAPACITY) {
		this.capacity = Math.max(1, Math.floor(capacity));
		this.#levels = new Uint8Array(Math.min(this.capacity, 1024));
		this.#apps = new Uint16Array(Math.min(this.capacity, 1024));
	}

	get size(): number {
		return this.#lines.length;
	}

	/** Changes whenever old lines were dropped (indices from before refer to other lines). */
	get epoch(): number {
		return this.#epoch;
	}

	line(i: number): LogLine | undefined {
		return this.#lines[i];
	}

	/** The apps seen so far, in order of first appearance ('' is the server itself). */
	get apps(): readonly string[] {
		return this.#appNames;
	}

	/** The newest line's cursor, to resume a stream from. */
	get lastCursor(): string | undefined {
		for (let i = this.#lines.length - 1; i >= 0; i--) if (this.#lines[i]!.cursor) return this.#lines[i]!.cursor;
		return undefined;
	}

	/** Adds lines at the end; a cursor seen before is skipped (a resumed stream may repeat one). Returns how many were added. */
	append(lines: readonly LogLine[]): number {
		let added = 0;
		for (const l of lines) {
			if (l.cursor) {
				if (this.#cursors.has(l.cursor)) continue;
				this.#cursors.add(l.cursor);
			}
			const i = this.#lines.length;
			this.#ensure(i + 1);
			this.#lines.push(l);
			// Lower-casing the joined string also flattens it, so searching never has to.
			this.#lower.push((l.unit ? `${l.unit} ${l.text}` : l.text).toLowerCase());
			this.#levels[i] = l.level;
			this.#apps[i] = this.#appId(l.app);
			added++;
			if (this.#lines.length > this.capacity) this.#trim();
		}
		return added;
	}

	clear(): void {
		this.#lines = [];
		this.#lower = [];
		this.#cursors.clear();
		this.#answers = [];
		this.#epoch++;
	}

	/**
	 * Indices of the matching lines, oldest first. The array is shared with the index's
	 * cache of recent answers: read it, do not change it.
	 */
	filter(filter: LogFilter = {}): Uint32Array {
		const q = this.#normal(filter);
		const n = this.#lines.length;
		// The same query again (a backspace back to it, or new lines since): reuse its answer.
		// A query that narrows an earlier one: look only at that one's matches.
		let base: Answer | undefined;
		for (const a of this.#answers) {
			if (same(a.q, q)) {
				base = a;
				break;
			}
			if (narrows(a.q, q) && (!base || a.count + (n - a.upTo) < base.count + (n - base.upTo))) base = a;
		}
		let hits: Uint32Array;
		let count = 0;
		if (base && same(base.q, q) && base.upTo === n) {
			this.#remember(base);
			return base.hits.subarray(0, base.count);
		}
		if (base) {
			hits = new Uint32Array(Math.max(16, base.count + (n - base.upTo)));
			if (same(base.q, q)) {
				hits.set(base.hits.subarray(0, base.count));
				count = base.count;
			} else count = this.#scan(q, hits, 0, base.hits, 0, base.count);
			count = this.#scan(q, hits, count, undefined, base.upTo, n);
		} else {
			hits = new Uint32Array(Math.max(16, n));
			if (q.app !== -2) count = this.#scan(q, hits, 0, undefined, 0, n);
		}
		// Keep the answer in a tight array when it is much smaller than what was allocated.
		if (count < hits.length / 4) hits = hits.slice(0, Math.max(16, count));
		this.#remember({ q, upTo: n, hits, count });
		return hits.subarray(0, count);
	}

	#remember(a: Answer): void {
		const at = this.#answers.indexOf(a);
		if (at >= 0) this.#answers.splice(at, 1);
		this.#answers.unshift(a);
		if (this.#answers.length > ANSWERS) this.#answers.length = ANSWERS;
	}

	/**
	 * Appends to `out` (from `count`) the lines that match: those listed in `from[start..end)`,
	 * or without a list the lines start..end. One tight loop with everything in locals.
	 */
	#scan(q: Normal, out: Uint32Array, count: number, from: Uint32Array | undefined, start: number, end: number): number {
		const levels = this.#levels;
		const apps = this.#apps;
		const lower = this.#lower;
		const max = q.maxLevel;
		const app = q.app;
		const text = q.text;
		const anyApp = app === -1;
		const anyText = text === '';
		for (let k = start; k < end; k++) {
			const i = from ? from[k]! : k;
			if (levels[i]! > max) continue;
			if (!anyApp && apps[i] !== app) continue;
			if (!anyText && !lower[i]!.includes(text)) continue;
			out[count++] = i;
		}
		return count;
	}

	#normal(f: LogFilter): Normal {
		const app = f.app === undefined ? -1 : (this.#appIds.get(f.app) ?? -2);
		const lvl =
			f.maxLevel === undefined || !Number.isFinite(f.maxLevel) ? 7 : Math.min(7, Math.max(0, Math.trunc(f.maxLevel)));
		return { app, maxLevel: lvl, text: (f.text ?? '').toLowerCase() };
	}

	#appId(app: string): number {
		let id = this.#appIds.get(app);
		if (id === undefined) {
			// More distinct apps than a Uint16 holds cannot happen on one server; fold the rest together.
			id = Math.min(this.#appNames.length, 0xfffe);
			if (id === this.#appNames.length) this.#appNames.push(app);
			this.#appIds.set(app, id);
		}
		return id;
	}

	#ensure(n: number): void {
		if (n <= this.#levels.length) return;
		const size = Math.min(Math.max(n, this.#levels.length * 2), this.capacity + 1);
		const levels = new Uint8Array(size);
		levels.set(this.#levels);
		this.#levels = levels;
		const apps = new Uint16Array(size);
		apps.set(this.#apps);
		this.#apps = apps;
	}

	/** Drops the oldest tenth (at least the overflow) in one go, so trimming is rare. */
	#trim(): void {
		const drop = Math.max(this.#lines.length - this.capacity, Math.ceil(this.capacity / 10));
		for (let i = 0; i < drop; i++) {
			const c = this.#lines[i]!.cursor;
			if (c) this.#cursors.delete(c);
		}
		this.#lines.splice(0, drop);
		this.#lower.splice(0, drop);
		this.#levels.copyWithin(0, drop, drop + this.#lines.length);
		this.#apps.copyWithin(0, drop, drop + this.#lines.length);
		this.#epoch++;
		this.#answers = [];
	}
}

function narrows(prev: Normal, next: Normal): boolean {
	return prev.app === next.app && next.maxLevel <= prev.maxLevel && next.text.includes(prev.text);
}

function same(a: Normal, b: Normal): boolean {
	return a.app === b.app && a.maxLevel === b.maxLevel && a.text === b.text;
}
