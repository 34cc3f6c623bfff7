/** Shared pieces of the contract suites: a recording sleep and the fake-backed client. */
import type { FakeApi } from '../../workers/sandbox/kit.ts';
import type { WaitNote } from '../../src/lib/adapters/http/chain.ts';

export const TOKEN = 'contract-token-3c9f1a7e5b2d4c6f8a0b';

export interface Recorder {
	waits: WaitNote[];
	slept: number[];
	requests: { method: string; path: string }[];
}

export function recorder(): Recorder {
	return { waits: [], slept: [], requests: [] };
}

/** Options every adapter takes in tests: the fake as the bottom of the chain and a recording, instant retry sleep. */
export function testOptions(fake: FakeApi, rec: Recorder, token = TOKEN) {
	return {
		token,
		http: fake.client(),
		retry: {
			sleep: async (ms: number) => {
				rec.slept.push(ms);
			},
			random: () => 0,
			// Short enough to keep the "timeout" fault quick, long enough for a busy machine.
			timeoutMs: 2000,
			baseDelayMs: 5,
			onWait: (n: WaitNote) => rec.waits.push(n)
		},
		onRequest: (method: string, path: string) => rec.requests.push({ method, path }),
		pollMs: 10,
		waitTimeoutMs: 20_000
	};
}

import type { Fault } from '../../workers/sandbox/kit.ts';

/**
 * Faults injected in the transport, for a real server that cannot be told to misbehave:
 * a 429 with Retry-After, or a request that reaches the server but whose answer is lost.
 */
export function faultyTransport(next: (r: Request) => Promise<Response>, faults: Fault[]) {
	return async (request: Request): Promise<Response> => {
		const path = new URL(request.url).pathname;
		const i = faults.findIndex((f) => (!f.method || f.method === request.method) && (!f.path || path.includes(f.path)));
		const fault = i >= 0 ? faults.splice(i, 1)[0] : undefined;
		if (fault?.kind === 'rate-limit')
			return new Response(JSON.stringify({ error: 'Too many requests' }), {
				status: 429,
				headers: { 'retry-after': String(fault.waitSeconds ?? 1) }
			});
		const response = await next(request);
		if (fault?.kind === 'lost') throw new TypeError('fetch failed');
		return response;
	};
}

import type { SpecValidator, Violation } from '../../workers/sandbox/openapi.ts';

/** Checks every request to, and answer from, a real server against its OpenAPI document. */
export function validatingTransport(
	validator: SpecValidator,
	next: (r: Request) => Promise<Response>,
	violations: Violation[],
	/** Known differences between the server's version and the document, e.g. extra answer fields. */
	tolerate: (error: string) => boolean = () => false
) {
	return async (request: Request): Promise<Response> => {
		const url = new URL(request.url);
		const text = request.body ? await request.clone().text() : '';
		const bad = validator.checkRequest(
			request.method,
			url.pathname,
			url.searchParams,
			text ? JSON.parse(text) : undefined
		);
		if (bad) violations.push({ where: 'request', method: request.method, path: url.pathname, errors: bad });
		const response = await next(request);
		const body = await response.clone().text();
		let parsed: unknown;
		try {
			parsed = body ? JSON.parse(body) : undefined;
		} catch {
			parsed = body;
		}
		const wrong = validator.checkResponse(request.method, url.pathname, response.status, parsed);
		if (wrong && !tolerate(wrong))
			violations.push({
				where: 'response',
				method: request.method,
				path: url.pathname,
				status: response.status,
				errors: wrong
			});
		return response;
	};
}
