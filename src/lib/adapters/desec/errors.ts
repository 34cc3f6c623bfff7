/** deSEC's error answers (Django REST framework: `{detail}` or per-field lists) mapped once. */
import { ProviderError } from '../../core/errors.ts';
import { errorByStatus, safeDetail, type VendorErrors } from '../http/chain.ts';

function firstMessage(body: unknown): string | undefined {
	if (typeof body === 'string') return body;
	if (Array.isArray(body)) return body.map(firstMessage).find(Boolean);
	if (body && typeof body === 'object') {
		const b = body as Record<string, unknown>;
		if (typeof b.detail === 'string') return b.detail;
		for (const v of Object.values(b)) {
			const m = firstMessage(v);
			if (m) return m;
		}
	}
	return undefined;
}

export const desecErrors: VendorErrors = {
	provider: 'deSEC',
	map(status, body, _headers, retryAfterMs) {
		const text = firstMessage(body) ?? '';
		if (status === 401)
			return errorByStatus('deSEC', status, undefined, {
				message: 'deSEC did not accept the token.',
				action: 'Create a new token at desec.io (Token Management) and enter it again.'
			});
		if (status === 403 && /limit/i.test(text))
			return new ProviderError({
				code: 'quota',
				provider: 'deSEC',
				status,
				message: 'Your deSEC account has reached its number of domains.',
				action: 'Remove a domain you no longer use at desec.io, or ask deSEC support for more.'
			});
		if (status === 403)
			return errorByStatus('deSEC', status, undefined, {
				message: 'deSEC refused: the token may not change this domain.',
				action: 'Use a token without domain or IP restrictions, or one that allows this domain.'
			});
		if (status === 409 || /conflicts with an existing domain|already/i.test(text))
			return new ProviderError({
				code: 'conflict',
				provider: 'deSEC',
				status,
				message: 'That name is already taken at deSEC.',
				action: 'Pick another name.'
			});
		if (status === 400)
			return errorByStatus('deSEC', status, undefined, {
				message: `deSEC refused the change: ${safeDetail(text) ?? 'invalid values'}`
			});
		return errorByStatus('deSEC', status, retryAfterMs);
	}
};

/** deSEC sends Retry-After (seconds) with a 429; no reset header. */
export const DESEC_WAIT_RULE = { resetHeaders: [], resetMeaning: 'seconds' as const };
