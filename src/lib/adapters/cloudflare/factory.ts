/** Builds Cloudflare's adapter when chosen. */
import type { ProviderFactory } from '../../ports/provider-factory.ts';

export const factory: ProviderFactory = {
	dns: async (s) =>
		new (await import('./dns.ts')).CloudflareDns({
			token: s.token,
			...(s.baseUrl ? { baseUrl: s.baseUrl } : { proxyBase: s.proxyBase }),
			id: s.id,
			displayName: s.displayName
		})
};
