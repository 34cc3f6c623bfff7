/**
 * A server's journal in the shape systemd-journal-gatewayd serves it with
 * `Accept: application/json`: one JSON object per line, every value a string, with
 * `__CURSOR`, `__REALTIME_TIMESTAMP` (µs), `PRIORITY`, `MESSAGE`, `_SYSTEMD_UNIT`,
 * `CONTAINER_NAME`, `SYSLOG_IDENTIFIER`, `_BOOT_ID`, `_TRANSPORT`. `serveEntries` reads
 * the request as gatewayd does: `Range: entries=<cursor>[[:<skip>]:<count>]`, `?follow`,
 * and `FIELD=value` matches (the same field twice: either value; different fields: all).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type JournalEntry = Record<string, string>;

export interface LineSource {
	unit?: string;
	container?: string;
	identifier: string;
	priority?: number;
	transport?: 'journal' | 'stdout' | 'kernel';
}

/** Gatewayd's field names: only these may be matched here. */
const FIELD = /^[A-Z0-9_]{1,64}$/;
const MAX_ENTRIES = 20_000;

export class Journal {
	readonly entries: JournalEntry[] = [];
	readonly #seqnumId = randomBytes(16).toString('hex');
	readonly #bootId = randomBytes(16).toString('hex');
	#seq = 0;
	#listeners = new Set<() => void>();

	get bootId(): string {
		return this.#bootId;
	}

	write(at: number, source: LineSource, message: string): void {
		this.#seq++;
		const usec = String(Math.max(0, Math.floor(at)) * 1000);
		const seqHex = this.#seq.toString(16);
		const entry: JournalEntry = {
			__CURSOR: `s=${this.#seqnumId};i=${seqHex};b=${this.#bootId};m=${seqHex};t=${Number(usec).toString(16)};x=${seqHex}`,
			__REALTIME_TIMESTAMP: usec,
			__MONOTONIC_TIMESTAMP: String(this.#seq * 1000),
			_BOOT_ID: this.#bootId,
			PRIORITY: String(source.priority ?? 6),
			_TRANSPORT: source.transport ?? (source.container ? 'journal' : 'stdout'),
			SYSLOG_IDENTIFIER: source.identifier,
			MESSAGE: message,
			_HOSTNAME: 'nassella'
		};
		if (source.unit) entry._SYSTEMD_UNIT = source.unit;
		if (source.container) entry.CONTAINER_NAME = source.container;
		this.entries.push(entry);
		if (this.entries.length > MAX_ENTRIES) this.entries.splice(0, this.entries.length - MAX_ENTRIES);
		for (const l of this.#listeners) l();
	}

	onWrite(listener: () => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}
}

export interface Range {
	cursor: string;
	skip?: number;
	count?: number;
}

/** Reads `entries=<cursor>[[:<skip>]:<count>]`; undefined when malformed. */
export function parseRange(header: string | undefined): Range | undefined | 'bad' {
	if (header === undefined || header === '') return undefined;
	const m = /^entries=([^:]*)(?::(-?[0-9]*))?(?::([0-9]*))?$/.exec(header.trim());
	if (!m) return 'bad';
	const [, cursor, a, b] = m;
	// Two numbers: skip and count; one: count.
	if (b !== undefined) return { cursor: cursor!, skip: a ? Number(a) : undefined, count: b ? Number(b) : undefined };
	return { cursor: cursor!, count: a ? Number(a) : undefined };
}

export function parseMatches(search: URLSearchParams): Map<string, string[]> | 'bad' {
	const matches = new Map<string, string[]>();
	for (const [k, v] of search) {
		if (k === 'follow' || k === 'discrete' || k === 'boot') continue;
		if (!FIELD.test(k)) return 'bad';
		matches.set(k, [...(matches.get(k) ?? []), v]);
	}
	return matches;
}

function matchesAll(e: JournalEntry, matches: Map<string, string[]>): boolean {
	for (const [field, values] of matches) if (!values.includes(e[field] ?? '\u0000none')) return false;
	return true;
}

/** The entries a request selects now (no follow). */
export function select(journal: Journal, range: Range | undefined, matches: Map<string, string[]>): JournalEntry[] {
	const list = journal.entries.filter((e) => matchesAll(e, matches));
	let start: number;
	const skip = range?.skip ?? 0;
	if (range?.cursor) {
		const at = list.findIndex((e) => e.__CURSOR === range.cursor);
		// A cursor that is gone (rotated away) starts at the oldest entry.
		start = at === -1 ? 0 : at + skip;
	} else if (skip < 0) start = list.length + skip;
	else start = skip;
	start = Math.max(0, start);
	const end = range?.count !== undefined ? start + range.count : list.length;
	return list.slice(start, end);
}

export interface ServeOptions {
	/** Called before each read, so the simulated server can catch up with time. */
	refresh?: () => Promise<void>;
	/** Longest a followed answer stays open. */
	followMs?: number;
	pollMs?: number;
}

/** Answers `/entries` like gatewayd (JSON lines; plain text for any other Accept). */
export async function serveEntries(
	journal: Journal,
	req: IncomingMessage,
	res: ServerResponse,
	search: URLSearchParams,
	options: ServeOptions = {}
): Promise<void> {
	const range = parseRange(req.headers.range);
	const matches = parseMatches(search);
	if (range === 'bad' || matches === 'bad') {
		res.writeHead(400, { 'content-type': 'text/plain' }).end('Failed to parse Range header.\n');
		return;
	}
	const json = (req.headers.accept ?? '').includes('application/json');
	const line = (e: JournalEntry) => (json ? `${JSON.stringify(e)}\n` : `${e.MESSAGE}\n`);
	await options.refresh?.();
	const first = select(journal, range, matches);
	const follow = search.has('follow');
	res.writeHead(200, { 'content-type': json ? 'application/json' : 'text/plain', 'cache-control': 'no-store' });
	if (!follow) {
		res.end(first.map(line).join(''));
		return;
	}
	res.write(first.map(line).join(''));
	let remaining = range?.count !== undefined ? range.count - first.length : Infinity;
	let last = first.at(-1)?.__CURSOR ?? journal.entries.at(-1)?.__CURSOR;
	const until = Date.now() + (options.followMs ?? 60_000);
	const pollMs = options.pollMs ?? 250;
	let closed = false;
	res.on('close', () => (closed = true));
	while (!closed && remaining > 0 && Date.now() < until) {
		await new Promise((r) => setTimeout(r, pollMs));
		if (closed) break;
		await options.refresh?.();
		const all = journal.entries;
		const from = last ? all.findIndex((e) => e.__CURSOR === last) + 1 : 0;
		const fresh = all
			.slice(Math.max(0, from))
			.filter((e) => matchesAll(e, matches))
			.slice(0, remaining);
		if (all.length) last = all.at(-1)!.__CURSOR;
		if (fresh.length) {
			remaining -= fresh.length;
			res.write(fresh.map(line).join(''));
		}
	}
	res.end();
}
