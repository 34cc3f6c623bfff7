/** Cloudflare's error envelopes (`{success: false, errors: [{code, message}]}`) mapped once. */
import { ProviderError } from '../../core/errors.ts';
import { errorByStatus, safeDetail, type VendorErrors } from '../http/chain.ts';

export const cloudflareErrors: VendorErrors = {
	provider: 'Cloudflare',
	map(status, body, _headers, retryAfterMs) {
		const first = ((body ?? {}) as { errors?: { code?: number; message?: string }[] }).errors?.[0] ?? {};
		const code = first.code ?? 0;
		if (status === 401 || code === 10000 || code === 9106 || code === 6003)
			return errorByStatus('Cloudflare', 401, undefined, {
				message: 'Cloudflare did not accept the API token.',
				action:
					'Create an API token in Cloudflare (My Profile → API Tokens) with "Zone: DNS: Edit" for your domain, and enter it again.'
			});
		if (status === 403 || code === 9109)
			return errorByStatus('Cloudflare', 403, undefined, {
				message: 'The Cloudflare token may not change this domain.',
				action: 'Give the token "Zone: DNS: Edit" and "Zone: Zone: Read" for this domain.'
			});
		if (code === 81045)
			return new ProviderError({
				code: 'quota',
				provider: 'Cloudflare',
				status,
				message: 'This Cloudflare zone has reached its number of DNS records.',
				action: 'Delete records you no longer use in Cloudflare.'
			});
		if (code === 81053 || code === 81057 || code === 81058)
			return new ProviderError({
				code: 'conflict',
				provider: 'Cloudflare',
				status,
				message: 'Cloudflare already has a record like this.',
				action: 'Reload and try again.'
			});
		if (status === 400)
			return errorByStatus('Cloudflare', 400, undefined, {
				message: `Cloudflare refused the record: ${safeDetail(first.message) ?? 'invalid values'}.`
			});
		return errorByStatus('Cloudflare', status, retryAfterMs);
	}
};

export const CLOUDFLARE_WAIT_RULE = { resetHeaders: ['ratelimit-reset'], resetMeaning: 'seconds' as const };
