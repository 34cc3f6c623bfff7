/**
 * One error type for everything that talks to the outside world (cloud, DNS, git hosts,
 * the proxy, the person's own server). Adapters map vendor errors into it once; the UI
 * shows `message` and `action` as they are. Neither may ever contain a token, a secret,
 * a request body or a URL query string.
 */
export const ERROR_CODES = [
	'unauthorized', // the token is wrong, expired or revoked
	'forbidden', // the token works but lacks a permission
	'quota', // an account limit (servers, volumes, spending) is reached
	'rate-limited', // too many requests; see retryAfterMs
	'not-found',
	'invalid', // the request was refused as invalid (a bad name, an unknown region…)
	'conflict', // it already exists, or someone else changed it first
	'network', // no answer: offline, DNS failure, timeout, connection reset
	'unavailable', // the provider answered with a server error
	'unexpected' // an answer that fits none of the above
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ProviderErrorInit {
	code: ErrorCode;
	/** Who answered, in words a person knows ("DigitalOcean", "GitHub", "your server"). */
	provider: string;
	/** What went wrong, in plain language. */
	message: string;
	/** What the person can do about it. */
	action: string;
	/** HTTP status, when there was one. */
	status?: number;
	/** How long to wait before trying again, when the provider said so. */
	retryAfterMs?: number;
}

export class ProviderError extends Error {
	readonly code: ErrorCode;
	readonly provider: string;
	readonly action: string;
	readonly status?: number;
	readonly retryAfterMs?: number;

	constructor(init: ProviderErrorInit) {
		super(init.message);
		this.name = 'ProviderError';
		this.code = init.code;
		this.provider = init.provider;
		this.action = init.action;
		this.status = init.status;
		this.retryAfterMs = init.retryAfterMs;
	}

	/** Worth trying again later without changing anything. */
	get transient(): boolean {
		return this.code === 'rate-limited' || this.code === 'network' || this.code === 'unavailable';
	}
}

export function isProviderError(value: unknown): value is ProviderError {
	return value instanceof ProviderError;
}

/**
 * The one mapping from an HTTP status to an error code, for every adapter (the provider
 * chain, the git hosts, the person's server). A 403 that says the request budget is spent
 * (GitHub's `x-ratelimit-remaining: 0`, or a `retry-after`) is a rate limit, not a refusal.
 * Adapters special-case their vendor's answers before falling back to this.
 */
export function codeForStatus(status: number, headers: Readonly<Record<string, string | undefined>> = {}): ErrorCode {
	if (isRateLimited(status, headers)) return 'rate-limited';
	if (status === 401) return 'unauthorized';
	if (status === 403) return 'forbidden';
	if (status === 404) return 'not-found';
	if (status === 409) return 'conflict';
	if (status === 400 || status === 416 || status === 422) return 'invalid';
	if (status >= 500) return 'unavailable';
	return 'unexpected';
}

/** Whether an answer means "too many requests": a 429, or a 403 that says the budget is spent. Headers in lower case. */
export function isRateLimited(status: number, headers: Readonly<Record<string, string | undefined>> = {}): boolean {
	return status === 429 || (status === 403 && (headers['x-ratelimit-remaining'] === '0' || !!headers['retry-after']));
}

/** Default advice per code, for adapters that have nothing more specific to say. */
export const DEFAULT_ACTIONS: Readonly<Record<ErrorCode, string>> = {
	unauthorized: 'Check the token: it may be mistyped, expired or revoked. Create a new one and enter it again.',
	forbidden: 'The token is missing a permission. Create a token with the permissions listed next to the field.',
	quota: 'Your account has reached a limit. Remove something you no longer use, or ask the provider to raise it.',
	'rate-limited': 'The provider asked us to slow down. nassella waits and tries again by itself.',
	'not-found': 'It may have been deleted elsewhere. Reload to see the current state.',
	invalid: 'Check the values you entered for this step.',
	conflict: 'Something changed at the same time. Reload and try again.',
	network: 'Check your internet connection; nassella tries again when it is back.',
	unavailable: 'The provider is having trouble. Wait a few minutes and try again.',
	unexpected: 'Try again. If it keeps happening, export your settings and report the problem.'
};
