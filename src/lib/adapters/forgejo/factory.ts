/** Builds the adapter for Codeberg or another Forgejo / Gitea server when chosen. */
import type { ProviderFactory } from '../../ports/provider-factory.ts';
import { smartHttpHost } from '../smart-http/host.ts';

export const factory: ProviderFactory = {
	git: (s) =>
		smartHttpHost(s, 'nassella', async (origin) =>
			(await import('./index.ts')).forgejoApi({ origin, token: s.token, proxyBase: s.proxyBase })
		)
};
