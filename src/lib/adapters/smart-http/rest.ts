/** A small JSON REST caller for git hosts' APIs, with the relay rewrite and plain errors. */
import type { HttpClient } from '../../ports/http.ts';
import { viaProxy } from '../../core/net/proxy-url.ts';
import { hostError, networkError } from '../../core/git/host-errors.ts';

export interface RestOptions {
	provider: string;
	/** e.g. https://codeberg.org/api/v1 */
	apiBase: string;
	headers: Record<string, string>;
	proxyBase?: string;
	http?: HttpClient;
}

export function restClient(options: RestOptions) {
	const http: HttpClient = options.http ?? ((request) => fetch(request));
	return async function call<T>(
		method: string,
		path: string,
		doing: string,
		body?: unknown,
		accept: number[] = []
	): Promise<{ status: number; data: T }> {
		const url = viaProxy(options.apiBase.replace(/\/+$/, '') + path, options.proxyBase);
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
