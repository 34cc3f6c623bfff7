/**
 * Plain-language errors for git hosts, from an HTTP status and the headers that matter
 * (rate-limit reset, retry-after). Never includes a token, URL query or request body.
 */
import { codeForStatus, DEFAULT_ACTIONS, ProviderError } from '../errors.ts';

export { isRateLimited } from '../errors.ts';

export interface StatusInfo {
	status: number;
	/** Lower-case header names. */
	headers?: Readonly<Record<string, string | undefined>>;
	/** What we were doing, e.g. "creating the repository". */
	doing: string;
	/** The host's own short message, when it is safe to show (no secrets echo back from git hosts). */
	detail?: string;
	now?: number;
}

function retryAfterMs(info: StatusInfo): number | undefined {
	const h = info.headers ?? {};
	const now = info.now ?? Date.now();
	const retry = h['retry-after'];
	if (retry && /^\d+$/.test(retry)) return Number(retry) * 1000;
	const reset = h['x-ratelimit-reset'] ?? h['ratelimit-reset'];
	if (reset && /^\d+$/.test(reset)) {
		const n = Number(reset);
		// GitHub and GitLab send epoch seconds; some send seconds from now.
		return n > 1e9 ? Math.max(0, n * 1000 - now) : n * 1000;
	}
	return undefined;
}

function clockTime(ms: number, now: number): string {
	const at = new Date(now + ms);
	return `${String(at.getUTCHours()).padStart(2, '0')}:${String(at.getUTCMinutes()).padStart(2, '0')} UTC`;
}

export function hostError(provider: string, info: StatusInfo): ProviderError {
	const { status, doing } = info;
	const detail = info.detail ? ` (${info.detail.replace(/\s+/g, ' ').slice(0, 160)})` : '';
	const code = codeForStatus(status, info.headers);
	let message: string;
	let action: string | undefined;
	let retry: number | undefined;
	switch (code) {
		case 'rate-limited': {
			retry = retryAfterMs(info);
			const at = retry !== undefined ? clockTime(retry, info.now ?? Date.now()) : undefined;
			message = `${provider} is limiting how many requests this token may make, so ${doing} has to wait.${at ? ` The limit resets at ${at}.` : ''}`;
			action = at ? `Nothing to do: nassella tries again after ${at}.` : undefined;
			break;
		}
		case 'unauthorized':
			message = `${provider} did not accept the token while ${doing}.`;
			break;
		case 'forbidden':
			message = `${provider} refused ${doing}: the token lacks a permission${detail}.`;
			break;
		case 'not-found':
			message = `${provider} could not find what was needed for ${doing}${detail}.`;
			action =
				'If the repository was deleted or renamed, set it up again; if the token is limited to some repositories, include this one.';
			break;
		case 'conflict':
		case 'invalid':
			message = `${provider} refused ${doing}${detail}.`;
			break;
		case 'unavailable':
			message = `${provider} had a problem while ${doing} (error ${status}).`;
			break;
		default:
			message = `${provider} answered ${doing} with an unexpected status ${status}.`;
	}
	return new ProviderError({
		code,
		provider,
		message,
		action: action ?? DEFAULT_ACTIONS[code],
		status,
		retryAfterMs: retry
	});
}

export function networkError(provider: string, doing: string): ProviderError {
	return new ProviderError({
		code: 'network',
		provider,
		message: `Could not reach ${provider} while ${doing}.`,
		action: DEFAULT_ACTIONS.network
	});
}

export function conflictError(provider: string): ProviderError {
	return new ProviderError({
		code: 'conflict',
		provider,
		message: `The configuration repository on ${provider} changed since nassella last looked at it, so this change was not written.`,
		action: 'Reload the current state and apply your change again. Nothing was overwritten.'
	});
}

export function notEmptyError(provider: string, fullName: string): ProviderError {
	return new ProviderError({
		code: 'conflict',
		provider,
		message: `A repository named ${fullName} already exists on ${provider} and holds files nassella did not write.`,
		action: 'Pick another name for the configuration repository, or empty or delete that repository first.'
	});
}
