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
 * An error written for the person: `message` says what is wrong and `action` what to do,
 * in plain words, with nothing secret. Pages show it as it is (see describeError).
 */
export class PlainError extends Error {
	readonly code: string;
	readonly action: string;
	constructor(message: string, action: string, code = 'invalid') {
		super(message);
		this.name = 'PlainError';
		this.code = code;
		this.action = action;
	}
}

/** A secret nassella needs is not in the vault (a record from an older export lacks it). */
export class MissingSecretError extends PlainError {
	constructor(message: string, action = 'Import the newest export of your vault on this device.') {
		super(message, action, 'missing-secret');
		this.name = 'MissingSecretError';
	}
}

/** What a page shows of an error: what went wrong and what the person can do, in plain words. */
export interface Described {
	/** The error's code (a ProviderError's, a vault error's…), or "unexpected". */
	code: string;
	message: string;
	action: string;
	/** Who answered, when someone outside did ("DigitalOcean", "your server"). */
	provider?: string;
}

const UNEXPECTED = {
	message: 'Something unexpected went wrong.',
	action: 'Try again. If it keeps happening, export your settings and report the problem.'
};

/**
 * The one presenter from anything thrown to plain words. Typed errors (ProviderError, the
 * vault's errors, and any error that carries an `action`) are written for the person and
 * shown as they are; anything else could hold data (a URL, a token, a file's contents), so
 * its text is never shown: the caller's `fallback` words are, or a generic sentence.
 */
export function describeError(error: unknown, fallback: { message: string; action: string } = UNEXPECTED): Described {
	if (isProviderError(error))
		return { code: error.code, message: error.message, action: error.action, provider: error.provider };
	if (isPlainError(error)) {
		const code = (error as { code?: unknown }).code;
		return { code: typeof code === 'string' ? code : 'unexpected', message: error.message, action: error.action };
	}
	return { code: 'unexpected', message: fallback.message, action: fallback.action };
}

/** An error written for the person: its message and `action` are plain words with nothing secret. */
export function isPlainError(error: unknown): error is Error & { action: string } {
	if (!(error instanceof Error)) return false;
	const action: unknown = (error as { action?: unknown }).action;
	return typeof action === 'string' && action.length > 0;
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
