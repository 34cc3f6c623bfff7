/** Repositories: created (empty or with a first commit), read and deleted. */
import { utf8 } from '../../../src/lib/core/git/bytes.ts';
import { allow, HttpFailure, type GitHubContext, type Repo, type Routes } from './common.ts';
import { commitFirstFile } from './objects.ts';

export function repoRoutes(ctx: GitHubContext): Routes {
	const { repos, now, apiUrl, getRepo } = ctx;

	function repoJson(origin: string, repo: Repo) {
		const full = `${repo.owner.login}/${repo.name}`;
		let size = 0;
		for (const o of repo.objects.values()) size += o.body.length;
		return {
			id: repo.id,
			node_id: `R_${repo.id}`,
			name: repo.name,
			full_name: full,
			private: repo.private,
			owner: { login: repo.owner.login, id: repo.owner.id, type: 'User' },
			description: repo.description,
			html_url: `https://github.com/${full}`,
			url: apiUrl(origin, `/repos/${full}`),
			clone_url: `https://github.com/${full}.git`,
			ssh_url: `git@github.com:${full}.git`,
			default_branch: repo.defaultBranch,
			size: Math.ceil(size / 1024),
			visibility: repo.private ? 'private' : 'public',
			created_at: repo.createdAt,
			pushed_at: repo.refs.size ? repo.createdAt : null
		};
	}

	return {
		'POST /user/repos': ({ user, body, origin }) => {
			allow(user, 'repo', 'administration', 'write');
			const name = String(body.name);
			if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) throw new HttpFailure(422, 'Repository creation failed.');
			const key = `${user.login}/${name}`.toLowerCase();
			if (repos.has(key)) throw new HttpFailure(422, 'Repository creation failed.');
			const repo: Repo = {
				id: ctx.newId(),
				owner: user,
				name,
				description: (body.description as string | undefined) ?? null,
				private: body.private === true,
				defaultBranch: 'main',
				createdAt: new Date(now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
				objects: new Map(),
				refs: new Map(),
				keys: []
			};
			repos.set(key, repo);
			if (body.auto_init === true) {
				commitFirstFile(repo, user, Math.floor(now() / 1000), {
					name: 'README.md',
					content: utf8(`# ${name}\n${repo.description ? `\n${repo.description}\n` : ''}`),
					message: 'Initial commit'
				});
			}
			return { status: 201, body: repoJson(origin, repo) };
		},
		'GET /repos/{owner}/{repo}': ({ user, params, origin }) => {
			allow(user, 'repo', 'metadata', 'read');
			return { status: 200, body: repoJson(origin, getRepo(user, params.owner as string, params.repo as string)) };
		},
		'DELETE /repos/{owner}/{repo}': ({ user, params }) => {
			const repo = getRepo(user, params.owner as string, params.repo as string);
			allow(user, 'delete_repo', 'administration', 'write');
			repos.delete(`${repo.owner.login}/${repo.name}`.toLowerCase());
			return { status: 204 };
		}
	};
}
