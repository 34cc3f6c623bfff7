/**
 * How long a provider asked us to wait, read per provider (security.md §9): `Retry-After` first
 * (delay-seconds or an HTTP-date), otherwise the provider's reset header with that provider's
 * meaning. Pure functions of the headers and the clock.
 */

/** A reset header's meaning: a Unix time in seconds ("epoch") or a delay in seconds. */
export type ResetMeaning = 'epoch' | 'seconds';

export interface WaitRule {
	/** Header names holding a reset value, tried in order (lowercase). */
	resetHeaders: string[];
	resetMeaning: ResetMeaning;
}

/** `Retry-After`: delay-seconds or an HTTP-date (RFC 9110 §10.2.3). */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
	if (value == null) return undefined;
	const v = value.trim();
	if (/^\d+$/.test(v)) return Number(v) * 1000;
	const date = Date.parse(v);
	if (Number.isNaN(date)) return undefined;
	return Math.max(0, date - nowMs);
}

/** A reset header value. Values above 10^9 are always treated as epochs, whatever the rule says. */
export function parseReset(value: string | null, meaning: ResetMeaning, nowMs: number): number | undefined {
	if (value == null || !/^\d+(\.\d+)?$/.test(value.trim())) return undefined;
	const n = Number(value.trim());
	if (meaning === 'epoch' || n > 1e9) return Math.max(0, n * 1000 - nowMs);
	return n * 1000;
}

export function waitFromHeaders(headers: Headers, rule: WaitRule, nowMs: number): number | undefined {
	const retryAfter = parseRetryAfter(headers.get('retry-after'), nowMs);
	if (retryAfter !== undefined) return retryAfter;
	for (const name of rule.resetHeaders) {
		const ms = parseReset(headers.get(name), rule.resetMeaning, nowMs);
		if (ms !== undefined) return ms;
	}
	return undefined;
}

/** Clamp to [0, max] and add up to `jitter` (a fraction) on top, so many clients don't return at once. */
export function clampWithJitter(ms: number, maxMs: number, jitter: number, random: () => number): number {
	const base = Math.min(Math.max(0, ms), maxMs);
	return Math.round(base + base * jitter * random());
}
