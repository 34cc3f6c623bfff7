/**
 * When a failed step is tried again by itself, and after how long (security.md §9):
 * 429 waits as long as the provider said (clamped, with a little jitter); server errors,
 * network drops and timeouts back off exponentially with full jitter; everything else
 * (a wrong token, a full quota, an invalid value) stops and waits for the person.
 */
import type { ErrorCode } from '../errors.ts';

/** A step's error as stored in the deployment state: serialisable, without secrets. */
export interface StepError {
	code: ErrorCode;
	provider: string;
	message: string;
	action: string;
	retryAfterMs?: number;
}

export const RETRY_LIMITS = {
	/** Automatic attempts of one step before asking the person. */
	rateLimited: 10,
	transient: 8,
	baseDelayMs: 1_000,
	maxDelayMs: 30_000,
	/** The longest we ever wait on a provider's say-so (a reset time far away is a bug or an hour-long limit). */
	maxRateLimitWaitMs: 15 * 60_000,
	minRateLimitWaitMs: 250
} as const;

export type RetryDecision = { retry: true; delayMs: number } | { retry: false };

/**
 * `attempts` counts the attempts made so far (1 after the first failure); `jitter` is a
 * random number in [0, 1) supplied by the caller, so this stays pure.
 */
export function retryDecision(error: StepError, attempts: number, jitter: number): RetryDecision {
	const j = Math.min(Math.max(jitter, 0), 0.999999);
	if (error.code === 'rate-limited') {
		if (attempts >= RETRY_LIMITS.rateLimited) return { retry: false };
		const told = error.retryAfterMs ?? RETRY_LIMITS.baseDelayMs * 2 ** Math.min(attempts - 1, 6);
		const clamped = Math.min(Math.max(told, RETRY_LIMITS.minRateLimitWaitMs), RETRY_LIMITS.maxRateLimitWaitMs);
		// A small jitter on top, so tabs and devices do not all come back in the same instant.
		return { retry: true, delayMs: Math.round(clamped + j * Math.min(1_000, clamped * 0.1)) };
	}
	if (error.code === 'network' || error.code === 'unavailable') {
		if (attempts >= RETRY_LIMITS.transient) return { retry: false };
		const ceiling = Math.min(RETRY_LIMITS.maxDelayMs, RETRY_LIMITS.baseDelayMs * 2 ** Math.max(attempts - 1, 0));
		// Full jitter, but never less than a tenth of the ceiling.
		return { retry: true, delayMs: Math.round(ceiling * (0.1 + 0.9 * j)) };
	}
	return { retry: false };
}

/**
 * Reads a wait from response headers, per provider semantics: `Retry-After` first (seconds
 * or an HTTP date), otherwise a `RateLimit-Reset`/`X-RateLimit-Reset` that is an epoch when
 * it is larger than 10^9 and seconds-to-wait otherwise. Undefined when nothing usable.
 */
export function waitFromHeaders(get: (name: string) => string | null, nowMs: number): number | undefined {
	const retryAfter = get('retry-after');
	if (retryAfter) {
		const trimmed = retryAfter.trim();
		if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
		const date = Date.parse(trimmed);
		if (!Number.isNaN(date)) return Math.max(0, date - nowMs);
	}
	const reset = get('ratelimit-reset') ?? get('x-ratelimit-reset');
	if (reset && /^\d+(\.\d+)?$/.test(reset.trim())) {
		const value = Number(reset.trim());
		return value > 1e9 ? Math.max(0, value * 1000 - nowMs) : value * 1000;
	}
	return undefined;
}
