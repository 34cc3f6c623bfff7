/** Builds the PowerDNS adapter for the server whose API address the person gave. */
import type { ProviderFactory } from '../../ports/provider-factory.ts';
import { PlainError } from '../../core/errors.ts';

export const factory: ProviderFactory = {
	dns: async (s) => {
		if (!s.baseUrl) throw new PlainError('The PowerDNS API address is missing.', 'Enter the address of its HTTP API.');
		return new (await import('./dns.ts')).PowerDns({
			apiKey: s.token,
			baseUrl: s.baseUrl,
			proxyBase: s.proxyBase,
			id: s.id,
			displayName: s.displayName
		});
	}
};
