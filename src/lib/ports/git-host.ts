/** A file of the bundle: path relative to the repo root, and its content. */
export interface BundleFile {
	path: string;
	content: string | Uint8Array;
	executable?: boolean;
}

export interface RepoRef {
	/** "owner/name" on the host. */
	fullName: string;
	/** Where the server clones from over SSH, e.g. "git@github.com:owner/name.git". */
	sshUrl: string;
	defaultBranch: string;
	/** The host's SSH host keys in known_hosts form, pinned into the server's config. */
	hostKeys: string[];
}

/** A commit on the default branch, as the host lists it. */
export interface CommitInfo {
	sha: string;
	/** First line of the message. */
	message: string;
	/** Committer date (ISO 8601), when the host gives one. */
	date?: string;
}

export interface CommitResult {
	sha: string;
	parent?: string;
}

/** Signs commit objects in git's SSH signature format with the vault's Ed25519 key. */
export type CommitSigner = (commitPayload: string) => Promise<string>;

export interface GitHost {
	readonly id: string;
	readonly displayName: string;
	/** Checks the token and its permissions. */
	verify(): Promise<{ account: string }>;
	/** Creates the private repo, or adopts it when it exists and is empty; refuses a non-empty one. */
	ensureRepo(name: string, description: string): Promise<RepoRef>;
	/** The current head of the default branch, or undefined for an empty repo. */
	head(repo: RepoRef): Promise<string | undefined>;
	/**
	 * Replaces the whole tree with `files` in one signed commit whose parent must be
	 * `expectedParent`; if the branch moved meanwhile, throws ProviderError('conflict').
	 */
	commit(
		repo: RepoRef,
		files: BundleFile[],
		message: string,
		expectedParent: string | undefined,
		sign: CommitSigner
	): Promise<CommitResult>;
	/**
	 * The newest commits of the default branch, newest first, following first parents
	 * (at most `limit`). Optional: hosts without it show only the changes this vault made.
	 */
	history?(repo: RepoRef, limit: number): Promise<CommitInfo[]>;
	/** Adds (or replaces, on rotation) the read-only deploy key the server pulls with. */
	ensureDeployKey(repo: RepoRef, title: string, publicKey: string): Promise<{ id: string }>;
	deleteRepo(repo: RepoRef): Promise<void>;
}
