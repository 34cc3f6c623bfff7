/**
 * The git hosts the app offers, real and sandbox, and the commit-signing key. Adapters (and
 * octokit / isomorphic-git behind them) load on demand, never on the first page.
 */
import type { GitHost, CommitSigner } from '../ports/git-host.ts';
import type { TokenHelp } from '../core/providers/descriptor.ts';
import { COMMIT_IDENTITY } from './identity.ts';
import { choicesOf } from './providers.ts';
import type { SshKeyRecord } from '../adapters/ssh-signature/index.ts';

export type { SshKeyRecord };

export { COMMIT_IDENTITY };

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
	token?: TokenHelp;
	providerName: string;
	sandbox: boolean;
	needsProxy: boolean;
	create(credentials: GitCredentials): Promise<GitHost>;
}

/** The git hosts, as the providers' descriptors offer them. */
function gitChoices(): GitHostChoice[] {
	return choicesOf('git', COMMIT_IDENTITY).map((c) => ({
		id: c.id,
		label: c.label,
		note: c.note,
		...(c.token ? { token: c.token } : {}),
		providerName: c.providerName,
		sandbox: c.sandbox,
		needsProxy: c.needsProxy,
		create: (g) => c.create({ token: g.token, proxyBase: g.proxyBase, baseUrl: g.origin })
	}));
}

// Marked pure so that a page which never lists git hosts does not load the descriptors.
export const gitHostChoices: readonly GitHostChoice[] = /* @__PURE__ */ gitChoices();

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
