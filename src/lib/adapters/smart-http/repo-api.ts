/** What a git server's REST API offers beside smart HTTP (Forgejo/Gitea, GitLab). */
export interface HostedRepo {
	fullName: string;
	/** https clone URL. */
	cloneUrl: string;
	sshUrl: string;
	defaultBranch: string;
	/** True when the host says the repo has no commits. */
	empty: boolean;
}

export interface DeployKey {
	id: string;
	title: string;
	key: string;
}

export interface RepoApi {
	verify(): Promise<{ account: string }>;
	/** The repo if it exists, else undefined. */
	findRepo(fullName: string): Promise<HostedRepo | undefined>;
	/** Creates a private repo in the token owner's account. */
	createRepo(name: string, description: string): Promise<HostedRepo>;
	deleteRepo(fullName: string): Promise<void>;
	listDeployKeys(fullName: string): Promise<DeployKey[]>;
	/** Adds a read-only (no push) deploy key. */
	addDeployKey(fullName: string, title: string, publicKey: string): Promise<DeployKey>;
	deleteDeployKey(fullName: string, id: string): Promise<void>;
	/** The account name the token belongs to (for "owner/name"). */
	account(): Promise<string>;
}
