/**
 * GitHost for GitHub through octokit (loaded on demand). A bundle is committed atomically
 * with the Git Data API: blobs → one tree → one signed commit → a non-forced ref update
 * from the expected parent. The branch moves only in that last step, so a failure before
 * it leaves the repo as it was, and a concurrent change is a conflict, never a lost update.
 */
import type { BundleFile, CommitInfo, CommitResult, CommitSigner, GitHost, RepoRef } from '../../ports/git-host.ts';
import { DEFAULT_ACTIONS, isProviderError, ProviderError } from '../../core/errors.ts';
import { toBase64 } from '../../core/base64.ts';
import { toHex, utf8 } from '../../core/git/bytes.ts';
import {
	addSignatureHeader,
	commitPayload,
	encodeObject,
	flattenFiles,
	normalizeMessage,
	signatureLineAt,
	type GitIdentity
} from '../../core/git/objects.ts';
import { conflictError, hostError, networkError, notEmptyError } from '../../core/git/host-errors.ts';
import { REPO_MARKER_PATH } from '../../core/git/repo-files.ts';
import { asFetch, fetchClient, platformFetch, withRetry, type RetryOptions } from '../http/chain.ts';

type OctokitClass = typeof import('octokit').Octokit;
type Octokit = InstanceType<OctokitClass>;

export interface GitHubOptions {
	id?: string;
	displayName?: string;
	token: string;
	/** https://api.github.com, or the sandbox's /sandbox/github. */
	baseUrl?: string;
	identity: GitIdentity;
	fetch?: typeof fetch;
	now?: () => Date;
	/** Blob uploads in flight at once. */
	concurrency?: number;
}

const PROVIDER = 'GitHub';
/** Files GitHub adds when it initialises a repo; a repo holding only these counts as empty. */
const INIT_FILES = new Set(['README.md', 'LICENSE', '.gitignore']);

/**
 * GitHub's requests go through the shared chain's retry layer. Reads and the content-addressed
 * blob, tree and commit objects (which come out the same when sent twice) are sent again on
 * a dropped connection or a server error, so one bad answer among the dozens a commit takes
 * does not fail the whole commit; a 429 is waited out for any request (it was not processed).
 * Waits stay short: a longer limit is reported to the person instead.
 */
const RETRY: Omit<RetryOptions, 'sleep'> = {
	rule: { resetHeaders: ['x-ratelimit-reset'], resetMeaning: 'epoch' },
	retries: 4,
	maxWaitMs: 5_000,
	baseDelayMs: 200,
	timeoutMs: 60_000,
	safeMethods: ['GET', 'HEAD'],
	idempotent: (r) => r.method === 'POST' && /\/git\/(blobs|trees|commits)$/.test(new URL(r.url).pathname)
};

let octokitModule: Promise<OctokitClass> | undefined;
function loadOctokit(): Promise<OctokitClass> {
	octokitModule ??= import('octokit').then((m) => m.Octokit);
	return octokitModule;
}

interface OctokitErrorShape {
	status?: number;
	message?: string;
	response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

const PERMISSION_WORDS: Record<string, string> = {
	administration: 'Administration',
	contents: 'Contents',
	metadata: 'Metadata'
};

/** "administration=write" → "Administration: Read and write". */
function describePermissions(header: string): string {
	return header
		.split(/[,;]\s*/)
		.filter(Boolean)
		.map((p) => {
			const [name, level] = p.split('=');
			return `${PERMISSION_WORDS[name ?? ''] ?? name}: ${level === 'write' ? 'Read and write' : 'Read-only'}`;
		})
		.join(', ');
}

export class GitHubGitHost implements GitHost {
	readonly id: string;
	readonly displayName: string;
	private readonly options: GitHubOptions;
	private client?: Promise<Octokit>;
	private login?: string;

	constructor(options: GitHubOptions) {
		this.options = options;
		this.id = options.id ?? 'github';
		this.displayName = options.displayName ?? PROVIDER;
	}

	private octokit(): Promise<Octokit> {
		this.client ??= loadOctokit().then(
			(Octokit) =>
				new Octokit({
					auth: this.options.token,
					baseUrl: (this.options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, ''),
					// Waiting and sending again is the chain's job (RETRY), not octokit's.
					throttle: { enabled: false },
					retry: { enabled: false },
					request: {
						fetch: asFetch(withRetry(this.options.fetch ? fetchClient(this.options.fetch) : platformFetch, RETRY))
					},
					log: { debug() {}, info() {}, warn() {}, error() {} }
				})
		);
		return this.client;
	}

	private fail(error: unknown, doing: string): never {
		if (isProviderError(error)) throw error;
		const e = error as OctokitErrorShape;
		if (typeof e?.status !== 'number' || (e.status === 500 && !e.response)) throw networkError(PROVIDER, doing);
		const headers: Record<string, string | undefined> = {};
		for (const [k, v] of Object.entries(e.response?.headers ?? {}))
			headers[k.toLowerCase()] = v === undefined ? undefined : String(v);
		const said = (e.response?.data as { message?: unknown } | undefined)?.message;
		const base = hostError(PROVIDER, {
			status: e.status,
			headers,
			doing,
			now: this.options.now?.().getTime(),
			// GitHub's own short reason ("key is already in use"); it never echoes the token.
			detail: e.status === 422 && typeof said === 'string' ? said : undefined
		});
		if (base.code === 'forbidden' || (e.status === 404 && headers['x-accepted-oauth-scopes'])) {
			const needs = headers['x-accepted-github-permissions']
				? `The token needs the permission ${describePermissions(headers['x-accepted-github-permissions'])} on this repository.`
				: headers['x-accepted-oauth-scopes']
					? `The token needs the "${headers['x-accepted-oauth-scopes']}" scope.`
					: 'The token is missing a permission.';
			throw new ProviderError({
				code: 'forbidden',
				provider: PROVIDER,
				status: e.status,
				message: `GitHub refused ${doing}. ${needs}`,
				action:
					'Create a new token with the permissions listed next to the token field (classic: "repo" and "delete_repo"; fine-grained: Administration and Contents read and write), and enter it again.'
			});
		}
		throw base;
	}

	/** One API request through the chain; a failure becomes one ProviderError. */
	private async call<T>(doing: string, run: (o: Octokit) => Promise<T>): Promise<T> {
		try {
			return await run(await this.octokit());
		} catch (error) {
			this.fail(error, doing);
		}
	}

	/** One API request through the chain; the error is thrown as it came (the caller reads its status). */
	private async send<T>(run: (o: Octokit) => Promise<T>): Promise<T> {
		return run(await this.octokit());
	}

	async verify(): Promise<{ account: string }> {
		const response = await this.call('checking the token', (o) => o.request('GET /user'));
		const scopesHeader = response.headers['x-oauth-scopes'];
		if (typeof scopesHeader === 'string') {
			// A classic token lists its scopes; a fine-grained one is checked on first use.
			const scopes = scopesHeader.split(',').map((s) => s.trim());
			const missing = ['repo', 'delete_repo'].filter((s) => !scopes.includes(s));
			if (missing.includes('repo'))
				throw new ProviderError({
					code: 'forbidden',
					provider: PROVIDER,
					message: `This GitHub token cannot create private repositories: it lacks the ${missing.map((s) => `"${s}"`).join(' and ')} scope${missing.length > 1 ? 's' : ''}.`,
					action:
						'Create a classic token with the "repo" and "delete_repo" scopes, or a fine-grained token with Administration and Contents read and write, and enter it again.'
				});
		}
		this.login = response.data.login;
		return { account: response.data.login };
	}

	private async owner(): Promise<string> {
		if (!this.login) await this.verify();
		return this.login as string;
	}

	private async hostKeys(): Promise<string[]> {
		const meta = await this.call('reading GitHub’s server keys', (o) => o.request('GET /meta'));
		return (meta.data.ssh_keys ?? []).map((k) => `github.com ${k}`);
	}

	async ensureRepo(name: string, description: string): Promise<RepoRef> {
		// GitHub's server keys do not depend on the repo: asked for at the same time.
		const hostKeys = this.hostKeys();
		hostKeys.catch(() => undefined);
		const owner = await this.owner();
		let repo: { full_name: string; ssh_url: string; default_branch: string; private: boolean };
		let created = false;
		try {
			repo = (await this.send((o) => o.request('GET /repos/{owner}/{repo}', { owner, repo: name }))).data;
		} catch (error) {
			if ((error as OctokitErrorShape)?.status !== 404) this.fail(error, 'looking for the repository');
			repo = (
				await this.call('creating the repository', (o) =>
					o.request('POST /user/repos', {
						name,
						description,
						private: true,
						auto_init: true,
						has_issues: false,
						has_projects: false,
						has_wiki: false
					})
				)
			).data;
			created = true;
		}
		const ref: RepoRef = {
			fullName: repo.full_name,
			sshUrl: repo.ssh_url,
			defaultBranch: repo.default_branch || 'main',
			hostKeys: await hostKeys
		};
		if (!created) {
			if (!repo.private)
				throw new ProviderError({
					code: 'conflict',
					provider: PROVIDER,
					message: `The repository ${repo.full_name} exists and is public; the server's configuration must stay private.`,
					action: 'Pick another name for the configuration repository, or make that repository private first.'
				});
			const head = await this.head(ref);
			if (head && !(await this.adoptable(ref, head))) throw notEmptyError(PROVIDER, repo.full_name);
		}
		return ref;
	}

	private async adoptable(repo: RepoRef, head: string): Promise<boolean> {
		const [owner, name] = repo.fullName.split('/') as [string, string];
		const commit = await this.call('looking into the existing repository', (o) =>
			o.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', { owner, repo: name, commit_sha: head })
		);
		const tree = await this.call('looking into the existing repository', (o) =>
			o.request('GET /repos/{owner}/{repo}/git/trees/{tree_sha}', {
				owner,
				repo: name,
				tree_sha: commit.data.tree.sha
			})
		);
		const names = tree.data.tree.map((e) => e.path ?? '');
		return names.includes(REPO_MARKER_PATH) || names.every((n) => INIT_FILES.has(n));
	}

	async head(repo: RepoRef): Promise<string | undefined> {
		const [owner, name] = repo.fullName.split('/') as [string, string];
		try {
			const ref = await this.send((o) =>
				o.request('GET /repos/{owner}/{repo}/git/ref/{ref}', {
					owner,
					repo: name,
					ref: `heads/${repo.defaultBranch}`
				})
			);
			return ref.data.object.sha;
		} catch (error) {
			const status = (error as OctokitErrorShape)?.status;
			if (status === 404 || status === 409) return undefined; // no branch yet, or an empty repo
			this.fail(error, 'reading the configuration repository');
		}
	}

	async history(repo: RepoRef, limit: number): Promise<CommitInfo[]> {
		const [owner, name] = repo.fullName.split('/') as [string, string];
		const out: CommitInfo[] = [];
		let sha = await this.head(repo);
		// First parents, one commit object at a time: the Git Data API is what every host
		// that speaks GitHub's API (and the sandbox) serves.
		while (sha && out.length < Math.min(limit, 50)) {
			const at = sha;
			const c = await this.call('reading the list of changes', (o) =>
				o.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', { owner, repo: name, commit_sha: at })
			);
			out.push({
				sha: c.data.sha,
				message: (c.data.message ?? '').split('\n')[0]!.slice(0, 200),
				date: c.data.committer?.date
			});
			sha = c.data.parents[0]?.sha;
		}
		return out;
	}

	/** The Git Data API refuses to work in a repo without commits; a first file makes one. */
	private async initialise(repo: RepoRef): Promise<string> {
		const [owner, name] = repo.fullName.split('/') as [string, string];
		const response = await this.call('preparing the empty repository', (o) =>
			o.request('PUT /repos/{owner}/{repo}/contents/{path}', {
				owner,
				repo: name,
				path: 'README.md',
				message: 'Initialize the repository',
				content: toBase64(utf8(`# ${name}\n`))
			})
		);
		return response.data.commit.sha as string;
	}

	async commit(
		repo: RepoRef,
		files: BundleFile[],
		message: string,
		expectedParent: string | undefined,
		sign: CommitSigner
	): Promise<CommitResult> {
		const entries = flattenFiles(files);
		const text = normalizeMessage(message);
		const [owner, name] = repo.fullName.split('/') as [string, string];
		const current = await this.head(repo);
		if (current !== expectedParent) throw conflictError(PROVIDER);
		const parent = current ?? (await this.initialise(repo));

		// Blobs, a few at a time; identical contents are uploaded once.
		const shas = new Map<string, Promise<string>>();
		const upload = async (content: Uint8Array) => {
			const key = toHex(new Uint8Array(await crypto.subtle.digest('SHA-1', encodeObject('blob', content))));
			let pending = shas.get(key);
			if (!pending) {
				pending = this.call('uploading the files', (o) =>
					o.request('POST /repos/{owner}/{repo}/git/blobs', {
						owner,
						repo: name,
						content: toBase64(content),
						encoding: 'base64'
					})
				).then((r) => r.data.sha);
				shas.set(key, pending);
			}
			return pending;
		};
		const blobShas: string[] = new Array(entries.length);
		let next = 0;
		const workers = Array.from({ length: Math.min(this.options.concurrency ?? 4, entries.length) }, async () => {
			while (next < entries.length) {
				const i = next++;
				blobShas[i] = await upload((entries[i] as (typeof entries)[number]).content);
			}
		});
		await Promise.all(workers);

		const tree = await this.call('saving the file list', (o) =>
			o.request('POST /repos/{owner}/{repo}/git/trees', {
				owner,
				repo: name,
				tree: entries.map((e, i) => ({
					path: e.path,
					mode: e.mode,
					type: 'blob' as const,
					sha: blobShas[i] as string
				}))
			})
		);

		const who = signatureLineAt(this.options.identity, (this.options.now ?? (() => new Date()))());
		const payload = commitPayload({
			tree: tree.data.sha,
			parents: [parent],
			author: who,
			committer: who,
			message: text
		});
		const signature = await sign(payload);
		const date = new Date(who.timestamp * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
		const person = { name: who.name, email: who.email, date };
		const created = await this.call('saving the change', (o) =>
			o.request('POST /repos/{owner}/{repo}/git/commits', {
				owner,
				repo: name,
				message: text,
				tree: tree.data.sha,
				parents: [parent],
				author: person,
				committer: person,
				signature
			})
		);
		// The id GitHub gives must be the hash of exactly what we signed; otherwise the
		// server would reject the signature, so stop before the branch moves.
		const expected = toHex(
			new Uint8Array(
				await crypto.subtle.digest('SHA-1', encodeObject('commit', utf8(addSignatureHeader(payload, signature))))
			)
		);
		if (created.data.sha !== expected)
			throw new ProviderError({
				code: 'unexpected',
				provider: PROVIDER,
				message: 'GitHub stored the change differently from how nassella signed it, so it was not applied.',
				action: DEFAULT_ACTIONS.unexpected
			});

		try {
			await (
				await this.octokit()
			).request('PATCH /repos/{owner}/{repo}/git/refs/{ref}', {
				owner,
				repo: name,
				ref: `heads/${repo.defaultBranch}`,
				sha: created.data.sha,
				force: false
			});
		} catch (error) {
			if ((error as OctokitErrorShape)?.status === 422) throw conflictError(PROVIDER);
			this.fail(error, 'moving the branch to the new change');
		}
		return { sha: created.data.sha, parent };
	}

	async ensureDeployKey(repo: RepoRef, title: string, publicKey: string): Promise<{ id: string }> {
		const [owner, name] = repo.fullName.split('/') as [string, string];
		const wanted = publicKey.trim().split(/\s+/).slice(0, 2).join(' ');
		const keys = (
			await this.call('reading the server keys', (o) =>
				o.request('GET /repos/{owner}/{repo}/keys', { owner, repo: name, per_page: 100 })
			)
		).data;
		const same = keys.find((k) => k.key.trim().split(/\s+/).slice(0, 2).join(' ') === wanted && k.read_only);
		let id: number;
		if (same) id = same.id;
		else {
			const added = await this.call('adding the server key', (o) =>
				o.request('POST /repos/{owner}/{repo}/keys', { owner, repo: name, title, key: wanted, read_only: true })
			);
			id = added.data.id;
		}
		// Rotation: keys with the same title go only once the new one is in place.
		for (const k of keys) {
			if (k.id !== id && k.title === title)
				await this.call('removing the old server key', (o) =>
					o.request('DELETE /repos/{owner}/{repo}/keys/{key_id}', { owner, repo: name, key_id: k.id })
				);
		}
		return { id: String(id) };
	}

	async deleteRepo(repo: RepoRef): Promise<void> {
		const [owner, name] = repo.fullName.split('/') as [string, string];
		try {
			await (await this.octokit()).request('DELETE /repos/{owner}/{repo}', { owner, repo: name });
		} catch (error) {
			if ((error as OctokitErrorShape)?.status === 404) return; // already gone
			this.fail(error, 'deleting the repository');
		}
	}
}
