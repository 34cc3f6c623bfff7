/** Hetzner Cloud's error answers (`{error: {code, message}}`) mapped once into ProviderErrors. */
import { DEFAULT_ACTIONS, ProviderError } from '../../core/errors.ts';
import { errorByStatus, safeDetail, type VendorErrors } from '../http/chain.ts';

export const hetznerErrors: VendorErrors = {
	provider: 'Hetzner',
	map(status, body, _headers, retryAfterMs) {
		const e = ((body ?? {}) as { error?: { code?: string; message?: string } }).error ?? {};
		const code = e.code ?? '';
		const make = (c: ProviderError['code'], message: string, action = DEFAULT_ACTIONS[c]) =>
			new ProviderError({
				code: c,
				provider: 'Hetzner',
				status,
				message,
				action,
				retryAfterMs: c === 'rate-limited' ? retryAfterMs : undefined
			});
		switch (code) {
			case 'unauthorized':
				return make(
					'unauthorized',
					'Hetzner did not accept the API token.',
					'Create a new API token with Read & Write permission in your Hetzner Cloud project (Security → API tokens) and enter it again.'
				);
			case 'token_readonly':
				return make(
					'forbidden',
					'The Hetzner token is read-only.',
					'Create an API token with Read & Write permission in the same project.'
				);
			case 'forbidden':
				return make('forbidden', 'Hetzner refused: the token may not do this.');
			case 'resource_limit_exceeded':
				return make(
					'quota',
					'Your Hetzner project has reached a limit (for example the number of servers).',
					'Delete something you no longer use, or ask Hetzner to raise the limit for the project.'
				);
			case 'uniqueness_error':
				return make('conflict', 'Hetzner says something with this name already exists.');
			case 'rate_limit_exceeded':
				return make('rate-limited', 'Hetzner asked us to slow down.');
			case 'not_found':
				return make('not-found', 'Hetzner could not find it.');
			case 'invalid_input':
			case 'json_error':
				return make('invalid', `Hetzner refused the request: ${safeDetail(e.message) ?? 'invalid values'}.`);
			case 'locked':
			case 'conflict':
			case 'resource_in_use':
				return make(
					'conflict',
					'Hetzner is busy with this resource, or it is still in use.',
					'Wait a minute and try again.'
				);
			case 'resource_unavailable':
			case 'placement_error':
				return make(
					'unavailable',
					'Hetzner has no capacity for this server type in this location right now.',
					'Pick another location or server type, or try again later.'
				);
			case 'unavailable':
			case 'maintenance':
			case 'server_error':
				return make('unavailable', 'Hetzner is having trouble.');
		}
		return errorByStatus('Hetzner', status, retryAfterMs);
	}
};

export const HETZNER_WAIT_RULE = { resetHeaders: ['ratelimit-reset'], resetMeaning: 'epoch' as const };
