/**
 * The link to a person's own server: `status.json` and the journal, on the admin host
 * behind Caddy's basic auth. Real servers are reached through the relay's `server` route
 * (`<relay>/server/<admin host>/…`); sandbox servers answer on the app's own origin
 * (`<origin>/sandbox/server/<admin host>/…`).
 *
 * The credentials travel only in the Authorization header: never in a URL, a log line or
 * an error message. Every failure becomes one ProviderError (or a StatusFormatError for a
 * report that cannot be read).
 */
import { readJournalStream } from './journal.ts';
import { codeForStatus, DEFAULT_ACTIONS, ProviderError } from '../../core/errors.ts';
import { toBase64 } from '../../core/base64.ts';
import { checkHostName } from '../../core/net/proxy-url.ts';
import { parseServerStatus, type ServerStatus } from '../../core/server/status.ts';
import type { HttpClient } from '../../ports/http.ts';
import type { JournalQuery, ServerLink, ServerLinkFactory } from '../../ports/server.ts';
import { platformFetch } from '../http/chain.ts';

const PROVIDER = 'your server';
const MAX_STATUS_BYTES = 1_000_000;
/** One journal line longer than this is dropped (gatewayd lines are a few KB at most). */
const MAX_LINE_BYTES = 1_000_000;

/** Journal field names as gatewayd matches them: uppercase letters, digits, underscores. */
export const JOURNAL_FIELD = /^[A-Z0-9_]{1,64}$/;
/** Values the link (and the relay) pass on: unit, container and identifier names. */
export const JOURNAL_VALUE = /^[A-Za-z0-9@._:+-]{1,128}$/;
/** A journal cursor (`s=…;i=…;b=…;m=…;t=…;x=…`). */
export const JOURNAL_CURSOR = /^[A-Za-z0-9=;_-]{1,512}$/;

export interface ServerLinkOptions {
	host: string;
	user: string;
	password: string;
	/** Where `/status.json` and `/journal/entries` live for this host, without a trailing slash. */
	base: string;
	http?: HttpClient;
	/** Per status request (the journal's follow mode is bounded only by the caller's signal). */
	timeoutMs?: number;
}

/** Where a server's admin endpoints are reached from the app. */
export function serverBase(host: string, where: { sandbox: boolean; appOrigin: string; proxyBase?: string }): string {
	const problem = checkHostName(host);
	if (problem) throw new Error(`The server's address cannot be used: ${problem}`);
	if (where.sandbox) return `${where.appOrigin.replace(/\/+$/, '')}/sandbox/server/${host}`;
	if (!where.proxyBase)
		throw new ProviderError({
			code: 'invalid',
			provider: PROVIDER,
			message: 'nassella reaches your server through a relay, and none is set.',
			action: 'Set a relay in Settings (the relay of this local copy works too), then try again.'
		});
	return `${where.proxyBase.replace(/\/+$/, '')}/server/${host}`;
}

function basicAuth(user: string, password: string): string {
	return `Basic ${toBase64(new TextEncoder().encode(`${user}:${password}`))}`;
}

/** The Range header value for a query, or undefined for "everything from the start". */
export function journalRange(q: JournalQuery): string | undefined {
	if (q.cursor !== undefined && !JOURNAL_CURSOR.test(q.cursor)) throw new Error('That journal position is not valid.');
	const cursor = q.cursor ?? '';
	// gatewayd starts *at* the cursor; the port promises entries after it.
	const skip = q.skip ?? (q.cursor ? 1 : undefined);
	if (cursor === '' && skip === undefined && q.count === undefined) return undefined;
	const parts = [cursor];
	if (skip !== undefined) parts.push(String(Math.trunc(skip)));
	if (q.count !== undefined) parts.push(String(Math.max(0, Math.trunc(q.count))));
	else if (skip !== undefined) parts.push('');
	return `entries=${parts.join(':')}`;
}

/** The query string for gatewayd: `?follow` and field matches (`FIELD=value`). */
export function journalSearch(q: JournalQuery): string {
	const parts: string[] = [];
	if (q.follow) parts.push('follow');
	for (const [field, value] of Object.entries(q.matches ?? {})) {
		if (!JOURNAL_FIELD.test(field) || !JOURNAL_VALUE.test(value))
			throw new Error('A log filter holds characters that are not allowed.');
		parts.push(`${field}=${encodeURIComponent(value)}`);
	}
	return parts.length ? `?${parts.join('&')}` : '';
}

function fail(code: ProviderError['code'], message: string, action: string, status?: number): ProviderError {
	return new ProviderError({ code, provider: PROVIDER, message, action, status });
}

const NOT_YET = 'A new server takes a few minutes to start; nassella keeps trying.';

async function relayReason(response: Response): Promise<string | undefined> {
	try {
		const text = (await response.text()).slice(0, 2000);
		const body = JSON.parse(text) as { error?: unknown };
		if (typeof body.error === 'string') return body.error.replace(/[^\x20-\x7e]/g, '').slice(0, 200);
	} catch {
		// not the relay's JSON
	}
	return undefined;
}

/** One ProviderError for a non-2xx answer. */
async function mapAnswer(response: Response): Promise<ProviderError> {
	const s = response.status;
	if (s === 401)
		return fail(
			'unauthorized',
			'Your server did not accept its admin password.',
			"Check the server's admin password kept in your vault: a vault restored from an older export may hold an old one. Importing the newest export fixes it.",
			s
		);
	if (s === 403) {
		const reason = await relayReason(response);
		return fail(
			'forbidden',
			reason ? `The relay would not pass the request on: ${reason}` : 'Your server refused the request.',
			"Check that the server's address is a public host name, and that the relay in Settings is the one you trust.",
			s
		);
	}
	await response.body?.cancel().catch(() => {});
	// Before the server is up, the relay or the server's front answers 404, 502 or 504.
	if (s === 404 || s === 502 || s === 504) return fail('network', 'The server is not reachable yet.', NOT_YET, s);
	const code = codeForStatus(s);
	if (code === 'rate-limited')
		return fail(code, 'Too many requests to your server just now.', DEFAULT_ACTIONS['rate-limited'], s);
	if (code === 'unavailable')
		return fail(
			code,
			`Your server is having trouble (error ${s}).`,
			'Wait a few minutes; if it stays like this, look at its logs.',
			s
		);
	if (code === 'invalid' || code === 'conflict')
		return fail(code, `Your server refused the request (error ${s}).`, DEFAULT_ACTIONS[code], s);
	return fail('unexpected', `Your server gave an unexpected answer (${s}).`, DEFAULT_ACTIONS.unexpected, s);
}

async function readLimited(response: Response, max: number): Promise<string> {
	const reader = response.body?.getReader();
	if (!reader) return '';
	const decoder = new TextDecoder();
	let text = '';
	let size = 0;
	for (;;) {
		const { done, value } = await reader.read();
		if (done) break;
		size += value.byteLength;
		if (size > max) {
			await reader.cancel().catch(() => {});
			throw new ProviderError({
				code: 'unexpected',
				provider: PROVIDER,
				message: "Your server's status report is too large to read.",
				action: DEFAULT_ACTIONS.unexpected
			});
		}
		text += decoder.decode(value, { stream: true });
	}
	return text + decoder.decode();
}

export function createServerLink(options: ServerLinkOptions): ServerLink {
	const http = options.http ?? platformFetch;
	const base = options.base.replace(/\/+$/, '');
	const auth = basicAuth(options.user, options.password);
	const timeoutMs = options.timeoutMs ?? 20_000;

	async function send(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
		try {
			return await http(
				new Request(`${base}${path}`, {
					method: 'GET',
					headers: { ...headers, authorization: auth },
					signal,
					credentials: 'omit',
					redirect: 'error'
				})
			);
		} catch (error) {
			if (signal.aborted && !(signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError'))
				throw error;
			throw fail('network', 'The server is not reachable yet.', NOT_YET);
		}
	}

	return {
		host: options.host,
		async status(signal?: AbortSignal): Promise<ServerStatus> {
			const timeout = AbortSignal.timeout(timeoutMs);
			const s = signal ? AbortSignal.any([signal, timeout]) : timeout;
			const response = await send('/status.json', { accept: 'application/json' }, s);
			if (!response.ok) throw await mapAnswer(response);
			let text: string;
			try {
				text = await readLimited(response, MAX_STATUS_BYTES);
			} catch (error) {
				if (error instanceof ProviderError || signal?.aborted) throw error;
				throw fail('network', 'The connection to your server broke off.', DEFAULT_ACTIONS.network);
			}
			return parseServerStatus(text);
		},
		async *journal(query: JournalQuery, signal?: AbortSignal) {
			const headers: Record<string, string> = { accept: 'application/json' };
			const range = journalRange(query);
			if (range) headers.range = range;
			const s = signal ?? new AbortController().signal;
			const response = await send(`/journal/entries${journalSearch(query)}`, headers, s);
			if (!response.ok) throw await mapAnswer(response);
			if (!response.body) return;
			try {
				yield* readJournalStream(response.body, { signal, maxLineBytes: MAX_LINE_BYTES });
			} catch (error) {
				if (signal?.aborted) return;
				if (error instanceof ProviderError) throw error;
				throw fail('network', 'The connection to your server broke off.', DEFAULT_ACTIONS.network);
			}
		}
	};
}

/** A factory for the port: sandbox hosts on the app's origin, others through the relay. */
export function serverLinkFactory(where: {
	appOrigin: string;
	proxyBase?: string;
	http?: HttpClient;
}): ServerLinkFactory {
	return ({ host, user, password, sandbox }) =>
		createServerLink({
			host,
			user,
			password,
			base: serverBase(host, { sandbox, appOrigin: where.appOrigin, proxyBase: where.proxyBase }),
			http: where.http
		});
}
