/** Builds deSEC's adapter when chosen. */
import type { ProviderFactory } from '../../ports/provider-factory.ts';

export const factory: ProviderFactory = {
	dns: async (s) =>
		new (await import('./dns.ts')).DesecDns({
			token: s.token,
			baseUrl: s.baseUrl,
			id: s.id,
			displayName: s.displayName
		})
};
