/** Builds DigitalOcean's adapters; each loads only when chosen. */
import type { ProviderFactory } from '../../ports/provider-factory.ts';

export const factory: ProviderFactory = {
	cloud: async (s) =>
		new (await import('./cloud.ts')).DigitalOceanCloud({
			token: s.token,
			baseUrl: s.baseUrl,
			id: s.id,
			displayName: s.displayName,
			...(s.sandbox ? { pollMs: 1000 } : {})
		}),
	dns: async (s) =>
		new (await import('./dns.ts')).DigitalOceanDns({
			token: s.token,
			baseUrl: s.baseUrl,
			id: s.id,
			displayName: s.displayName
		})
};
