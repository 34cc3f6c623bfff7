/** The Hetzner Cloud API client both Hetzner adapters share (through the proxy: no CORS confirmed). */
import type { HttpClient } from '../../ports/http.ts';
import { JsonApi, type RetryOptions } from '../http/chain.ts';
import { HETZNER_WAIT_RULE, hetznerErrors } from './errors.ts';

export interface HetznerOptions {
	token: string;
	/** Default https://api.hetzner.cloud/v1; the sandbox points it at /sandbox/hetzner/v1. */
	baseUrl?: string;
	/** The proxy base URL; Hetzner's API is reached through it from the browser. */
	proxyBase?: string;
	http?: HttpClient;
	retry?: Omit<RetryOptions, 'rule'>;
	onRequest?: (method: string, path: string) => void;
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
export async function listAll<T>(
	api: JsonApi,
	path: string,
	key: string,
	query: Record<string, string> = {}
): Promise<T[]> {
	const items: T[] = [];
	for (let page = 1; page <= 100; page++) {
		const { data } = await api.call<Record<string, unknown>>('GET', path, { query: { ...query, per_page: 50, page } });
		items.push(...((data[key] as T[]) ?? []));
		const next = (data.meta as { pagination?: { next_page?: number | null } } | undefined)?.pagination?.next_page;
		if (!next) break;
	}
	return items;
}

/** `k1==v1,k2==v2`: all labels must match. */
export function selector(labels: Readonly<Record<string, string>>): string {
	return Object.entries(labels)
		.map(([k, v]) => `${k}==${v}`)
		.join(',');
}
