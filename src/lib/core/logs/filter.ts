/**
 * The lines the log view holds, and the filter over them (app, least severe level, text).
 * Built to answer per keystroke over 100,000 lines: each line's searchable text is
 * lower-cased once when it arrives, levels and apps sit in typed arrays, and when a new
 * query only narrows the previous one (same app, same or stricter level, text that
 * contains the old text), only the previous matches and the lines added since are looked at.
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

	// The previous answer, for narrowing.
	#last: { q: Normal; epoch: number; upTo: number; hits: Uint32Array; count: number } | undefined;

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
			this.#lower.push(l.unit ? `${l.unit.toLowerCase()} ${l.text.toLowerCase()}` : l.text.toLowerCase());
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
		this.#last = undefined;
		this.#epoch++;
	}

	/**
	 * Indices of the matching lines, oldest first. The returned array may be reused by
	 * the next call that narrows this one: copy it to keep it.
	 */
	filter(filter: LogFilter = {}): Uint32Array {
		const q = this.#normal(filter);
		const n = this.#lines.length;
		const last = this.#last;
		let hits: Uint32Array;
		let count = 0;
		if (last && last.epoch === this.#epoch && narrows(last.q, q)) {
			// Only the earlier matches, then the lines that arrived since.
			hits =
				last.hits.length >= last.count + (n - last.upTo) ? last.hits : grow(last.hits, last.count + (n - last.upTo));
			const prev = last.hits;
			for (let k = 0; k < last.count; k++) {
				const i = prev[k]!;
				if (this.#match(i, q)) hits[count++] = i;
			}
			for (let i = last.upTo; i < n; i++) if (this.#match(i, q)) hits[count++] = i;
		} else {
			hits = new Uint32Array(Math.max(16, n));
			if (q.app !== -2) for (let i = 0; i < n; i++) if (this.#match(i, q)) hits[count++] = i;
		}
		this.#last = { q, epoch: this.#epoch, upTo: n, hits, count };
		return hits.subarray(0, count);
	}

	#match(i: number, q: Normal): boolean {
		if (this.#levels[i]! > q.maxLevel) return false;
		if (q.app !== -1 && this.#apps[i] !== q.app) return false;
		return q.text === '' || this.#lower[i]!.includes(q.text);
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
		this.#last = undefined;
	}
}

function narrows(prev: Normal, next: Normal): boolean {
	return prev.app === next.app && next.maxLevel <= prev.maxLevel && next.text.includes(prev.text);
}

function grow(a: Uint32Array, n: number): Uint32Array {
	const b = new Uint32Array(Math.max(n, a.length * 2));
	b.set(a);
	return b;
}
