/**
 * The journal of a person's server, read from systemd-journal-gatewayd behind the admin
 * host (`/journal/*` on the admin host is gatewayd, behind Caddy's basic auth).
 *
 * `journalRequest` builds the request (path, Accept, Range, `?follow`, field matches);
 * `readJournalStream` reads the streamed answer (one JSON object per line) in batches, with
 * bounded line length and total size, and stops when the signal aborts;
 * `fetchJournal` does both through an HttpClient and maps failures to ProviderError.
 */
import { codeForStatus, DEFAULT_ACTIONS, ProviderError } from '../../core/errors.ts';
import { toBase64 } from '../../core/base64.ts';
import type { HttpClient } from '../../ports/http.ts';
import type { JournalQuery } from '../../ports/server.ts';

export interface JournalRequest {
	url: string;
	headers: Record<string, string>;
}

/** Journal field names, as journald allows them (upper case, digits, underscore). */
const FIELD = /^[A-Z0-9_]{1,64}$/;
/** gatewayd cursors: `s=…;i=…;b=…;m=…;t=…;x=…` (printable, no spaces or commas). */
const CURSOR = /^[A-Za-z0-9=;_-]{1,512}$/;
const MAX_MATCH = 256;

export class JournalQueryError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'JournalQueryError';
	}
}

function basic(user: string, password: string): string {
	return `Basic ${toBase64(new TextEncoder().encode(`${user}:${password}`))}`;
}

/**
 * The request for `query` against an admin host whose base is `base` (for example
 * `/sandbox/server/admin.example.org`, `<relay>/server/admin.example.org` or
 * `https://admin.example.org`): `GET <base>/journal/entries`.
 *
 * Range is `entries=<cursor>:<skip>:<count>`. After a cursor the default skip is 1, so the
 * entry the cursor names is not sent again. With `follow` gatewayd keeps the answer open;
 * a count would end it after that many entries, so leave it out to follow for good.
 */
export function journalRequest(
	base: string,
	query: JournalQuery,
	auth?: { user: string; password: string }
): JournalRequest {
	const params: string[] = [];
	if (query.follow) params.push('follow');
	for (const [field, value] of Object.entries(query.matches ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
		if (!FIELD.test(field)) throw new JournalQueryError(`"${field.slice(0, 40)}" is not a journal field name.`);
		// eslint-disable-next-line no-control-regex
		if (value.length > MAX_MATCH || /[\u0000-\u001f\u007f]/.test(value))
			throw new JournalQueryError(`The value to match for ${field} is too long or has control characters.`);
		params.push(`${field}=${encodeURIComponent(value)}`);
	}
	const headers: Record<string, string> = { Accept: 'application/json' };
	const { cursor, skip, count } = query;
	if (cursor !== undefined && !CURSOR.test(cursor)) throw new JournalQueryError('The journal cursor is malformed.');
	for (const [n, what] of [
		[skip, 'skip'],
		[count, 'count']
	] as const)
		if (n !== undefined && (!Number.isSafeInteger(n) || Math.abs(n) > 10_000_000))
			throw new JournalQueryError(`The journal ${what} must be a whole number.`);
	if (count !== undefined && count <= 0) throw new JournalQueryError('The journal count must be at least 1.');
	if (cursor !== undefined || skip !== undefined || count !== undefined) {
		const s = skip ?? (cursor !== undefined ? 1 : 0);
		headers.Range = `entries=${cursor ?? ''}:${s}:${count ?? ''}`;
	}
	if (auth) headers.Authorization = basic(auth.user, auth.password);
	const root = base.replace(/\/+$/, '');
	return { url: `${root}/journal/entries${params.length ? '?' + params.join('&') : ''}`, headers };
}

export interface StreamLimits {
	/** A longer line is skipped (and counted in `stats.skipped`). Default 1 MiB. */
	maxLineBytes?: number;
	/** Reading stops after this many bytes (`stats.truncated`). Default 512 MiB. */
	maxTotalBytes?: number;
	/** Entries per batch at most. Default 5,000. */
	maxBatch?: number;
	/**
	 * How long a batch may wait for more data before it is handed over. gatewayd writes
	 * about one entry per chunk; this keeps a fast stream from becoming 100,000 batches of
	 * one while a quiet follow stream still delivers each entry promptly. Default 50 ms.
	 */
	maxWaitMs?: number;
}

export interface StreamStats {
	bytes: number;
	entries: number;
	/** Lines that were too long, not JSON, or not an object. */
	skipped: number;
	/** Reading stopped at maxTotalBytes. */
	truncated: boolean;
}

const NL = 0x0a;

function abortError(signal: AbortSignal): unknown {
	return signal.reason ?? new DOMException('The operation was aborted.', 'AbortError');
}

/**
 * Reads gatewayd's JSON answer (one object per line) as batches of entries, a batch per
 * chunk the network delivers (split at maxBatch). Lines are split on bytes, so a
 * multi-byte character split between chunks is decoded whole.
 */
export async function* readJournalStream(
	body: ReadableStream<Uint8Array>,
	options: StreamLimits & { signal?: AbortSignal; stats?: StreamStats } = {}
): AsyncGenerator<Record<string, unknown>[], void, undefined> {
	const maxLine = options.maxLineBytes ?? 1024 * 1024;
	const maxTotal = options.maxTotalBytes ?? 512 * 1024 * 1024;
	const maxBatch = Math.max(1, options.maxBatch ?? 5000);
	const maxWait = Math.max(0, options.maxWaitMs ?? 50);
	const stats = options.stats ?? { bytes: 0, entries: 0, skipped: 0, truncated: false };
	const signal = options.signal;
	const decoder = new TextDecoder('utf-8', { fatal: false });
	const reader = body.getReader();
	const onAbort = () => void reader.cancel().catch(() => {});
	signal?.addEventListener('abort', onAbort, { once: true });

	let pending: Uint8Array[] = [];
	let pendingBytes = 0;
	let dropping = false; // inside a line that is already too long
	let batch: Record<string, unknown>[] = [];

	const take = (bytes: Uint8Array) => {
		if (bytes.length === 0 || (bytes.length === 1 && bytes[0] === 0x0d)) return;
		let obj: unknown;
		try {
			obj = JSON.parse(decoder.decode(bytes));
		} catch {
			stats.skipped++;
			return;
		}
		if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
			stats.skipped++;
			return;
		}
		stats.entries++;
		batch.push(obj as Record<string, unknown>);
	};

	const joined = (tail: Uint8Array): Uint8Array => {
		if (pending.length === 0) return tail;
		const all = new Uint8Array(pendingBytes + tail.length);
		let o = 0;
		for (const p of pending) {
			all.set(p, o);
			o += p.length;
		}
		all.set(tail, o);
		pending = [];
		pendingBytes = 0;
		return all;
	};

	let timer: ReturnType<typeof setTimeout> | undefined;
	try {
		if (signal?.aborted) throw abortError(signal);
		let next = reader.read();
		let deadline: Promise<undefined> | undefined;
		for (;;) {
			let result: ReadableStreamReadResult<Uint8Array> | undefined;
			if (batch.length > 0) {
				// Hand over what we have if no more data comes before the batch's deadline.
				deadline ??= new Promise<undefined>((r) => {
					timer = setTimeout(() => r(undefined), maxWait);
				});
				result = await Promise.race([next, deadline]);
				if (!result) {
					deadline = undefined;
					yield batch;
					batch = [];
				}
			}
			if (!result) result = await next;
			if (signal?.aborted) throw abortError(signal);
			const { done, value } = result;
			if (done) break;
			next = reader.read();
			let chunk = value;
			if (stats.bytes + chunk.length > maxTotal) {
				chunk = chunk.subarray(0, Math.max(0, maxTotal - stats.bytes));
				stats.truncated = true;
			}
			stats.bytes += chunk.length;
			let start = 0;
			for (;;) {
				const nl = chunk.indexOf(NL, start);
				if (nl < 0) break;
				if (dropping) dropping = false;
				else if (pendingBytes + (nl - start) > maxLine) {
					pending = [];
					pendingBytes = 0;
					stats.skipped++;
				} else take(joined(chunk.subarray(start, nl)));
				start = nl + 1;
				if (batch.length >= maxBatch) {
					clearTimeout(timer);
					deadline = undefined;
					yield batch;
					batch = [];
				}
			}
			const rest = chunk.subarray(start);
			if (!dropping && rest.length > 0) {
				if (pendingBytes + rest.length > maxLine) {
					pending = [];
					pendingBytes = 0;
					dropping = true;
					stats.skipped++;
				} else {
					pending.push(rest.slice());
					pendingBytes += rest.length;
				}
			}
			if (stats.truncated) {
				await reader.cancel().catch(() => {});
				break;
			}
		}
		if (!dropping && pendingBytes > 0 && !stats.truncated) take(joined(new Uint8Array(0)));
		if (batch.length > 0) yield batch;
	} finally {
		clearTimeout(timer);
		signal?.removeEventListener('abort', onAbort);
		// Stopping early (break in the consumer, an abort, an error) ends the download too.
		await reader.cancel().catch(() => {});
		reader.releaseLock();
	}
}

const PROVIDER = 'your server';

/** The HTTP answer to a journal request as a ProviderError, in words for the person. */
export function journalError(status: number): ProviderError {
	const code = codeForStatus(status);
	const messages: Record<string, [string, string]> = {
		unauthorized: [
			'Your server did not accept the admin password for its logs.',
			'If you changed the server by hand, deploy again from nassella so that the password matches.'
		],
		forbidden: ['Your server refused to show its logs.', DEFAULT_ACTIONS.forbidden],
		'not-found': [
			'Your server has no log service at this address yet.',
			'If the server was just created, wait a few minutes until it has finished setting itself up.'
		],
		invalid: ['Your server could not answer this log request.', 'Clear the filters and try again.'],
		conflict: ['Your server could not answer this log request just now.', DEFAULT_ACTIONS.conflict],
		'rate-limited': ['Your server asked us to slow down.', DEFAULT_ACTIONS['rate-limited']],
		unavailable: [`Your server's log service is having trouble (error ${status}).`, DEFAULT_ACTIONS.unavailable],
		unexpected: [`Your server gave an unexpected answer (${status}).`, DEFAULT_ACTIONS.unexpected]
	};
	const [message, action] = messages[code]!;
	return new ProviderError({ code, provider: PROVIDER, status, message, action });
}

/**
 * Sends a journal request through `http` and streams the entries. Network failures and
 * error answers become ProviderError; an abort ends the iteration with the abort reason.
 */
export async function* fetchJournal(
	http: HttpClient,
	base: string,
	query: JournalQuery,
	options: StreamLimits & {
		auth?: { user: string; password: string };
		signal?: AbortSignal;
		stats?: StreamStats;
	} = {}
): AsyncGenerator<Record<string, unknown>[], void, undefined> {
	const req = journalRequest(base, query, options.auth);
	let res: Response;
	try {
		res = await http(new Request(absolute(req.url), { headers: req.headers, signal: options.signal }));
	} catch (e) {
		if (options.signal?.aborted) throw abortError(options.signal);
		if (e instanceof ProviderError) throw e;
		throw new ProviderError({
			code: 'network',
			provider: PROVIDER,
			message: 'Your server could not be reached for its logs.',
			action: DEFAULT_ACTIONS.network
		});
	}
	if (!res.ok) {
		await res.body?.cancel().catch(() => {});
		throw journalError(res.status);
	}
	if (!res.body) return;
	try {
		yield* readJournalStream(res.body, options);
	} catch (e) {
		if (options.signal?.aborted) throw abortError(options.signal);
		if (e instanceof ProviderError) throw e;
		throw new ProviderError({
			code: 'network',
			provider: PROVIDER,
			message: 'The connection to your server broke while reading its logs.',
			action: 'Press Follow to pick up where it stopped.'
		});
	}
}

function absolute(url: string): string {
	if (/^https?:\/\//.test(url)) return url;
	const origin = (globalThis as { location?: { origin: string } }).location?.origin ?? 'http://127.0.0.1';
	return origin + url;
}
