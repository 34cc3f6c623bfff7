/**
 * A git host reached over smart HTTP (isomorphic-git) with a REST API beside it for what git
 * cannot do (the account, creating the repository, deploy keys): Forgejo and GitLab build
 * theirs with it.
 */
import { PlainError } from '../../core/errors.ts';
import type { AdapterSettings } from '../../ports/provider-factory.ts';
import type { GitHost } from '../../ports/git-host.ts';
import type { RepoApi } from './repo-api.ts';

export async function smartHttpHost(
	s: AdapterSettings,
	username: string,
	api: (server: string) => Promise<RepoApi>
): Promise<GitHost> {
	if (!s.baseUrl)
		throw new PlainError('The git server’s address is missing.', 'Enter its address, like https://git.example.org.');
	const base = s.baseUrl.replace(/\/+$/, '');
	const [{ SmartHttpGitHost }, repoApi] = await Promise.all([import('./index.ts'), api(base)]);
	return new SmartHttpGitHost({
		id: s.id,
		displayName: new URL(base).host,
		gitBaseUrl: base,
		username,
		token: s.token,
		// git's smart HTTP endpoints send no CORS headers on any host.
		proxyBase: s.proxyBase,
		api: repoApi,
		identity: s.identity
	});
}
