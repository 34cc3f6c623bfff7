/**
 * The HTTP chain every provider adapter uses: fetch → proxy rewrite → auth → retry → error
 * mapping. Each layer is an `HttpClient` wrapper; `jsonApi` on top turns answers into data or
 * one ProviderError. Tokens travel only in headers, never in URLs, logs or messages.
 */
import { codeForStatus, DEFAULT_ACTIONS, ProviderError } from '../../core/errors.ts';
import type { HttpClient } from '../../ports/http.ts';
import { viaProxy } from './proxy-url.ts';
import { clampWithJitter, waitFromHeaders, type WaitRule } from './wait.ts';

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
	new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(signal.reason);
		const t = setTimeout(resolve, ms);
		signal?.addEventListener(
			'abort',
			() => {
				clearTimeout(t);
				reject(signal.reason);
			},
			{ once: true }
		);
	});

/** The default bottom of the chain: the platform fetch. */
export const platformFetch: HttpClient = (request) => fetch(request);

/**
 * A `fetch(url, init)` function (one given by a test, the sandbox, or the platform's) as the
 * bottom of the chain. The request is handed over as URL and init, the body read into memory.
 */
export function fetchClient(f: typeof fetch): HttpClient {
	return async (request) =>
		f(request.url, {
			method: request.method,
			headers: request.headers,
			body: request.body ? await request.arrayBuffer() : undefined,
			signal: request.signal,
			redirect: request.redirect,
			credentials: request.credentials
		});
}

/** The chain as a `fetch` function, for a vendor SDK that accepts one (octokit's `request.fetch`). */
export function asFetch(client: HttpClient): typeof fetch {
	return (input, init) => client(new Request(input, init));
}

/** Sends `https://host/path` to `<proxyBase>/host/path` when a proxy is set. */
export function withProxy(next: HttpClient, proxyBase: string | undefined): HttpClient {
	if (!proxyBase) return next;
	return async (request) => next(await copyRequest(request, viaProxy(request.url, proxyBase)));
}

/**
 * A copy of a request at another URL. The body is read into memory first: passing a Request
 * as the init of another would hand over a stream body, which browsers refuse without
 * `duplex: 'half'`. Bodies here are small JSON documents.
 */
export async function copyRequest(request: Request, url: string): Promise<Request> {
	const body = request.body ? await request.clone().arrayBuffer() : undefined;
	return new Request(url, {
		method: request.method,
		headers: request.headers,
		body,
		signal: request.signal,
		redirect: request.redirect
	});
}

/** Adds the credential header(s); the token never goes into the URL. */
export function withAuth(next: HttpClient, headers: () => Record<string, string>): HttpClient {
	return async (request) => {
		const r = await copyRequest(request, request.url);
		for (const [k, v] of Object.entries(headers())) r.headers.set(k, v);
		return next(r);
	};
}

/** A wait the retry layer is about to make, for the UI ("DigitalOcean asked us to wait 20 s"). */
export interface WaitNote {
	reason: 'rate-limited' | 'server-error' | 'network';
	ms: number;
	attempt: number;
}

export interface RetryOptions {
	rule: WaitRule;
	/** Attempts after the first. */
	retries?: number;
	/** Longest single wait; a longer requested wait is clamped (and reported). */
	maxWaitMs?: number;
	/** Base for exponential backoff when the provider gives no wait. */
	baseDelayMs?: number;
	/** Per attempt; a hung request counts as a network error. */
	timeoutMs?: number;
	jitter?: number;
	sleep?: Sleep;
	now?: () => number;
	random?: () => number;
	onWait?: (note: WaitNote) => void;
	/**
	 * Whether a request may be sent again after a server error or a lost answer. By default
	 * GET, HEAD, PUT, DELETE and OPTIONS; an adapter may add requests that are idempotent by
	 * nature (a POST of content-addressed git objects, a PATCH that sets a record set).
	 */
	idempotent?: (request: Request) => boolean;
	/**
	 * The methods sent again without asking `idempotent`, when an API's PUT or DELETE is not
	 * safe to repeat (GitHub's contents PUT, its key DELETE): then only GET and HEAD.
	 */
	safeMethods?: readonly string[];
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

/** Thrown inside the chain when no answer came at all. */
export class NetworkFailure extends Error {
	readonly timedOut: boolean;
	constructor(timedOut: boolean) {
		super(timedOut ? 'The request timed out.' : 'The request got no answer.');
		this.name = 'NetworkFailure';
		this.timedOut = timedOut;
	}
}

/**
 * 429: waits as the provider says and tries again (any method: a 429 was not processed).
 * 502/503/504 and network failures: backoff with jitter, only for idempotent methods; a POST
 * whose answer was lost is left to the caller, which looks before it creates again.
 */
export function withRetry(next: HttpClient, options: RetryOptions): HttpClient {
	const {
		rule,
		retries = 4,
		maxWaitMs = 60_000,
		baseDelayMs = 500,
		timeoutMs = 30_000,
		jitter = 0.2,
		sleep = realSleep,
		now = Date.now,
		random = Math.random,
		onWait
	} = options;
	return async (request) => {
		const safe = options.safeMethods ? options.safeMethods.includes(request.method) : IDEMPOTENT.has(request.method);
		const idempotent = safe || (options.idempotent?.(request) ?? false);
		for (let attempt = 0; ; attempt++) {
			const last = attempt >= retries;
			const timeout = AbortSignal.timeout(timeoutMs);
			const signal = AbortSignal.any([request.signal, timeout]);
			let response: Response;
			try {
				response = await next(new Request(request.clone(), { signal }));
			} catch (error) {
				if (request.signal.aborted) throw error;
				const failure = new NetworkFailure(timeout.aborted);
				if (!idempotent || last) throw failure;
				const ms = clampWithJitter(baseDelayMs * 2 ** attempt, maxWaitMs, jitter, random);
				onWait?.({ reason: 'network', ms, attempt: attempt + 1 });
				await sleep(ms, request.signal);
				continue;
			}
			if (response.status === 429 && !last) {
				const asked = waitFromHeaders(response.headers, rule, now()) ?? baseDelayMs * 2 ** attempt;
				const ms = clampWithJitter(asked, maxWaitMs, jitter, random);
				await response.body?.cancel();
				onWait?.({ reason: 'rate-limited', ms, attempt: attempt + 1 });
				await sleep(ms, request.signal);
				continue;
			}
			if ([502, 503, 504].includes(response.status) && idempotent && !last) {
				const ms = clampWithJitter(baseDelayMs * 2 ** attempt, maxWaitMs, jitter, random);
				await response.body?.cancel();
				onWait?.({ reason: 'server-error', ms, attempt: attempt + 1 });
				await sleep(ms, request.signal);
				continue;
			}
			return response;
		}
	};
}

/** What a vendor's errors.ts provides: the one place its error answers become ProviderErrors. */
export interface VendorErrors {
	/** The name people know ("DigitalOcean"). */
	provider: string;
	/** Maps a non-2xx answer (body already parsed when it was JSON). */
	map(status: number, body: unknown, headers: Headers, retryAfterMs: number | undefined): ProviderError;
}

/** How an adapter's client goes through the chain: what every vendor adapter's options carry. */
export interface ChainOptions {
	/** The proxy base URL (the app setting), for providers that need the proxy. */
	proxyBase?: string;
	/** The bottom of the chain (tests and the sandbox put a fake here). */
	http?: HttpClient;
	retry?: Omit<RetryOptions, 'rule'>;
	/** Counts every request that leaves the chain (for benchmarks and tests). */
	onRequest?: (method: string, path: string) => void;
}

export interface ApiConfig extends ChainOptions {
	baseUrl: string;
	errors: VendorErrors;
	rule: WaitRule;
	auth: () => Record<string, string>;
}

/**
 * Every item of a paged list, page after page until `more` finds no next page; bounded, so a
 * service that always says "more" cannot keep the app asking.
 */
export async function listPages<T>(
	api: JsonApi,
	path: string,
	key: string,
	query: Query,
	paging: { perPage: number; maxPages: number; more: (data: Record<string, unknown>) => boolean }
): Promise<T[]> {
	const items: T[] = [];
	for (let page = 1; page <= paging.maxPages; page++) {
		const { data } = await api.call<Record<string, unknown>>('GET', path, {
			query: { ...query, per_page: paging.perPage, page }
		});
		items.push(...((data[key] as T[]) ?? []));
		if (!paging.more(data)) break;
	}
	return items;
}

export interface ApiAnswer<T> {
	status: number;
	data: T;
	headers: Headers;
}

export type Query = Record<string, string | number | boolean | undefined>;

/** A JSON API client over the chain. Every failure becomes one ProviderError. */
export class JsonApi {
	readonly provider: string;
	private readonly client: HttpClient;
	private readonly config: ApiConfig;

	constructor(config: ApiConfig) {
		this.config = config;
		this.provider = config.errors.provider;
		const bottom = config.http ?? platformFetch;
		const counted: HttpClient = (r) => {
			config.onRequest?.(r.method, new URL(r.url).pathname);
			return bottom(r);
		};
		this.client = withRetry(withAuth(withProxy(counted, config.proxyBase), config.auth), {
			...config.retry,
			rule: config.rule
		});
	}

	url(path: string, query?: Query): string {
		const u = new URL(this.config.baseUrl.replace(/\/+$/, '') + path, 'http://relative.invalid');
		for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
		const abs = u.origin === 'http://relative.invalid' ? u.pathname + u.search : u.href;
		return abs;
	}

	async call<T = unknown>(
		method: string,
		path: string,
		options: { query?: Query; body?: unknown; signal?: AbortSignal } = {}
	): Promise<ApiAnswer<T>> {
		const headers: Record<string, string> = { accept: 'application/json' };
		if (options.body !== undefined) headers['content-type'] = 'application/json';
		const target = this.url(path, options.query);
		const request = new Request(absolute(target), {
			method,
			headers,
			body: options.body === undefined ? undefined : JSON.stringify(options.body),
			signal: options.signal
		});
		let response: Response;
		try {
			response = await this.client(request);
		} catch (error) {
			if (options.signal?.aborted) throw error;
			const timedOut = error instanceof NetworkFailure && error.timedOut;
			throw new ProviderError({
				code: 'network',
				provider: this.provider,
				message: timedOut ? `${this.provider} did not answer in time.` : `${this.provider} could not be reached.`,
				action: DEFAULT_ACTIONS.network
			});
		}
		const text = await response.text();
		let data: unknown = undefined;
		if (text) {
			try {
				data = JSON.parse(text);
			} catch {
				data = undefined;
			}
		}
		if (response.ok) return { status: response.status, data: data as T, headers: response.headers };
		const retryAfterMs =
			response.status === 429 ? waitFromHeaders(response.headers, this.config.rule, Date.now()) : undefined;
		throw this.config.errors.map(response.status, data, response.headers, retryAfterMs);
	}
}

/** Relative base URLs (the sandbox on the app's own origin) are resolved against the page. */
function absolute(url: string): string {
	if (/^https?:\/\//.test(url)) return url;
	const origin = (globalThis as { location?: { origin: string } }).location?.origin ?? 'http://127.0.0.1';
	return origin + url;
}

/** Generic mapping by HTTP status, used by vendor maps for what they don't special-case. */
export function errorByStatus(
	provider: string,
	status: number,
	retryAfterMs: number | undefined,
	detail?: { message?: string; action?: string }
): ProviderError {
	const code = codeForStatus(status);
	const messages: Record<string, string> = {
		unauthorized: `${provider} did not accept the token.`,
		forbidden: `${provider} refused: the token lacks a permission.`,
		'not-found': `${provider} could not find it.`,
		conflict: `${provider} says it already exists or changed meanwhile.`,
		'rate-limited': `${provider} asked us to slow down.`,
		invalid: `${provider} refused the request as invalid.`,
		unavailable: `${provider} is having trouble (error ${status}).`,
		unexpected: `${provider} gave an unexpected answer (${status}).`
	};
	return new ProviderError({
		code,
		provider,
		status,
		retryAfterMs,
		message: detail?.message ?? messages[code] ?? `${provider} answered ${status}.`,
		action: detail?.action ?? DEFAULT_ACTIONS[code]
	});
}

/** Vendor text may be shown, but never anything that looks like a credential and never too much. */
export function safeDetail(text: unknown): string | undefined {
	if (typeof text !== 'string' || !text.trim()) return undefined;
	const cleaned = text
		.replace(/[A-Za-z0-9_\-.]{24,}/g, '…')
		.replace(/https?:\/\/\S+/g, '…')
		.slice(0, 200);
	return cleaned.trim();
}

/** DELETE that counts a resource already gone as removed, so removing twice is safe. */
export async function deleteIfThere(api: JsonApi, path: string): Promise<void> {
	try {
		await api.call('DELETE', path);
	} catch (error) {
		if (error instanceof ProviderError && error.code === 'not-found') return;
		throw error;
	}
}
