/** Git data: blobs, trees, commits (signed or not) and refs, with fast-forward-only ref updates. */
import { addSignatureHeader, formatTimezone, MODE_TREE } from '../../../src/lib/core/git/objects.ts';
import { utf8 } from '../../../src/lib/core/git/bytes.ts';
import {
	allow,
	HttpFailure,
	requireNotEmpty,
	store,
	type GitHubContext,
	type GitObject,
	type Repo,
	type Routes
} from './common.ts';
import { createTree, isAncestor, parseCommit, readTree } from './objects.ts';

export function gitRoutes(ctx: GitHubContext): Routes {
	const { now, apiUrl, getRepo } = ctx;

	function commitJson(origin: string, repo: Repo, oid: string) {
		const c = parseCommit((repo.objects.get(oid) as GitObject).body);
		const full = `${repo.owner.login}/${repo.name}`;
		return {
			sha: oid,
			node_id: `C_${oid.slice(0, 12)}`,
			url: apiUrl(origin, `/repos/${full}/git/commits/${oid}`),
			html_url: `https://github.com/${full}/commit/${oid}`,
			author: c.author,
			committer: c.committer,
			message: c.message,
			tree: { sha: c.tree, url: apiUrl(origin, `/repos/${full}/git/trees/${c.tree}`) },
			parents: c.parents.map((p) => ({
				sha: p,
				url: apiUrl(origin, `/repos/${full}/git/commits/${p}`),
				html_url: `https://github.com/${full}/commit/${p}`
			})),
			// GitHub checks signatures against keys registered on the account; the fake does not.
			verification: {
				verified: false,
				reason: c.signature ? 'unknown_key' : 'unsigned',
				signature: c.signature,
				payload: null
			}
		};
	}

	function refJson(origin: string, repo: Repo, ref: string) {
		const full = `${repo.owner.login}/${repo.name}`;
		const oid = repo.refs.get(ref) as string;
		return {
			ref,
			node_id: `REF_${oid.slice(0, 8)}`,
			url: apiUrl(origin, `/repos/${full}/git/${ref}`),
			object: { type: 'commit', sha: oid, url: apiUrl(origin, `/repos/${full}/git/commits/${oid}`) }
		};
	}

	function treeJson(origin: string, repo: Repo, oid: string) {
		const full = `${repo.owner.login}/${repo.name}`;
		return {
			sha: oid,
			url: apiUrl(origin, `/repos/${full}/git/trees/${oid}`),
			truncated: false,
			tree: readTree(repo, oid).map((e) => {
				const type = e.mode === MODE_TREE ? 'tree' : 'blob';
				return {
					path: e.name,
					mode: e.mode === MODE_TREE ? '040000' : e.mode,
					type,
					sha: e.oid,
					...(type === 'blob' ? { size: repo.objects.get(e.oid)?.body.length ?? 0 } : {}),
					url: apiUrl(origin, `/repos/${full}/git/${type}s/${e.oid}`)
				};
			})
		};
	}

	function personLine(p: { name: string; email: string; date?: string }) {
		const date = p.date ? Date.parse(p.date) : now();
		if (Number.isNaN(date)) throw new HttpFailure(422, 'Invalid date');
		const offset = p.date ? /([+-])(\d{2}):?(\d{2})$/.exec(p.date) : null;
		const tz = offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) : 0;
		return { name: p.name, email: p.email, timestamp: Math.floor(date / 1000), timezoneOffset: tz };
	}

	return {
		'POST /repos/{owner}/{repo}/git/blobs': ({ user, params, body, origin }) => {
			allow(user, 'repo', 'contents', 'write');
			const repo = getRepo(user, params.owner as string, params.repo as string);
			requireNotEmpty(repo);
			const content = String(body.content);
			const bytes = body.encoding === 'base64' ? Buffer.from(content, 'base64') : utf8(content);
			const oid = store(repo, 'blob', new Uint8Array(bytes));
			return {
				status: 201,
				body: { sha: oid, url: apiUrl(origin, `/repos/${params.owner}/${params.repo}/git/blobs/${oid}`) }
			};
		},
		'POST /repos/{owner}/{repo}/git/trees': ({ user, params, body, origin }) => {
			allow(user, 'repo', 'contents', 'write');
			const repo = getRepo(user, params.owner as string, params.repo as string);
			requireNotEmpty(repo);
			if (body.base_tree) throw new HttpFailure(422, 'The fake does not support base_tree.');
			const oid = createTree(repo, body.tree as Parameters<typeof createTree>[1]);
			return { status: 201, body: treeJson(origin, repo, oid) };
		},
		'GET /repos/{owner}/{repo}/git/trees/{tree_sha}': ({ user, params, origin }) => {
			allow(user, 'repo', 'contents', 'read');
			const repo = getRepo(user, params.owner as string, params.repo as string);
			return { status: 200, body: treeJson(origin, repo, params.tree_sha as string) };
		},
		'POST /repos/{owner}/{repo}/git/commits': ({ user, params, body, origin }) => {
			allow(user, 'repo', 'contents', 'write');
			const repo = getRepo(user, params.owner as string, params.repo as string);
			requireNotEmpty(repo);
			const tree = String(body.tree);
			if (repo.objects.get(tree)?.type !== 'tree') throw new HttpFailure(422, 'Tree SHA does not exist');
			const parents = (body.parents as string[] | undefined) ?? [];
			for (const p of parents)
				if (repo.objects.get(p)?.type !== 'commit')
					throw new HttpFailure(422, 'Parent SHA does not exist or is not a commit object');
			const fallback = { name: user.login, email: `${user.id}+${user.login}@users.noreply.github.com` };
			const author = personLine((body.author as { name: string; email: string; date?: string }) ?? fallback);
			const committer = personLine(
				(body.committer as { name: string; email: string; date?: string }) ?? body.author ?? fallback
			);
			const message = String(body.message);
			// GitHub writes the message as given (no newline added) after git's header lines.
			const line = (p: typeof author) => `${p.name} <${p.email}> ${p.timestamp} ${formatTimezone(p.timezoneOffset)}`;
			let text =
				`tree ${tree}\n${parents.map((p) => `parent ${p}\n`).join('')}` +
				`author ${line(author)}\ncommitter ${line(committer)}\n\n${message}`;
			if (typeof body.signature === 'string') text = addSignatureHeader(text, body.signature);
			const oid = store(repo, 'commit', utf8(text));
			return { status: 201, body: commitJson(origin, repo, oid) };
		},
		'GET /repos/{owner}/{repo}/git/commits/{commit_sha}': ({ user, params, origin }) => {
			allow(user, 'repo', 'contents', 'read');
			const repo = getRepo(user, params.owner as string, params.repo as string);
			if (repo.objects.get(params.commit_sha as string)?.type !== 'commit') throw new HttpFailure(404, 'Not Found');
			return { status: 200, body: commitJson(origin, repo, params.commit_sha as string) };
		},
		'GET /repos/{owner}/{repo}/git/ref/{ref}': ({ user, params, origin }) => {
			allow(user, 'repo', 'contents', 'read');
			const repo = getRepo(user, params.owner as string, params.repo as string);
			requireNotEmpty(repo);
			const ref = `refs/${params.ref}`;
			if (!repo.refs.has(ref)) throw new HttpFailure(404, 'Not Found');
			return { status: 200, body: refJson(origin, repo, ref) };
		},
		'POST /repos/{owner}/{repo}/git/refs': ({ user, params, body, origin }) => {
			allow(user, 'repo', 'contents', 'write');
			const repo = getRepo(user, params.owner as string, params.repo as string);
			requireNotEmpty(repo);
			const ref = String(body.ref);
			if (repo.refs.has(ref)) throw new HttpFailure(422, 'Reference already exists');
			if (repo.objects.get(String(body.sha))?.type !== 'commit') throw new HttpFailure(422, 'Object does not exist');
			repo.refs.set(ref, String(body.sha));
			return { status: 201, body: refJson(origin, repo, ref) };
		},
		'PATCH /repos/{owner}/{repo}/git/refs/{ref}': ({ user, params, body, origin }) => {
			allow(user, 'repo', 'contents', 'write');
			const repo = getRepo(user, params.owner as string, params.repo as string);
			const ref = `refs/${params.ref}`;
			const current = repo.refs.get(ref);
			if (!current) throw new HttpFailure(422, 'Reference does not exist');
			const sha = String(body.sha);
			if (repo.objects.get(sha)?.type !== 'commit') throw new HttpFailure(422, 'Object does not exist');
			if (body.force !== true && !isAncestor(repo, current, sha))
				throw new HttpFailure(422, 'Update is not a fast forward');
			repo.refs.set(ref, sha);
			return { status: 200, body: refJson(origin, repo, ref) };
		}
	};
}
