/** Builds Hetzner's adapters; each loads only when chosen. */
import type { ProviderFactory } from '../../ports/provider-factory.ts';

export const factory: ProviderFactory = {
	cloud: async (s) =>
		new (await import('./cloud.ts')).HetznerCloud({
			token: s.token,
			// The sandbox's stand-in is on the app's own origin: no relay.
			...(s.baseUrl ? { baseUrl: s.baseUrl } : { proxyBase: s.proxyBase }),
			id: s.id,
			displayName: s.displayName,
			...(s.sandbox ? { pollMs: 1000 } : {})
		}),
	dns: async (s) =>
		new (await import('./dns.ts')).HetznerDns({
			token: s.token,
			...(s.baseUrl ? { baseUrl: s.baseUrl } : { proxyBase: s.proxyBase }),
			id: s.id,
			displayName: s.displayName
		})
};
