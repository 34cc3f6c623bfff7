/**
 * The sandbox git host for `npm start`: the GitHub fake on the app's own origin at
 * /sandbox/github/. Any token works and belongs to "sandbox-user"; repos live in memory
 * until the local server stops. The app's "Sandbox" git host is the real GitHub adapter
 * with its base URL pointed here.
 */
import type { Mount } from '../../local/server.ts';
import { createGitHubFake, type GitHubFake } from './fake.ts';

export const GITHUB_SANDBOX_PREFIX = '/sandbox/github/';

export function githubSandboxMount(): Mount & { fake: GitHubFake } {
	const fake = createGitHubFake({ basePath: GITHUB_SANDBOX_PREFIX.slice(0, -1) });
	return { prefix: GITHUB_SANDBOX_PREFIX, handler: fake.handler, fake };
}
