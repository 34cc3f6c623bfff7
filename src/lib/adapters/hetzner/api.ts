/** The Hetzner Cloud API client both Hetzner adapters share (through the proxy: no CORS confirmed). */
import { JsonApi, listPages, type ChainOptions } from '../http/chain.ts';
import { HETZNER_WAIT_RULE, hetznerErrors } from './errors.ts';

export interface HetznerOptions extends ChainOptions {
	token: string;
	/** Default https://api.hetzner.cloud/v1; the sandbox points it at /sandbox/hetzner/v1. */
	baseUrl?: string;
	pollMs?: number;
	waitTimeoutMs?: number;
	/** The builder's budget: download, write and power off (default 30 minutes). */
	buildTimeoutMs?: number;
	flatcarChannel?: 'stable' | 'beta' | 'lts';
	sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function hetznerApi(options: HetznerOptions): JsonApi {
	return new JsonApi({
		baseUrl: options.baseUrl ?? 'https://api.hetzner.cloud/v1',
		errors: hetznerErrors,
		rule: HETZNER_WAIT_RULE,
		auth: () => ({ authorization: `Bearer ${options.token}` }),
		proxyBase: options.proxyBase,
		http: options.http,
		retry: options.retry,
		onRequest: options.onRequest
	});
}

/** Every item of a paged list (bounded: 100 pages of 50). */
export function listAll<T>(api: JsonApi, path: string, key: string, query: Record<string, string> = {}): Promise<T[]> {
	return listPages<T>(api, path, key, query, {
		perPage: 50,
		maxPages: 100,
		more: (data) =>
			Boolean((data.meta as { pagination?: { next_page?: number | null } } | undefined)?.pagination?.next_page)
	});
}

/** `k1==v1,k2==v2`: all labels must match. */
export function selector(labels: Readonly<Record<string, string>>): string {
	return Object.entries(labels)
		.map(([k, v]) => `${k}==${v}`)
		.join(',');
}
