/** Builds the GitLab adapter when chosen. */
import type { ProviderFactory } from '../../ports/provider-factory.ts';
import { smartHttpHost } from '../smart-http/host.ts';

export const factory: ProviderFactory = {
	// GitLab's REST API sends CORS headers itself; only its git endpoints need the relay.
	git: (s) =>
		smartHttpHost(s, 'oauth2', async (origin) => (await import('./index.ts')).gitlabApi({ origin, token: s.token }))
};
