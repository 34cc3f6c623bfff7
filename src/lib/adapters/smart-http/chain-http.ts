/**
 * isomorphic-git's HTTP client over the shared chain: git's smart HTTP requests take the
 * relay rewrite and the retry layer like every other call (info/refs reads are sent again
 * after a lost answer or a server error; a push never is: the branch's compare-and-swap
 * decides). A client in isomorphic-git's own form (a test's) can sit at the bottom.
 */
import type { GitHttpRequest, GitHttpResponse, HttpClient as IsoHttpClient } from 'isomorphic-git';
import type { HttpClient } from '../../ports/http.ts';
import { platformFetch, withProxy, withRetry, type RetryOptions } from '../http/chain.ts';

const RETRY: RetryOptions = {
	rule: { resetHeaders: ['ratelimit-reset', 'x-ratelimit-reset'], resetMeaning: 'epoch' },
	retries: 3,
	maxWaitMs: 5_000,
	baseDelayMs: 200,
	timeoutMs: 120_000
};

/** The chain for git's smart HTTP, as isomorphic-git's client. */
export function gitHttpClient(options: { proxyBase?: string; bottom?: IsoHttpClient }): IsoHttpClient {
	const bottom = options.bottom ? fromIsoClient(options.bottom) : platformFetch;
	return toIsoClient(withRetry(withProxy(bottom, options.proxyBase), RETRY));
}

async function collect(body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
	const parts: Uint8Array[] = [];
	let size = 0;
	for await (const part of body) {
		parts.push(part);
		size += part.byteLength;
	}
	const out = new Uint8Array(size);
	let at = 0;
	for (const part of parts) {
		out.set(part, at);
		at += part.byteLength;
	}
	return out;
}

async function* chunks(body: ReadableStream<Uint8Array> | null): AsyncIterableIterator<Uint8Array> {
	if (!body) return;
	const reader = body.getReader();
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) return;
			yield value;
		}
	} finally {
		reader.releaseLock();
	}
}

/** The chain as isomorphic-git's client. */
export function toIsoClient(client: HttpClient): IsoHttpClient {
	return {
		async request(req: GitHttpRequest): Promise<GitHttpResponse> {
			const method = req.method ?? 'GET';
			const response = await client(
				new Request(req.url, {
					method,
					headers: req.headers ?? {},
					body: req.body ? await collect(req.body) : undefined,
					signal: req.signal as AbortSignal | undefined
				})
			);
			return {
				url: response.url || req.url,
				method,
				statusCode: response.status,
				statusMessage: response.statusText,
				headers: Object.fromEntries(response.headers),
				body: chunks(response.body)
			};
		}
	};
}

const NO_BODY = new Set([101, 204, 205, 304]);

/** A client in isomorphic-git's form as the bottom of the chain. */
export function fromIsoClient(iso: IsoHttpClient): HttpClient {
	return async (request) => {
		const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
		const answer = await iso.request({
			url: request.url,
			method: request.method,
			headers: Object.fromEntries(request.headers),
			body: body
				? (async function* () {
						yield body;
					})()
				: undefined
		});
		const bytes = answer.body ? await collect(answer.body) : new Uint8Array(0);
		return new Response(NO_BODY.has(answer.statusCode) ? null : bytes, {
			status: answer.statusCode,
			statusText: answer.statusMessage,
			headers: answer.headers
		});
	};
}
