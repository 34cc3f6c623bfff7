/**
 * Per-client token buckets kept in memory (the Node entry). Each client may burst up to
 * `capacity` requests, refilled at `perSecond`. The table is bounded: when full, the
 * least recently seen clients are forgotten first.
 */
export interface RateLimitOptions {
	capacity: number;
	perSecond: number;
	/** Most clients remembered at once. */
	maxClients?: number;
	now?: () => number;
}

export const DEFAULT_RATE_LIMIT: RateLimitOptions = { capacity: 120, perSecond: 2 };

export function createRateLimiter(options: RateLimitOptions): (clientKey: string) => boolean {
	const { capacity, perSecond } = options;
	const maxClients = options.maxClients ?? 10_000;
	const now = options.now ?? (() => Date.now());
	// A Map keeps insertion order: re-inserting on use makes the first entry the stalest.
	const buckets = new Map<string, { tokens: number; at: number }>();
	return (clientKey) => {
		const t = now();
		const bucket = buckets.get(clientKey) ?? { tokens: capacity, at: t };
		buckets.delete(clientKey);
		bucket.tokens = Math.min(capacity, bucket.tokens + ((t - bucket.at) / 1000) * perSecond);
		bucket.at = t;
		const allowed = bucket.tokens >= 1;
		if (allowed) bucket.tokens -= 1;
		buckets.set(clientKey, bucket);
		if (buckets.size > maxClients) buckets.delete(buckets.keys().next().value!);
		return allowed;
	};
}
