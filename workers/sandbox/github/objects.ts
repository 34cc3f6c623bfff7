/** The git objects of a repo: commits read back, trees read and built from GitHub's flat lists, ancestry for fast-forward checks. */
import { commitPayload, encodeTreeBody, MODE_TREE } from '../../../src/lib/core/git/objects.ts';
import { utf8 } from '../../../src/lib/core/git/bytes.ts';
import { treeEntries, type TreeEntry } from '../git-tree.ts';
import { HttpFailure, store, type FakeUser, type Repo } from './common.ts';

export function parseCommit(body: Uint8Array) {
	const text = new TextDecoder().decode(body);
	const end = text.indexOf('\n\n');
	const headers = text.slice(0, end).split('\n');
	const field = (name: string) => headers.filter((l) => l.startsWith(name + ' ')).map((l) => l.slice(name.length + 1));
	const person = (line: string) => {
		const m = /^(.*) <(.*)> (\d+) ([+-]\d{4})$/.exec(line);
		if (!m) throw new Error('bad person line');
		return {
			name: m[1] as string,
			email: m[2] as string,
			date: new Date(Number(m[3]) * 1000).toISOString().replace('.000Z', 'Z')
		};
	};
	const sigStart = headers.findIndex((l) => l.startsWith('gpgsig '));
	let signature: string | null = null;
	if (sigStart >= 0) {
		const lines = [headers[sigStart]?.slice(7) ?? ''];
		for (let i = sigStart + 1; i < headers.length && headers[i]?.startsWith(' '); i++)
			lines.push(headers[i]?.slice(1) ?? '');
		signature = lines.join('\n') + '\n';
	}
	return {
		tree: field('tree')[0] as string,
		parents: field('parent'),
		author: person(field('author')[0] as string),
		committer: person(field('committer')[0] as string),
		message: text.slice(end + 2),
		signature
	};
}

/** The entries of a tree of the repo, or a 404 when there is no such tree. */
export function readTree(repo: Repo, oid: string): TreeEntry[] {
	const obj = repo.objects.get(oid);
	if (!obj || obj.type !== 'tree') throw new HttpFailure(404, 'Not Found');
	return treeEntries(obj.body);
}

/** Builds nested trees from GitHub's flat `tree` array (paths with slashes). */
export function createTree(
	repo: Repo,
	entries: { path: string; mode: string; type: string; sha?: string | null; content?: string }[]
) {
	type Dir = { files: Map<string, { mode: string; oid: string }>; dirs: Map<string, Dir> };
	const root: Dir = { files: new Map(), dirs: new Map() };
	for (const e of entries) {
		const parts = e.path.split('/');
		if (parts.some((p) => !p || p === '.' || p === '..' || p === '.git'))
			throw new HttpFailure(422, `tree.path contains a malformed path component`);
		let oid = e.sha ?? undefined;
		if (e.content !== undefined) oid = store(repo, 'blob', utf8(e.content));
		if (!oid) throw new HttpFailure(422, 'Must supply either tree.sha or tree.content');
		const obj = repo.objects.get(oid);
		if (!obj || obj.type !== e.type) throw new HttpFailure(422, `GitRPC::BadObjectState`);
		const name = parts.pop() as string;
		let dir = root;
		for (const p of parts) {
			if (dir.files.has(p)) throw new HttpFailure(422, 'tree.path conflicts with a file');
			let next = dir.dirs.get(p);
			if (!next) dir.dirs.set(p, (next = { files: new Map(), dirs: new Map() }));
			dir = next;
		}
		dir.files.set(name, { mode: e.mode, oid });
	}
	const write = (dir: Dir): string => {
		const list = [...dir.files].map(([name, f]) => ({ name, mode: f.mode, oid: f.oid }));
		for (const [name, sub] of dir.dirs) list.push({ name, mode: MODE_TREE, oid: write(sub) });
		return store(repo, 'tree', encodeTreeBody(list));
	};
	return write(root);
}

export function isAncestor(repo: Repo, ancestor: string, oid: string): boolean {
	const queue = [oid];
	const seen = new Set<string>();
	for (let steps = 0; queue.length && steps < 100_000; steps++) {
		const next = queue.shift() as string;
		if (next === ancestor) return true;
		if (seen.has(next)) continue;
		seen.add(next);
		const obj = repo.objects.get(next);
		if (obj?.type === 'commit') queue.push(...parseCommit(obj.body).parents);
	}
	return false;
}

/**
 * Commits one file as the first commit of an empty repo, by the user (with GitHub's noreply
 * address) at `seconds`, on the repo's default branch, as GitHub does when it creates a
 * repo with a README or a first file.
 */
export function commitFirstFile(
	repo: Repo,
	user: FakeUser,
	seconds: number,
	file: { name: string; content: Uint8Array; message: string }
): { blob: string; commit: string } {
	const blob = store(repo, 'blob', file.content);
	const tree = store(repo, 'tree', encodeTreeBody([{ mode: '100644', name: file.name, oid: blob }]));
	const who = {
		name: user.login,
		email: `${user.id}+${user.login}@users.noreply.github.com`,
		timestamp: seconds,
		timezoneOffset: 0
	};
	const commit = store(
		repo,
		'commit',
		utf8(commitPayload({ tree, parents: [], author: who, committer: who, message: file.message }))
	);
	repo.refs.set(`refs/heads/${repo.defaultBranch}`, commit);
	return { blob, commit };
}
