/** Deploy keys: listed, added (one use across all repos, as GitHub requires) and removed. */
import { allow, HttpFailure, type GitHubContext, type Repo, type Routes } from './common.ts';

export function keyRoutes(ctx: GitHubContext): Routes {
	const { repos, now, apiUrl, getRepo } = ctx;

	function keyJson(origin: string, repo: Repo, k: Repo['keys'][number]) {
		return { ...k, url: apiUrl(origin, `/repos/${repo.owner.login}/${repo.name}/keys/${k.id}`), verified: true };
	}

	return {
		'GET /repos/{owner}/{repo}/keys': ({ user, params, origin }) => {
			allow(user, 'repo', 'administration', 'read');
			const repo = getRepo(user, params.owner as string, params.repo as string);
			return { status: 200, body: repo.keys.map((k) => keyJson(origin, repo, k)) };
		},
		'POST /repos/{owner}/{repo}/keys': ({ user, params, body, origin }) => {
			allow(user, 'repo', 'administration', 'write');
			const repo = getRepo(user, params.owner as string, params.repo as string);
			const key = String(body.key).trim().split(/\s+/).slice(0, 2).join(' ');
			if (!/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]{43}$/.test(key) && !/^ssh-(rsa|ecdsa)/.test(key))
				throw new HttpFailure(
					422,
					'Validation Failed: key is invalid. You must supply a key in OpenSSH public key format'
				);
			for (const other of repos.values())
				if (other.keys.some((k) => k.key === key))
					throw new HttpFailure(422, 'Validation Failed: key is already in use');
			const entry = {
				id: ctx.newId(),
				key,
				title: String(body.title ?? ''),
				read_only: body.read_only !== false,
				created_at: new Date(now()).toISOString()
			};
			repo.keys.push(entry);
			return { status: 201, body: keyJson(origin, repo, entry) };
		},
		'DELETE /repos/{owner}/{repo}/keys/{key_id}': ({ user, params }) => {
			allow(user, 'repo', 'administration', 'write');
			const repo = getRepo(user, params.owner as string, params.repo as string);
			const at = repo.keys.findIndex((k) => String(k.id) === params.key_id);
			if (at < 0) throw new HttpFailure(404, 'Not Found');
			repo.keys.splice(at, 1);
			return { status: 204 };
		}
	};
}
