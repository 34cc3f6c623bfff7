/**
 * Forgejo / Gitea / Codeberg REST API (/api/v1) for what smart HTTP cannot do: the token's
 * account, creating and deleting the private repo, and read-only deploy keys.
 * Endpoints from Gitea's swagger (templates/swagger/v1_json.tmpl).
 */
import type { HttpClient } from '../../ports/http.ts';
import type { DeployKey, HostedRepo, RepoApi } from '../smart-http/repo-api.ts';
import { restClient } from '../smart-http/rest.ts';

export interface ForgejoOptions {
	/** e.g. https://codeberg.org */
	origin: string;
	token: string;
	displayName?: string;
	proxyBase?: string;
	http?: HttpClient;
}

interface ForgejoRepo {
	full_name: string;
	clone_url: string;
	ssh_url: string;
	default_branch: string;
	empty: boolean;
}

const repoOf = (r: ForgejoRepo): HostedRepo => ({
	fullName: r.full_name,
	cloneUrl: r.clone_url,
	sshUrl: r.ssh_url,
	defaultBranch: r.default_branch || 'main',
	empty: r.empty
});

export function forgejoApi(options: ForgejoOptions): RepoApi {
	const call = restClient({
		provider: options.displayName ?? new URL(options.origin).host,
		apiBase: `${options.origin.replace(/\/+$/, '')}/api/v1`,
		headers: { authorization: `token ${options.token}` },
		proxyBase: options.proxyBase,
		http: options.http
	});
	let login: string | undefined;
	const api: RepoApi = {
		async verify() {
			const { data } = await call<{ login: string }>('GET', '/user', 'checking the token');
			login = data.login;
			return { account: data.login };
		},
		async account() {
			return login ?? (await api.verify()).account;
		},
		async findRepo(fullName) {
			const { status, data } = await call<ForgejoRepo>(
				'GET',
				`/repos/${fullName}`,
				'looking for the repository',
				undefined,
				[404]
			);
			return status === 404 ? undefined : repoOf(data);
		},
		async createRepo(name, description) {
			const { data } = await call<ForgejoRepo>('POST', '/user/repos', 'creating the repository', {
				name,
				description,
				private: true,
				auto_init: false,
				default_branch: 'main'
			});
			return repoOf(data);
		},
		async deleteRepo(fullName) {
			await call('DELETE', `/repos/${fullName}`, 'deleting the repository', undefined, [404]);
		},
		async listDeployKeys(fullName) {
			const { data } = await call<{ id: number; title: string; key: string }[]>(
				'GET',
				`/repos/${fullName}/keys`,
				'reading the server keys'
			);
			return data.map((k) => ({ id: String(k.id), title: k.title, key: k.key }));
		},
		async addDeployKey(fullName, title, key): Promise<DeployKey> {
			const { data } = await call<{ id: number; title: string; key: string }>(
				'POST',
				`/repos/${fullName}/keys`,
				'adding the server key',
				{
					title,
					key,
					read_only: true
				}
			);
			return { id: String(data.id), title: data.title, key: data.key };
		},
		async deleteDeployKey(fullName, id) {
			await call(
				'DELETE',
				`/repos/${fullName}/keys/${encodeURIComponent(id)}`,
				'removing the old server key',
				undefined,
				[404]
			);
		}
	};
	return api;
}
