/** Repository contents: the first file of an empty repository. */
import { allow, HttpFailure, type GitHubContext, type Routes } from './common.ts';
import { commitFirstFile } from './objects.ts';

export function contentRoutes(ctx: GitHubContext): Routes {
	const { now, getRepo } = ctx;
	return {
		'PUT /repos/{owner}/{repo}/contents/{path}': ({ user, params, body }) => {
			allow(user, 'repo', 'contents', 'write');
			const repo = getRepo(user, params.owner as string, params.repo as string);
			const path = decodeURIComponent(params.path as string);
			if (repo.refs.size) throw new HttpFailure(422, 'The fake only creates first files in empty repositories.');
			const { blob, commit } = commitFirstFile(repo, user, Math.floor(now() / 1000), {
				name: path,
				content: Buffer.from(String(body.content), 'base64'),
				message: String(body.message)
			});
			return { status: 201, body: { content: { name: path, path, sha: blob }, commit: { sha: commit } } };
		}
	};
}
