/**
 * GitHost over git's smart HTTP protocol through isomorphic-git: Forgejo, Gitea, Codeberg,
 * GitLab or any self-hosted git server. Each commit is built in memory as real git objects,
 * signed (SSH signature over the exact commit bytes), and pushed without force, so the
 * server's compare-and-swap on the branch turns a concurrent change into a conflict.
 * Repos and deploy keys go through the host's REST API when it has one (RepoApi).
 */
import type { BundleFile, CommitResult, CommitSigner, GitHost, RepoRef } from '../../ports/git-host.ts';
import { isProviderError, ProviderError, DEFAULT_ACTIONS } from '../../core/errors.ts';
import { utf8 } from '../../core/git/bytes.ts';
import {
	addSignatureHeader,
	buildTree,
	commitPayload,
	signatureLineAt,
	type GitIdentity,
	type TreeNode
} from '../../core/git/objects.ts';
import { conflictError, hostError, networkError, notEmptyError } from '../../core/git/host-errors.ts';
import { REPO_MARKER_PATH } from '../../core/git/repo-files.ts';
import { createMemoryFs } from './memory-fs.ts';
import type { RepoApi } from './repo-api.ts';
import { gitHttpClient } from './chain-http.ts';
import { NetworkFailure } from '../http/chain.ts';

type Git = typeof import('isomorphic-git');
type IsoHttpClient = import('isomorphic-git').HttpClient;

export interface SmartHttpOptions {
	id: string;
	/** The host as people know it: "Codeberg", "your git server". */
	displayName: string;
	/** Where repos live: clone URL is `${gitBaseUrl}/${owner}/${name}.git`. */
	gitBaseUrl: string;
	/** Owner for repos on hosts without a REST API; with an API, the token's account. */
	owner?: string;
	username?: string;
	token?: string;
	/** The relay base URL, for hosts whose git endpoints send no CORS headers. */
	proxyBase?: string;
	api?: RepoApi;
	/** Name and email on commits. */
	identity: GitIdentity;
	/** SSH clone URL for hosts without an API. */
	sshUrl?: (fullName: string) => string;
	hostKeys?: string[];
	defaultBranch?: string;
	/** The bottom of the chain in isomorphic-git's client form, in place of the network (tests). */
	http?: IsoHttpClient;
	now?: () => Date;
}

/** Files hosts add when they initialise a repo for you; a repo holding only these counts as empty. */
const INIT_FILES = new Set(['README.md', 'README', 'LICENSE', '.gitignore']);
const DIR = '/repo';

let gitModule: Promise<Git> | undefined;
function loadGit(): Promise<Git> {
	gitModule ??= (async () => {
		// isomorphic-git expects Node's Buffer as a global; browsers get the same API from `buffer`.
		const scope = globalThis as { Buffer?: unknown };
		if (!scope.Buffer) scope.Buffer = (await import('buffer')).Buffer;
		return import('isomorphic-git');
	})();
	return gitModule;
}

export class SmartHttpGitHost implements GitHost {
	readonly id: string;
	readonly displayName: string;
	private readonly options: SmartHttpOptions;

	constructor(options: SmartHttpOptions) {
		this.options = options;
		this.id = options.id;
		this.displayName = options.displayName;
	}

	private get branch() {
		return this.options.defaultBranch ?? 'main';
	}

	private async git(): Promise<{ git: Git; http: IsoHttpClient }> {
		const git = await loadGit();
		return { git, http: gitHttpClient({ proxyBase: this.options.proxyBase, bottom: this.options.http }) };
	}

	private auth() {
		const { token, username } = this.options;
		if (!token) return {};
		return {
			onAuth: () => ({ username: username ?? 'nassella', password: token }),
			onAuthFailure: () => ({ cancel: true })
		};
	}

	private cloneUrl(fullName: string): string {
		return `${this.options.gitBaseUrl.replace(/\/+$/, '')}/${fullName}.git`;
	}

	private fail(error: unknown, doing: string): never {
		if (isProviderError(error)) throw error;
		const e = error as { code?: string; name?: string; data?: { statusCode?: number; response?: unknown } };
		if (e?.code === 'HttpError' && e.data?.statusCode)
			throw hostError(this.displayName, { status: e.data.statusCode, doing });
		if (e?.code === 'UserCanceledError') throw hostError(this.displayName, { status: 401, doing });
		if (
			error instanceof NetworkFailure ||
			e?.name === 'TypeError' ||
			e?.code === 'ECONNREFUSED' ||
			e?.code === 'ECONNRESET'
		)
			throw networkError(this.displayName, doing);
		throw new ProviderError({
			code: 'unexpected',
			provider: this.displayName,
			message: `${this.displayName} gave an answer nassella did not understand while ${doing}.`,
			action: DEFAULT_ACTIONS.unexpected
		});
	}

	async verify(): Promise<{ account: string }> {
		if (this.options.api) return this.options.api.verify();
		return { account: this.options.owner ?? this.options.username ?? 'git' };
	}

	private async remoteHead(fullName: string): Promise<string | undefined> {
		const { git, http } = await this.git();
		try {
			const refs = await git.listServerRefs({
				http,
				url: this.cloneUrl(fullName),
				prefix: `refs/heads/${this.branch}`,
				forPush: true,
				...this.auth()
			});
			return refs.find((r) => r.ref === `refs/heads/${this.branch}`)?.oid;
		} catch (error) {
			this.fail(error, 'reading the configuration repository');
		}
	}

	/** True when the repo holds nothing, only what a host adds on creation, or what nassella wrote. */
	private async adoptable(fullName: string, head: string): Promise<boolean> {
		const { git, http } = await this.git();
		const fs = createMemoryFs();
		try {
			await git.init({ fs, dir: DIR, defaultBranch: this.branch });
			await git.addRemote({ fs, dir: DIR, remote: 'origin', url: this.cloneUrl(fullName) });
			await git.fetch({
				fs,
				http,
				dir: DIR,
				remote: 'origin',
				ref: this.branch,
				singleBranch: true,
				depth: 1,
				tags: false,
				...this.auth()
			});
			const { tree } = await git.readTree({ fs, dir: DIR, oid: head });
			const names = tree.map((e) => e.path);
			return names.includes(REPO_MARKER_PATH) || names.every((n) => INIT_FILES.has(n));
		} catch (error) {
			this.fail(error, 'looking into the existing repository');
		}
	}

	async ensureRepo(name: string, description: string): Promise<RepoRef> {
		const api = this.options.api;
		let fullName: string;
		let sshUrl: string;
		let defaultBranch = this.branch;
		if (api) {
			const owner = await api.account();
			const existing = await api.findRepo(`${owner}/${name}`);
			const repo = existing ?? (await api.createRepo(name, description));
			fullName = repo.fullName;
			sshUrl = repo.sshUrl;
			defaultBranch = repo.defaultBranch || defaultBranch;
			if (existing && !existing.empty) {
				const head = await this.remoteHead(fullName);
				if (head && !(await this.adoptable(fullName, head))) throw notEmptyError(this.displayName, fullName);
			}
		} else {
			const owner = this.options.owner;
			if (!owner) throw new Error('A git server without a REST API needs the owner of the repository.');
			fullName = `${owner}/${name}`;
			sshUrl = this.options.sshUrl?.(fullName) ?? '';
			const head = await this.remoteHead(fullName);
			if (head && !(await this.adoptable(fullName, head))) throw notEmptyError(this.displayName, fullName);
		}
		return { fullName, sshUrl, defaultBranch, hostKeys: this.options.hostKeys ?? [] };
	}

	async head(repo: RepoRef): Promise<string | undefined> {
		return this.remoteHead(repo.fullName);
	}

	async commit(
		repo: RepoRef,
		files: BundleFile[],
		message: string,
		expectedParent: string | undefined,
		sign: CommitSigner
	): Promise<CommitResult> {
		const tree = buildTree(files);
		const current = await this.remoteHead(repo.fullName);
		if (current !== expectedParent) throw conflictError(this.displayName);
		const { git, http } = await this.git();
		const fs = createMemoryFs();
		const branch = repo.defaultBranch || this.branch;
		let oid: string;
		try {
			await git.init({ fs, dir: DIR, defaultBranch: branch });
			const treeOid = await writeTree(git, fs, tree);
			const when = signatureLineAt(this.options.identity, (this.options.now ?? (() => new Date()))());
			const payload = commitPayload({
				tree: treeOid,
				parents: expectedParent ? [expectedParent] : [],
				author: when,
				committer: when,
				message
			});
			const signed = addSignatureHeader(payload, await sign(payload));
			oid = await git.writeObject({ fs, dir: DIR, type: 'commit', object: utf8(signed), format: 'content' });
			await git.writeRef({ fs, dir: DIR, ref: `refs/heads/${branch}`, value: oid, force: true });
		} catch (error) {
			if (isProviderError(error)) throw error;
			throw error instanceof Error && !('code' in error) ? error : this.fail(error, 'preparing the commit');
		}
		let result: Awaited<ReturnType<Git['push']>>;
		try {
			result = await git.push({
				fs,
				http,
				dir: DIR,
				url: this.cloneUrl(repo.fullName),
				ref: branch,
				remoteRef: branch,
				...this.auth()
			});
		} catch (error) {
			const code = (error as { code?: string })?.code;
			if (code === 'PushRejectedError' || code === 'GitPushError' || code === 'NotFoundError')
				throw conflictError(this.displayName);
			this.fail(error, 'saving the configuration');
		}
		const refResult = result.refs?.[`refs/heads/${branch}`];
		if (!result.ok || (refResult && !refResult.ok)) {
			// The server refused the update: the branch moved between our check and the push.
			throw conflictError(this.displayName);
		}
		return { sha: oid, parent: expectedParent };
	}

	async ensureDeployKey(repo: RepoRef, title: string, publicKey: string): Promise<{ id: string }> {
		const api = this.requireApi('adding the server key');
		const wanted = publicKey.trim().split(/\s+/).slice(0, 2).join(' ');
		const keys = await api.listDeployKeys(repo.fullName);
		const same = keys.find((k) => k.key.trim().split(/\s+/).slice(0, 2).join(' ') === wanted);
		if (same) {
			for (const k of keys) if (k.id !== same.id && k.title === title) await api.deleteDeployKey(repo.fullName, k.id);
			return { id: same.id };
		}
		const added = await api.addDeployKey(repo.fullName, title, wanted);
		// Rotation: the old key with the same title goes only once the new one is in place.
		for (const k of keys) if (k.title === title) await api.deleteDeployKey(repo.fullName, k.id);
		return { id: added.id };
	}

	async deleteRepo(repo: RepoRef): Promise<void> {
		await this.requireApi('deleting the repository').deleteRepo(repo.fullName);
	}

	private requireApi(doing: string): RepoApi {
		if (this.options.api) return this.options.api;
		throw new ProviderError({
			code: 'invalid',
			provider: this.displayName,
			message: `${this.displayName} has no API nassella can use for ${doing}.`,
			action: `Do this on ${this.displayName} yourself, or use a Forgejo, Gitea or GitLab server.`
		});
	}
}

async function writeTree(git: Git, fs: ReturnType<typeof createMemoryFs>, node: TreeNode): Promise<string> {
	const entries: { mode: string; path: string; oid: string; type: 'blob' | 'tree' }[] = [];
	for (const [name, file] of node.files) {
		const oid = await git.writeBlob({ fs, dir: DIR, blob: file.content });
		entries.push({ mode: file.mode, path: name, oid, type: 'blob' });
	}
	for (const [name, dir] of node.dirs) {
		entries.push({ mode: '040000', path: name, oid: await writeTree(git, fs, dir), type: 'tree' });
	}
	return git.writeTree({ fs, dir: DIR, tree: entries });
}
