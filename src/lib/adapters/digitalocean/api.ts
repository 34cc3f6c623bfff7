/** The DigitalOcean API client both DigitalOcean adapters share (direct: the API allows CORS). */
import { JsonApi, listPages, type ChainOptions } from '../http/chain.ts';
import { DIGITALOCEAN_WAIT_RULE, digitalOceanErrors } from './errors.ts';

export interface DigitalOceanOptions extends Omit<ChainOptions, 'proxyBase'> {
	token: string;
	/** Default https://api.digitalocean.com; the sandbox points it at /sandbox/digitalocean. */
	baseUrl?: string;
	/** Poll interval and limit for waits (images, droplets). */
	pollMs?: number;
	waitTimeoutMs?: number;
	/** Where Flatcar's DigitalOcean image is published. */
	flatcarImageUrl?: string;
	sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export function digitalOceanApi(options: DigitalOceanOptions): JsonApi {
	return new JsonApi({
		baseUrl: options.baseUrl ?? 'https://api.digitalocean.com',
		errors: digitalOceanErrors,
		rule: DIGITALOCEAN_WAIT_RULE,
		auth: () => ({ authorization: `Bearer ${options.token}` }),
		http: options.http,
		retry: options.retry,
		onRequest: options.onRequest
	});
}

/** Every item of a paged list (bounded: 50 pages of 200). */
export function listAll<T>(api: JsonApi, path: string, key: string, query: Record<string, string> = {}): Promise<T[]> {
	return listPages<T>(api, path, key, query, {
		perPage: 200,
		maxPages: 50,
		more: (data) => Boolean((data.links as { pages?: { next?: string } } | undefined)?.pages?.next)
	});
}

/** DigitalOcean tags are plain strings: a label k=v becomes the tag "k:v". */
export function labelsToTags(labels: Readonly<Record<string, string>>): string[] {
	return Object.entries(labels).map(([k, v]) => `${k}:${v}`);
}

export function tagsToLabels(tags: readonly string[] | undefined): Record<string, string> {
	const labels: Record<string, string> = {};
	for (const t of tags ?? []) {
		const i = t.indexOf(':');
		if (i > 0) labels[t.slice(0, i)] = t.slice(i + 1);
	}
	return labels;
}
