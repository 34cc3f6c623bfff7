/**
 * The relay's request handler on the fetch API (Request in, Response out), shared by the
 * Cloudflare Workers entry (worker.ts) and the Node entry (node.ts). Stateless: it keeps
 * nothing between requests except what the entry's rate limiter holds.
 *
 * Order of checks: rate limit → origin → preflight / method+host+path+headers → body
 * size → upstream (never following redirects) → response headers and size.
 */
import { viaProxy } from '../../src/lib/core/net/proxy-url.ts';
import {
	BlockedAddressError,
	decide,
	decideServer,
	DEFAULT_LIMITS,
	DEFAULT_SERVER_LIMITS,
	EXPOSED_RESPONSE_HEADERS,
	FORWARDED_REQUEST_HEADERS,
	FORWARDED_RESPONSE_HEADERS,
	requestHeaderVerdict,
	SERVER_PREFIX,
	SERVER_REQUEST_HEADERS,
	serverHeaderVerdict,
	type HostRule,
	type Limits,
	type ServerLimits
} from './policy.ts';

export interface UpstreamInit {
	method: string;
	headers: Headers;
	body?: Uint8Array<ArrayBuffer>;
	signal: AbortSignal;
}

/** Sends one request to the provider and returns its answer as is; must never follow redirects. */
export type Upstream = (url: URL, init: UpstreamInit) => Promise<Response>;

/** What the relay writes about each request: never a token, a body, a path or a query. */
export interface LogEntry {
	host: string;
	status: number;
	ms: number;
}

export interface ProxyConfig {
	rules: readonly HostRule[];
	upstream: Upstream;
	/** Exact origins (scheme://host[:port]) of the app copies this relay serves. */
	allowedOrigins: readonly string[];
	/**
	 * Also serve pages from the relay's own origin, and requests without an Origin header
	 * (the local entry, where app and relay share 127.0.0.1). Off for a public relay.
	 */
	sameOrigin?: boolean;
	/** Path the relay is mounted under: "" or e.g. "/proxy". */
	basePath?: string;
	/** The relay's public origin when a TLS front sits before it (used to rewrite redirects). */
	publicOrigin?: string;
	limits?: Partial<Limits>;
	/** Bounds for the `server` route (a person's own server; the journal may stream). */
	serverLimits?: Partial<ServerLimits>;
	/** Resolves true when the client may make one more request now. */
	rateLimit?: (clientKey: string) => boolean | Promise<boolean>;
	log?: (entry: LogEntry) => void;
	/** For tests: the clock used for durations. */
	now?: () => number;
}

export interface RequestContext {
	/** The client's address, for the rate limit. */
	clientKey?: string;
	/** The request target exactly as received (path and query), when the runtime still has it. */
	rawTarget?: string;
}

export type ProxyHandler = (request: Request, context?: RequestContext) => Promise<Response>;

const JSON_TYPE = 'application/json; charset=utf-8';
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function createProxyHandler(config: ProxyConfig): ProxyHandler {
	const limits: Limits = { ...DEFAULT_LIMITS, ...config.limits };
	const serverLimits: ServerLimits = { ...DEFAULT_SERVER_LIMITS, ...config.serverLimits };
	const basePath = (config.basePath ?? '').replace(/\/+$/, '');
	const allowedOrigins = new Set(config.allowedOrigins);
	const now = config.now ?? (() => Date.now());
	const log = config.log ?? (() => {});

	return async (request, context = {}) => {
		const started = now();
		let host = '-';
		const finish = (response: Response) => {
			log({ host, status: response.status, ms: Math.round(now() - started) });
			return response;
		};

		const url = new URL(request.url);
		const selfOrigin = url.origin;
		const origin = request.headers.get('origin');
		// CORS headers only for an allowed cross-origin page; none for anyone else.
		const cors = new Headers();
		// Same-origin service is for the local entry only: a Host that is not loopback (as in a
		// DNS-rebinding attempt from another site) does not count as "the app's own origin".
		const sameOrigin = config.sameOrigin === true && LOOPBACK_HOSTS.has(url.hostname);
		// A request without Origin is the app's own GET on the same origin, or a page of another
		// site (an image, a link, a form): browsers tell them apart with Sec-Fetch-Site, so only
		// "same-origin" (or a client that sends no such header at all) counts as the app.
		const fetchSite = request.headers.get('sec-fetch-site');
		const originAllowed =
			origin === null
				? sameOrigin && (fetchSite === null || fetchSite === 'same-origin')
				: allowedOrigins.has(origin) || (sameOrigin && origin === selfOrigin);
		if (origin !== null && originAllowed && origin !== selfOrigin) {
			cors.set('access-control-allow-origin', origin);
			cors.set('access-control-expose-headers', EXPOSED_RESPONSE_HEADERS.join(', '));
		}
		cors.set('vary', 'Origin');
		const refuse = (status: number, reason: string, extra?: Record<string, string>) =>
			finish(jsonError(status, reason, cors, extra));

		if (config.rateLimit && !(await config.rateLimit(context.clientKey ?? 'unknown')))
			return refuse(429, 'Too many requests through this relay. Wait a minute and try again.', {
				'retry-after': '60'
			});
		if (!originAllowed)
			return refuse(
				403,
				origin === null
					? 'This relay only serves the nassella app (the request has no Origin).'
					: 'This relay does not serve pages from that origin.'
			);

		const target = context.rawTarget ?? url.pathname + url.search;
		if (basePath && !(target === basePath || target.startsWith(basePath + '/') || target.startsWith(basePath + '?')))
			return refuse(404, 'Not a relay address.');
		const rest = target.slice(basePath.length);
		const method = request.method.toUpperCase();
		// A person's own server (admin host): its own narrow rules, and its name is never logged.
		const server = rest.startsWith(`${SERVER_PREFIX}/`);
		const judge = (m: string, ct?: string | null) =>
			server ? decideServer(m, rest) : decide(config.rules, m, rest, ct);
		const noteHost = (h: string | undefined) => {
			if (h !== undefined) host = server ? 'server' : h;
		};

		if (method === 'OPTIONS') {
			const wanted = request.headers.get('access-control-request-method');
			if (!wanted) return refuse(403, 'The method OPTIONS is only answered as a CORS preflight.');
			const decision = judge(wanted.toUpperCase());
			noteHost(decision.target?.host);
			if (!decision.allow) return refuse(403, decision.reason);
			const asked = (request.headers.get('access-control-request-headers') ?? '')
				.split(',')
				.map((h) => h.trim().toLowerCase())
				.filter(Boolean);
			const extra = asked.find((h) =>
				server ? !SERVER_REQUEST_HEADERS.includes(h) : requestHeaderVerdict(h) !== 'forward'
			);
			if (extra !== undefined) return refuse(403, `The header ${headerName(extra)} is not allowed through this relay.`);
			const headers = new Headers(cors);
			headers.set('access-control-allow-methods', wanted.toUpperCase());
			headers.set(
				'access-control-allow-headers',
				(server ? SERVER_REQUEST_HEADERS : FORWARDED_REQUEST_HEADERS).join(', ')
			);
			headers.set('access-control-max-age', '600');
			return finish(new Response(null, { status: 204, headers }));
		}

		const decision = judge(method, request.headers.get('content-type'));
		noteHost(decision.target?.host);
		if (!decision.allow) return refuse(403, decision.reason);

		const forward = new Headers();
		for (const [name, value] of request.headers) {
			const verdict = server ? serverHeaderVerdict(name, value) : requestHeaderVerdict(name);
			if (verdict === 'refuse') return refuse(403, `The header ${headerName(name)} is not allowed through this relay.`);
			if (verdict === 'forward') forward.set(name, value);
		}

		// One timer per request, cleared as soon as the answer is complete (cheaper than
		// AbortSignal.timeout under load, and it also bounds the streamed answer body).
		const controller = new AbortController();
		const timer = setTimeout(() => controller.abort(), server ? serverLimits.timeoutMs : limits.timeoutMs);
		const deadline = controller.signal;
		const done = () => clearTimeout(timer);
		const refuseNow = (status: number, reason: string) => {
			done();
			return refuse(status, reason);
		};
		let body: Uint8Array<ArrayBuffer> | undefined;
		if (method !== 'GET' && method !== 'HEAD') {
			const declared = Number(request.headers.get('content-length') ?? NaN);
			if (declared > limits.maxRequestBytes) return refuseNow(413, 'The request is larger than this relay accepts.');
			const read = await readLimited(request.body, limits.maxRequestBytes, deadline);
			if (read === 'too-large') return refuseNow(413, 'The request is larger than this relay accepts.');
			if (read === 'timeout') return refuseNow(408, 'The request took too long to arrive.');
			if (read === 'broken') return refuseNow(400, 'The request body could not be read.');
			body = read;
		}

		const { target: t, rule } = decision;
		const upstreamUrl = new URL(`https://${t.host}${t.path}${t.search}`);
		let answer: Response;
		try {
			answer = await config.upstream(upstreamUrl, { method, headers: forward, body, signal: deadline });
		} catch (error) {
			if (error instanceof BlockedAddressError) return refuseNow(403, error.message);
			if (deadline.aborted) return refuseNow(504, `${rule.provider} did not answer in time.`);
			return refuseNow(502, `Could not reach ${rule.provider}.`);
		}

		const headers = new Headers(cors);
		for (const name of FORWARDED_RESPONSE_HEADERS) {
			const value = answer.headers.get(name);
			if (value !== null && name !== 'location') headers.set(name, value);
		}
		// A runtime that decodes compressed answers by itself (Workers) leaves the encoded length behind.
		const encoding = answer.headers.get('content-encoding');
		if (encoding !== null && encoding.toLowerCase() !== 'identity') {
			headers.delete('content-length');
		}
		if (server && answer.status >= 300 && answer.status < 400) {
			// A person's server has nothing to redirect the app to; where it points is not passed on.
			await answer.body?.cancel().catch(() => {});
			return refuseNow(502, 'Your server answered with a redirect, which this relay does not follow.');
		}
		if (answer.status >= 300 && answer.status < 400) {
			const location = answer.headers.get('location');
			if (location !== null) {
				const moved = relayedLocation(config.rules, location, upstreamUrl, answer.status, method);
				if (!moved) {
					await answer.body?.cancel().catch(() => {});
					return refuseNow(403, `${rule.provider} redirected to an address that is not on this relay's list.`);
				}
				headers.set('location', viaProxy(moved, `${config.publicOrigin ?? selfOrigin}${basePath}`));
			}
		}

		const maxBytes = server ? serverLimits.maxResponseBytes : limits.maxResponseBytes;
		const declared = Number(answer.headers.get('content-length') ?? NaN);
		if (declared > maxBytes) {
			await answer.body?.cancel().catch(() => {});
			return refuseNow(502, `The answer from ${rule.provider} is larger than this relay passes on.`);
		}
		const nullBody = answer.status === 204 || answer.status === 304 || method === 'HEAD';
		if (nullBody) {
			await answer.body?.cancel().catch(() => {});
			done();
		}
		return finish(
			new Response(nullBody ? null : limitStream(answer.body, maxBytes, done), {
				status: answer.status,
				headers
			})
		);
	};
}

function jsonError(status: number, reason: string, cors: Headers, extra: Record<string, string> = {}): Response {
	const headers = new Headers(cors);
	headers.set('content-type', JSON_TYPE);
	headers.set('cache-control', 'no-store');
	for (const [k, v] of Object.entries(extra)) headers.set(k, v);
	return new Response(JSON.stringify({ error: reason }), { status, headers });
}

/** A header name as it may appear in a message: only token characters, bounded. */
function headerName(name: string): string {
	return /^[a-z0-9-]{1,64}$/i.test(name) ? name : '(unnamed)';
}

/**
 * The absolute https address a redirect points to, when the relay would forward a
 * request there (same method for 307/308, GET otherwise); undefined when not.
 */
function relayedLocation(
	rules: readonly HostRule[],
	location: string,
	base: URL,
	status: number,
	method: string
): string | undefined {
	let to: URL;
	try {
		to = new URL(location, base);
	} catch {
		return undefined;
	}
	if (to.protocol !== 'https:' || to.username || to.password || to.port) return undefined;
	const next = status === 307 || status === 308 ? method : 'GET';
	const decision = decide(rules, next, `/${to.hostname}${to.pathname}${to.search}`);
	return decision.allow ? to.href.replace(/#.*$/, '') : undefined;
}

async function readLimited(
	body: ReadableStream<Uint8Array> | null,
	max: number,
	signal: AbortSignal
): Promise<Uint8Array<ArrayBuffer> | 'too-large' | 'timeout' | 'broken'> {
	if (!body) return new Uint8Array(0);
	const reader = body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	const onAbort = () => reader.cancel().catch(() => {});
	signal.addEventListener('abort', onAbort, { once: true });
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (signal.aborted) return 'timeout';
			if (done) break;
			size += value.byteLength;
			if (size > max) {
				await reader.cancel().catch(() => {});
				return 'too-large';
			}
			chunks.push(value);
		}
	} catch {
		return signal.aborted ? 'timeout' : 'broken';
	} finally {
		signal.removeEventListener('abort', onAbort);
	}
	const out = new Uint8Array(size);
	let offset = 0;
	for (const c of chunks) {
		out.set(c, offset);
		offset += c.byteLength;
	}
	return out;
}

/** Passes the body through, erroring it once more than `max` bytes have gone by. */
function limitStream(
	body: ReadableStream<Uint8Array> | null,
	max: number,
	done: () => void
): ReadableStream<Uint8Array> | null {
	if (!body) {
		done();
		return null;
	}
	let size = 0;
	return body.pipeThrough(
		new TransformStream<Uint8Array, Uint8Array>({
			transform(chunk, controller) {
				size += chunk.byteLength;
				if (size > max) {
					done();
					controller.error(new Error('The answer is larger than this relay passes on.'));
				} else controller.enqueue(chunk);
			},
			flush: done
		})
	);
}
