/** DigitalOcean's error answers (`{id, message}`) mapped once into ProviderErrors. */
import { DEFAULT_ACTIONS, ProviderError } from '../../core/errors.ts';
import { errorByStatus, safeDetail, type VendorErrors } from '../http/chain.ts';

export const digitalOceanErrors: VendorErrors = {
	provider: 'DigitalOcean',
	map(status, body, _headers, retryAfterMs) {
		const b = (body ?? {}) as { id?: string; message?: string };
		const text = b.message ?? '';
		if (status === 401)
			return errorByStatus('DigitalOcean', status, undefined, {
				message: 'DigitalOcean did not accept the token.',
				action:
					'Create a new personal access token with read and write scope in DigitalOcean (API → Tokens) and enter it again.'
			});
		if (status === 403)
			return errorByStatus('DigitalOcean', status, undefined, {
				message: 'The DigitalOcean token lacks a permission for this step.',
				action: 'Create a token with write scope (or the droplet, image, volume, firewall, tag and domain scopes).'
			});
		if (status === 422 && /limit|exceed/i.test(text))
			return new ProviderError({
				code: 'quota',
				provider: 'DigitalOcean',
				status,
				message: 'Your DigitalOcean account has reached a limit (for example the number of droplets).',
				action: DEFAULT_ACTIONS.quota
			});
		if ((status === 409 || status === 422) && /already|in use|taken/i.test(text))
			return errorByStatus('DigitalOcean', 409, undefined, {
				message: `DigitalOcean says it already exists: ${safeDetail(text) ?? ''}`.trim()
			});
		if (status === 422 || status === 400)
			return errorByStatus('DigitalOcean', status, undefined, {
				message: `DigitalOcean refused the request: ${safeDetail(text) ?? 'invalid values'}.`
			});
		return errorByStatus('DigitalOcean', status, retryAfterMs);
	}
};

export const DIGITALOCEAN_WAIT_RULE = { resetHeaders: ['ratelimit-reset'], resetMeaning: 'epoch' as const };
