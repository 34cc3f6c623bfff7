/**
 * GitLab REST API (/api/v4) for what smart HTTP cannot do: the token's account, creating
 * and deleting the private project, and deploy keys without push access.
 */
import type { HttpClient } from '../../ports/http.ts';
import type { DeployKey, HostedRepo, RepoApi } from '../smart-http/repo-api.ts';
import { restClient } from '../smart-http/rest.ts';

export interface GitLabOptions {
	/** e.g. https://gitlab.com */
	origin: string;
	token: string;
	displayName?: string;
	proxyBase?: string;
	http?: HttpClient;
}

interface GitLabProject {
	id: number;
	path_with_namespace: string;
	http_url_to_repo: string;
	ssh_url_to_repo: string;
	default_branch: string | null;
	empty_repo: boolean;
}

const repoOf = (p: GitLabProject): HostedRepo => ({
	fullName: p.path_with_namespace,
	cloneUrl: p.http_url_to_repo,
	sshUrl: p.ssh_url_to_repo,
	defaultBranch: p.default_branch || 'main',
	empty: p.empty_repo
});

/** GitLab names projects by id or by URL-encoded full path. */
const project = (fullName: string) => encodeURIComponent(fullName);

export function gitlabApi(options: GitLabOptions): RepoApi {
	const call = restClient({
		provider: options.displayName ?? new URL(options.origin).host,
		apiBase: `${options.origin.replace(/\/+$/, '')}/api/v4`,
		headers: { authorization: `Bearer ${options.token}` },
		proxyBase: options.proxyBase,
		http: options.http
	});
	let login: string | undefined;
	const api: RepoApi = {
		async verify() {
			const { data } = await call<{ username: string }>('GET', '/user', 'checking the token');
			login = data.username;
			return { account: data.username };
		},
		async account() {
			return login ?? (await api.verify()).account;
		},
		async findRepo(fullName) {
			const { status, data } = await call<GitLabProject>(
				'GET',
				`/projects/${project(fullName)}`,
				'looking for the repository',
				undefined,
				[404]
			);
			return status === 404 ? undefined : repoOf(data);
		},
		async createRepo(name, description) {
			const { data } = await call<GitLabProject>('POST', '/projects', 'creating the repository', {
				name,
				path: name,
				description,
				visibility: 'private',
				initialize_with_readme: false,
				default_branch: 'main'
			});
			return repoOf(data);
		},
		async deleteRepo(fullName) {
			await call('DELETE', `/projects/${project(fullName)}`, 'deleting the repository', undefined, [404]);
		},
		async listDeployKeys(fullName) {
			const { data } = await call<{ id: number; title: string; key: string }[]>(
				'GET',
				`/projects/${project(fullName)}/deploy_keys`,
				'reading the server keys'
			);
			return data.map((k) => ({ id: String(k.id), title: k.title, key: k.key }));
		},
		async addDeployKey(fullName, title, key): Promise<DeployKey> {
			const { data } = await call<{ id: number; title: string; key: string }>(
				'POST',
				`/projects/${project(fullName)}/deploy_keys`,
				'adding the server key',
				{ title, key, can_push: false }
			);
			return { id: String(data.id), title: data.title, key: data.key };
		},
		async deleteDeployKey(fullName, id) {
			await call(
				'DELETE',
				`/projects/${project(fullName)}/deploy_keys/${encodeURIComponent(id)}`,
				'removing the old server key',
				undefined,
				[404]
			);
		}
	};
	return api;
}
