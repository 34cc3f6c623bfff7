/** Repository contents: the first file of an empty repository. */
import { commitPayload, encodeTreeBody } from '../../../src/lib/core/git/objects.ts';
import { utf8 } from '../../../src/lib/core/git/bytes.ts';
import { allow, HttpFailure, store, type GitHubContext, type Routes } from './common.ts';

export function contentRoutes(ctx: GitHubContext): Routes {
	const { now, getRepo } = ctx;
	return {
		'PUT /repos/{owner}/{repo}/contents/{path}': ({ user, params, body }) => {
			allow(user, 'repo', 'contents', 'write');
			const repo = getRepo(user, params.owner as string, params.repo as string);
			const path = decodeURIComponent(params.path as string);
			if (repo.refs.size) throw new HttpFailure(422, 'The fake only creates first files in empty repositories.');
			const blob = store(repo, 'blob', Buffer.from(String(body.content), 'base64'));
			const tree = store(repo, 'tree', encodeTreeBody([{ mode: '100644', name: path, oid: blob }]));
			const who = {
				name: user.login,
				email: `${user.id}+${user.login}@users.noreply.github.com`,
				timestamp: Math.floor(now() / 1000),
				timezoneOffset: 0
			};
			const commit = store(
				repo,
				'commit',
				utf8(commitPayload({ tree, parents: [], author: who, committer: who, message: String(body.message) }))
			);
			repo.refs.set(`refs/heads/${repo.defaultBranch}`, commit);
			return { status: 201, body: { content: { name: path, path, sha: blob }, commit: { sha: commit } } };
		}
	};
}
