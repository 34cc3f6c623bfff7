/**
 * A small JSON REST caller for git hosts' APIs (Forgejo, GitLab) over the shared chain: the
 * relay rewrite, then the retry layer (reads sent again after a lost answer or a server
 * error, a 429 waited out), then plain errors.
 */
import type { HttpClient } from '../../ports/http.ts';
import { hostError, networkError } from '../../core/git/host-errors.ts';
import { platformFetch, withProxy, withRetry, type RetryOptions } from '../http/chain.ts';

/** Short waits: a git host's longer limit is reported to the person instead. */
const RETRY: RetryOptions = {
	rule: { resetHeaders: ['ratelimit-reset', 'x-ratelimit-reset'], resetMeaning: 'epoch' },
	retries: 3,
	maxWaitMs: 5_000,
	baseDelayMs: 200,
	timeoutMs: 60_000
};

export interface RestOptions {
	provider: string;
	/** e.g. https://codeberg.org/api/v1 */
	apiBase: string;
	headers: Record<string, string>;
	proxyBase?: string;
	/** The bottom of the chain (tests and the sandbox put a fake here). */
	http?: HttpClient;
}

export function restClient(options: RestOptions) {
	const http = withRetry(withProxy(options.http ?? platformFetch, options.proxyBase), RETRY);
	return async function call<T>(
		method: string,
		path: string,
		doing: string,
		body?: unknown,
		accept: number[] = []
	): Promise<{ status: number; data: T }> {
		const url = options.apiBase.replace(/\/+$/, '') + path;
		let response: Response;
		try {
			response = await http(
				new Request(url, {
					method,
					headers: {
						accept: 'application/json',
						...(body ? { 'content-type': 'application/json' } : {}),
						...options.headers
					},
					body: body ? JSON.stringify(body) : undefined
				})
			);
		} catch {
			throw networkError(options.provider, doing);
		}
		if (!response.ok && !accept.includes(response.status)) {
			const headers: Record<string, string> = {};
			response.headers.forEach((v, k) => (headers[k] = v));
			throw hostError(options.provider, { status: response.status, headers, doing });
		}
		const text = await response.text();
		return { status: response.status, data: (text ? JSON.parse(text) : undefined) as T };
	};
}
