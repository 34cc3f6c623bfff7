/** Builds the GitHub adapter (and octokit behind it) when chosen. */
import type { ProviderFactory } from '../../ports/provider-factory.ts';

export const factory: ProviderFactory = {
	git: async (s) =>
		new (await import('./index.ts')).GitHubGitHost({
			id: s.id,
			displayName: s.displayName,
			token: s.token,
			...(s.baseUrl ? { baseUrl: s.baseUrl } : {}),
			identity: s.identity
		})
};
