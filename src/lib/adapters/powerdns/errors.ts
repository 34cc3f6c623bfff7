/** PowerDNS Authoritative HTTP API errors (`{error}`) mapped once. */
import { errorByStatus, safeDetail, type VendorErrors } from '../http/chain.ts';

export const powerDnsErrors: VendorErrors = {
	provider: 'PowerDNS',
	map(status, body, _headers, retryAfterMs) {
		const text = ((body ?? {}) as { error?: string }).error;
		if (status === 401)
			return errorByStatus('your PowerDNS server', 401, undefined, {
				message: 'Your PowerDNS server did not accept the API key.',
				action: 'Check the api-key setting of your PowerDNS server and enter the same key here.'
			});
		if (status === 422 || status === 400)
			return errorByStatus('your PowerDNS server', status, undefined, {
				message: `Your PowerDNS server refused the change: ${safeDetail(text) ?? 'invalid values'}.`
			});
		if (status === 409) return errorByStatus('your PowerDNS server', status, undefined);
		return errorByStatus('your PowerDNS server', status, retryAfterMs);
	}
};

export const POWERDNS_WAIT_RULE = { resetHeaders: [], resetMeaning: 'seconds' as const };
