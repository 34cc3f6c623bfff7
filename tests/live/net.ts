/**
 * What live-check sees on the wire, and what it must never show: a tap on the platform
 * `fetch` (the bottom of every adapter's HTTP chain, octokit's included) that records each
 * call's method, address, answer, time and rate-limit headers; the scrubber every line and
 * report goes through; the HEAD and CORS preflight probes.
 */
import { isProviderError } from '../../src/lib/core/errors.ts';

/** Replaces every secret it was given (tokens, the server's password) wherever it appears. */
export class Scrubber {
	#secrets: string[] = [];

	add(secret: string | undefined): void {
		if (!secret) return;
		const forms = [secret, encodeURIComponent(secret), Buffer.from(secret, 'utf8').toString('base64')];
		for (const f of forms) if (f && !this.#secrets.includes(f)) this.#secrets.push(f);
		// Longest first, so a secret that contains another is replaced whole.
		this.#secrets.sort((a, b) => b.length - a.length);
	}

	text(value: string): string {
		let out = value;
		for (const s of this.#secrets) out = out.split(s).join('[redacted]');
		return out;
	}

	/** True when `value` still holds a secret (used as a last check before anything is written). */
	leaks(value: string): boolean {
		return this.#secrets.some((s) => value.includes(s));
	}
}

/** One line about an error, in the words the app would show; never a stack. */
export function describeError(error: unknown): string {
	if (isProviderError(error)) {
		const status = error.status ? ` (HTTP ${error.status})` : '';
		return `${error.message}${status} ${error.action}`.trim();
	}
	if (error instanceof Error) {
		const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
		const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : '';
		return `${error.message}${why ? ` (${why})` : ''}`;
	}
	return String(error);
}

const RATE_LIMIT_HEADER = /^(x-)?rate-?limit|^retry-after$/i;

export function rateLimitHeaders(headers: Headers): Record<string, string> {
	const out: Record<string, string> = {};
	headers.forEach((value, name) => {
		if (RATE_LIMIT_HEADER.test(name)) out[name.toLowerCase()] = value;
	});
	return out;
}

export interface CallRecord {
	/** Which provider the address belongs to ("other" when none). */
	provider: string;
	/** What the kit was doing: "read", "deploy", "destroy", "leftovers". */
	phase: string;
	method: string;
	/** Host and path with the query, as sent (a relay's prefix included). */
	url: string;
	status?: number;
	ms: number;
	error?: string;
	rateLimit: Record<string, string>;
}

export interface TapOptions {
	/** Names the provider a request is for. */
	attribute(url: URL): string;
	/** The current phase, read at each call. */
	phase(): string;
	/** A relay the calls may go through: requests to it carry the app's Origin, as a browser's do. */
	relay?: { base: string; origin: string };
}

/**
 * Puts the tap under every request made with the global `fetch` until `restore`. Answers are
 * passed on untouched; only their status, timing and rate-limit headers are kept.
 */
export function installTap(options: TapOptions): { calls: CallRecord[]; restore(): void } {
	const original = globalThis.fetch;
	const calls: CallRecord[] = [];
	const tapped: typeof fetch = async (input, init) => {
		let request = new Request(input, init);
		if (options.relay && request.url.startsWith(options.relay.base) && !request.headers.has('origin')) {
			const headers = new Headers(request.headers);
			headers.set('origin', options.relay.origin);
			request = new Request(request, { headers });
		}
		const url = new URL(request.url);
		const record: CallRecord = {
			provider: options.attribute(url),
			phase: options.phase(),
			method: request.method,
			url: `${url.host}${url.pathname}${url.search}`,
			ms: 0,
			rateLimit: {}
		};
		const started = performance.now();
		try {
			const response = await original(request);
			record.ms = Math.round(performance.now() - started);
			record.status = response.status;
			record.rateLimit = rateLimitHeaders(response.headers);
			return response;
		} catch (error) {
			record.ms = Math.round(performance.now() - started);
			record.error = describeError(error);
			throw error;
		} finally {
			calls.push(record);
		}
	};
	globalThis.fetch = tapped;
	return {
		calls,
		restore() {
			if (globalThis.fetch === tapped) globalThis.fetch = original;
		}
	};
}

export interface HeadAnswer {
	url: string;
	status?: number;
	ms: number;
	contentLength?: number;
	lastModified?: string;
	/** The host that answered in the end, when the address redirected. */
	redirectedTo?: string;
	error?: string;
}

/** A HEAD request (redirects followed), with what the answer says about the file. */
export async function head(url: string, timeoutMs = 30_000): Promise<HeadAnswer> {
	const started = performance.now();
	try {
		const r = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(timeoutMs) });
		await r.body?.cancel();
		const length = r.headers.get('content-length');
		return {
			url,
			status: r.status,
			ms: Math.round(performance.now() - started),
			...(length !== null && /^\d+$/.test(length) ? { contentLength: Number(length) } : {}),
			...(r.headers.get('last-modified') ? { lastModified: r.headers.get('last-modified')! } : {}),
			...(r.redirected ? { redirectedTo: new URL(r.url).host } : {})
		};
	} catch (error) {
		return { url, ms: Math.round(performance.now() - started), error: describeError(error) };
	}
}

export interface PreflightAnswer {
	url: string;
	origin: string;
	/** What the preflight asked for. */
	requestMethod: string;
	requestHeaders: string;
	status?: number;
	ms: number;
	/** Every access-control-* header of the answer, plus vary. */
	headers: Record<string, string>;
	error?: string;
}

/** A CORS preflight as a browser sends it before an authorised JSON request. */
export async function preflight(
	url: string,
	origin: string,
	requestMethod = 'GET',
	requestHeaders = 'authorization,content-type',
	timeoutMs = 30_000
): Promise<PreflightAnswer> {
	const started = performance.now();
	const base = { url, origin, requestMethod, requestHeaders };
	try {
		const r = await fetch(url, {
			method: 'OPTIONS',
			headers: {
				origin,
				'access-control-request-method': requestMethod,
				'access-control-request-headers': requestHeaders
			},
			redirect: 'manual',
			signal: AbortSignal.timeout(timeoutMs)
		});
		await r.body?.cancel();
		const headers: Record<string, string> = {};
		r.headers.forEach((value, name) => {
			if (name.startsWith('access-control-') || name === 'vary') headers[name] = value;
		});
		return { ...base, status: r.status, ms: Math.round(performance.now() - started), headers };
	} catch (error) {
		return { ...base, ms: Math.round(performance.now() - started), headers: {}, error: describeError(error) };
	}
}

/**
 * Whether a browser on `origin` may send the authorised request the preflight asked about:
 * a 2xx answer, the origin allowed (itself or `*`), and `authorization` named explicitly
 * (a `*` does not cover it), the method too unless it is GET or HEAD.
 */
export function preflightAllows(answer: PreflightAnswer): { ok: boolean; why: string } {
	if (answer.error) return { ok: false, why: `no answer: ${answer.error}` };
	if (!answer.status || answer.status < 200 || answer.status > 299)
		return { ok: false, why: `the preflight was answered ${answer.status}` };
	const allowOrigin = answer.headers['access-control-allow-origin'];
	if (allowOrigin !== '*' && allowOrigin !== answer.origin)
		return { ok: false, why: allowOrigin ? `it allows the origin ${allowOrigin} only` : 'it allows no origin' };
	const list = (name: string) =>
		(answer.headers[name] ?? '')
			.split(',')
			.map((s) => s.trim().toLowerCase())
			.filter(Boolean);
	if (!list('access-control-allow-headers').includes('authorization'))
		return { ok: false, why: 'it does not allow the Authorization header' };
	const method = answer.requestMethod.toUpperCase();
	if (!['GET', 'HEAD'].includes(method)) {
		const methods = list('access-control-allow-methods');
		if (!methods.includes(method.toLowerCase()) && !methods.includes('*'))
			return { ok: false, why: `it does not allow ${method}` };
	}
	return { ok: true, why: `origin ${allowOrigin}, Authorization allowed` };
}
