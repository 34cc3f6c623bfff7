/**
 * The shared machinery of the stateful provider fakes: routing, token checks, spec validation
 * of every request and response, rate-limit headers, injected latency and injectable faults.
 * A fake answers in-process (as an HttpClient, for tests) or over node:http (for `npm start`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SpecValidator, Violation } from './openapi.ts';

export interface FakeRequest {
	method: string;
	/** Path below the fake's mount, e.g. "/v2/droplets". */
	path: string;
	query: URLSearchParams;
	headers: Headers;
	body: unknown;
	/** Raw path parameters from the matched route. */
	params: string[];
}

export interface FakeResponse {
	status: number;
	body?: unknown;
	headers?: Record<string, string>;
}

export type Route = (req: FakeRequest) => FakeResponse | Promise<FakeResponse>;

export type FaultKind = 'rate-limit' | 'server-error' | 'timeout' | 'lost' | 'quota' | 'revoked';

export interface Fault {
	kind: FaultKind;
	/** Only requests with this method (default: any). */
	method?: string;
	/** Only requests whose path contains this text (default: any). */
	path?: string;
	/** How many matching requests it hits (default 1). */
	times?: number;
	/** For rate-limit: seconds the provider tells the client to wait. */
	waitSeconds?: number;
}

/** What each vendor says in its own words. */
export interface Dialect {
	name: string;
	/** Token from the request's credential header, if any. */
	token(headers: Headers): string | undefined;
	error(status: number, code: string, message: string): unknown;
	/** Headers for a 429 asking to wait `seconds`, and the normal rate-limit headers. */
	rateLimitHeaders(
		remaining: number,
		limit: number,
		resetEpochSeconds: number,
		waitSeconds?: number
	): Record<string, string>;
	quota: FakeResponse;
}

export interface FakeOptions {
	dialect: Dialect;
	validator?: SpecValidator;
	/** Path prefix of the vendor API (e.g. "/v2"), part of every route. */
	tokens?: string[];
	/** The sandbox: any non-empty token works (until a "revoked" fault). */
	acceptAnyToken?: boolean;
	latencyMs?: number;
	rateLimit?: number;
}

export class LostResponse extends Error {
	constructor() {
		super('The connection closed before an answer came.');
	}
}

export class FakeApi {
	readonly dialect: Dialect;
	readonly violations: Violation[] = [];
	readonly log: { method: string; path: string; status: number }[] = [];
	faults: Fault[] = [];
	latencyMs: number;
	tokens: Set<string>;
	acceptAnyToken: boolean;
	private readonly validator?: SpecValidator;
	private readonly routes: { method: string; regex: RegExp; route: Route }[] = [];
	private readonly limit: number;
	private used = 0;
	private windowStart = Date.now();

	constructor(options: FakeOptions) {
		this.dialect = options.dialect;
		this.validator = options.validator;
		this.tokens = new Set(options.tokens ?? ['sandbox-token']);
		this.acceptAnyToken = options.acceptAnyToken ?? false;
		this.latencyMs = options.latencyMs ?? 0;
		this.limit = options.rateLimit ?? 3600;
	}

	on(method: string, pattern: string, route: Route): this {
		const regex = new RegExp('^' + pattern.replace(/:[a-z_]+/g, '([^/]+)') + '/?$');
		this.routes.push({ method, regex, route });
		return this;
	}

	/** The answer to one request, or a thrown LostResponse / a hang for the network faults. */
	async handle(
		method: string,
		url: URL,
		headers: Headers,
		rawBody: string,
		signal?: AbortSignal
	): Promise<FakeResponse> {
		if (this.latencyMs) await delay(this.latencyMs, signal);
		const path = url.pathname.split('/').map(decodeURIComponent).join('/');
		const fault = this.takeFault(method, path);
		if (fault?.kind === 'timeout') {
			await delay(60_000, signal);
			throw new LostResponse();
		}
		if (fault?.kind === 'revoked') {
			this.tokens.clear();
			this.acceptAnyToken = false;
		}
		const respond = (r: FakeResponse) => this.finish(method, path, r);
		const token = this.dialect.token(headers);
		if (!token || !(this.tokens.has(token) || this.acceptAnyToken))
			return respond({ status: 401, body: this.dialect.error(401, 'unauthorized', 'Unable to authenticate you') });
		this.used++;
		const nowS = Math.floor(Date.now() / 1000);
		if (Date.now() - this.windowStart > 3_600_000) {
			this.used = 0;
			this.windowStart = Date.now();
		}
		if (fault?.kind === 'rate-limit') {
			const wait = fault.waitSeconds ?? 1;
			return respond({
				status: 429,
				body: this.dialect.error(429, 'rate_limit_exceeded', 'Too many requests'),
				headers: this.dialect.rateLimitHeaders(0, this.limit, nowS + wait, wait)
			});
		}
		if (fault?.kind === 'server-error')
			return respond({ status: 503, body: this.dialect.error(503, 'unavailable', 'Service unavailable') });
		if (fault?.kind === 'quota') return respond(this.dialect.quota);
		let body: unknown = undefined;
		if (rawBody) {
			try {
				body = JSON.parse(rawBody);
			} catch {
				return respond({ status: 400, body: this.dialect.error(400, 'invalid_input', 'Malformed JSON') });
			}
		}
		const bad = this.validator?.checkRequest(method, path, url.searchParams, body);
		if (bad) {
			this.violations.push({ where: 'request', method, path, errors: bad });
			return respond({ status: 400, body: this.dialect.error(400, 'invalid_input', bad) });
		}
		let response: FakeResponse = {
			status: 404,
			body: this.dialect.error(404, 'not_found', 'The resource was not found')
		};
		for (const r of this.routes) {
			const m = r.method === method ? r.regex.exec(path) : null;
			if (m) {
				response = await r.route({ method, path, query: url.searchParams, headers, body, params: m.slice(1) });
				break;
			}
		}
		response = respond(response);
		response.headers = {
			...this.dialect.rateLimitHeaders(Math.max(0, this.limit - this.used), this.limit, nowS + 3600),
			...response.headers
		};
		if (fault?.kind === 'lost') throw new LostResponse();
		return response;
	}

	private finish(method: string, path: string, response: FakeResponse): FakeResponse {
		this.log.push({ method, path, status: response.status });
		if (this.validator && this.validator.operation(method, path)) {
			const bad = this.validator.checkResponse(method, path, response.status, response.body);
			if (bad) this.violations.push({ where: 'response', method, path, status: response.status, errors: bad });
		}
		return response;
	}

	private takeFault(method: string, path: string): Fault | undefined {
		const i = this.faults.findIndex((f) => (!f.method || f.method === method) && (!f.path || path.includes(f.path)));
		if (i < 0) return undefined;
		const f = this.faults[i]!;
		const left = (f.times ?? 1) - 1;
		if (left <= 0) this.faults.splice(i, 1);
		else this.faults[i] = { ...f, times: left };
		return f;
	}

	/** In-process client for tests: the fake behind a fetch-shaped function. */
	client(mountPrefix = ''): (request: Request) => Promise<Response> {
		return async (request) => {
			const url = new URL(request.url);
			url.pathname = url.pathname.slice(mountPrefix.length) || '/';
			const raw = request.body ? await request.text() : '';
			let r: FakeResponse;
			try {
				r = await this.handle(request.method, url, request.headers, raw, request.signal);
			} catch (error) {
				if (error instanceof LostResponse) throw new TypeError('fetch failed', { cause: error });
				throw error;
			}
			const body = r.body === undefined ? null : JSON.stringify(r.body);
			return new Response(r.status === 204 ? null : body, {
				status: r.status,
				headers: { 'content-type': 'application/json', ...r.headers }
			});
		};
	}

	/** node:http handler for the sandbox (`prefix` is stripped from the path first). */
	async serve(req: IncomingMessage, res: ServerResponse, prefix: string): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://local');
		url.pathname = url.pathname.slice(prefix.length) || '/';
		const chunks: Buffer[] = [];
		for await (const c of req) chunks.push(c as Buffer);
		const headers = new Headers();
		for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
		const closed = new AbortController();
		res.on('close', () => closed.abort());
		try {
			const r = await this.handle(
				req.method ?? 'GET',
				url,
				headers,
				Buffer.concat(chunks).toString('utf8'),
				closed.signal
			);
			res.writeHead(r.status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...r.headers });
			res.end(r.body === undefined || r.status === 204 ? undefined : JSON.stringify(r.body));
		} catch {
			req.socket.destroy();
		}
	}
}

export function delay(ms: number, signal?: AbortSignal): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(new LostResponse());
		const t = setTimeout(resolve, ms);
		signal?.addEventListener('abort', () => {
			clearTimeout(t);
			reject(new LostResponse());
		});
	});
}

export function bearer(headers: Headers): string | undefined {
	const m = /^Bearer (\S+)$/.exec(headers.get('authorization') ?? '');
	return m?.[1];
}

/** A clock the fakes use for "boot" times; the sandbox and tests can shorten it. */
export const iso = (ms = Date.now()) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
