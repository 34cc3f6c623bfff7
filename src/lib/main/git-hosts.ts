/**
 * The git hosts the app offers, real and sandbox, and the commit-signing key. Adapters (and
 * octokit / isomorphic-git behind them) load on demand, never on the first page.
 */
import type { GitHost, CommitSigner } from '../ports/git-host.ts';
import type { GitIdentity } from '../core/git/objects.ts';
import type { SshKeyRecord } from '../adapters/ssh-signature/index.ts';

export type { SshKeyRecord };

/** Name and address on the config repo's commits; the signature, not these, is what the server trusts. */
export const COMMIT_IDENTITY: GitIdentity = { name: 'nassella', email: 'nassella@users.noreply.invalid' };

export interface GitCredentials {
	token: string;
	/** The relay base URL from the settings. */
	proxyBase?: string;
	/** Forgejo/Gitea/GitLab: the server's address, e.g. https://codeberg.org. */
	origin?: string;
}

export interface GitHostChoice {
	id: string;
	label: string;
	note: string;
	sandbox: boolean;
	needsProxy: boolean;
	create(credentials: GitCredentials): Promise<GitHost>;
}

const SANDBOX_LABEL = 'Sandbox (practice, nothing is created)';
const origin = () => (typeof location === 'undefined' ? '' : location.origin);

async function smartHttp(id: string, kind: 'forgejo' | 'gitlab', c: GitCredentials, fallbackOrigin: string) {
	const server = (c.origin ?? fallbackOrigin).replace(/\/+$/, '');
	const [{ SmartHttpGitHost }, api] = await Promise.all([
		import('../adapters/smart-http/index.ts'),
		kind === 'forgejo'
			? import('../adapters/forgejo/index.ts').then((m) =>
					m.forgejoApi({ origin: server, token: c.token, proxyBase: c.proxyBase })
				)
			: // GitLab's REST API sends CORS headers itself; only its git endpoints need the relay.
				import('../adapters/gitlab/index.ts').then((m) => m.gitlabApi({ origin: server, token: c.token }))
	]);
	return new SmartHttpGitHost({
		id,
		displayName: new URL(server).host,
		gitBaseUrl: server,
		username: kind === 'gitlab' ? 'oauth2' : 'nassella',
		token: c.token,
		// git's smart HTTP endpoints send no CORS headers on any host.
		proxyBase: c.proxyBase,
		api,
		identity: COMMIT_IDENTITY
	});
}

export const gitHostChoices: readonly GitHostChoice[] = [
	{
		id: 'github',
		label: 'GitHub',
		note: 'Needs a token: classic with "repo" and "delete_repo", or fine-grained with Administration and Contents read and write.',
		sandbox: false,
		needsProxy: false,
		create: async (c) =>
			new (await import('../adapters/github/index.ts')).GitHubGitHost({ token: c.token, identity: COMMIT_IDENTITY })
	},
	{
		id: 'codeberg',
		label: 'Codeberg or another Forgejo / Gitea server',
		note: 'Needs an access token with repository and user access. Goes through your relay.',
		sandbox: false,
		needsProxy: true,
		create: (c) => smartHttp('codeberg', 'forgejo', c, 'https://codeberg.org')
	},
	{
		id: 'gitlab',
		label: 'GitLab',
		note: 'Needs a personal access token with the "api" scope. Goes through your relay.',
		sandbox: false,
		needsProxy: true,
		create: (c) => smartHttp('gitlab', 'gitlab', c, 'https://gitlab.com')
	},
	{
		id: 'sandbox-github',
		label: `GitHub — ${SANDBOX_LABEL}`,
		note: 'Try the whole setup with a stand-in git host. Any token works; nothing is created.',
		sandbox: true,
		needsProxy: false,
		create: async (c) =>
			new (await import('../adapters/github/index.ts')).GitHubGitHost({
				id: 'sandbox-github',
				displayName: 'GitHub (sandbox)',
				token: c.token,
				baseUrl: `${origin()}/sandbox/github`,
				identity: COMMIT_IDENTITY
			})
	}
];

/** A new Ed25519 key (for signing commits, or the server's read-only deploy key). */
export async function generateSshKey(comment = ''): Promise<SshKeyRecord> {
	return (await import('../adapters/ssh-signature/index.ts')).generateSshKey(comment);
}

/** The signer git hosts call with each commit, from the key kept in the vault. */
export function commitSignerFor(key: SshKeyRecord): CommitSigner {
	return async (payload) => (await import('../adapters/ssh-signature/index.ts')).commitSigner(key)(payload);
}

/** The server's deploy key as an OpenSSH private key file (for its Ignition config). */
export async function openSshPrivateKeyFile(key: SshKeyRecord): Promise<string> {
	return (await import('../adapters/ssh-signature/index.ts')).openSshPrivateKeyFile(key);
}
