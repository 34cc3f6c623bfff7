/**
 * A stateful fake of the GitHub REST endpoints nassella uses, for contract tests and for
 * the sandbox git host (`npm start` serves it at /sandbox/github/). It stores real git
 * objects (blob, tree and commit ids are SHA-1s of git's encoding, so a commit built here
 * is the object GitHub would store), enforces tokens, classic scopes and fine-grained
 * permissions, rate limits and fast-forward-only ref updates, and checks every request
 * and response against the schemas in schemas.ts.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ENDPOINTS, type Endpoint } from './schemas.ts';
import {
	addSignatureHeader,
	commitPayload,
	encodeObject,
	encodeTreeBody,
	formatTimezone,
	MODE_TREE
} from '../../../src/lib/core/git/objects.ts';
import { utf8 } from '../../../src/lib/core/git/bytes.ts';

export interface FakeUser {
	login: string;
	id: number;
	/** Classic token scopes (sent back in X-OAuth-Scopes); undefined for a fine-grained token. */
	scopes?: string[];
	/** Fine-grained permissions, e.g. { administration: 'write', contents: 'write' }. */
	permissions?: Record<string, 'read' | 'write'>;
}

interface GitObject {
	type: 'blob' | 'tree' | 'commit';
	body: Uint8Array;
}

interface Repo {
	id: number;
	owner: FakeUser;
	name: string;
	description: string | null;
	private: boolean;
	defaultBranch: string;
	createdAt: string;
	objects: Map<string, GitObject>;
	refs: Map<string, string>;
	keys: { id: number; key: string; title: string; read_only: boolean; created_at: string }[];
}

export interface GitHubFakeOptions {
	/** Tokens and whom they belong to. Without it, any token is a sandbox user with full scopes. */
	tokens?: Record<string, FakeUser>;
	/** Requests per hour per token. */
	rateLimit?: number;
	now?: () => number;
	/** Where the fake is mounted, e.g. "/sandbox/github"; URLs in answers point there. */
	basePath?: string;
	/** Absolute origin for URLs in answers. */
	origin?: string;
}

export class SchemaViolation extends Error {}

/** GitHub's published SSH host key (docs.github.com, "GitHub's SSH key fingerprints"). */
const HOST_KEYS = ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'];

const DOCS = 'https://docs.github.com/rest';

class HttpFailure {
	status: number;
	message: string;
	headers: Record<string, string>;
	constructor(status: number, message: string, headers: Record<string, string> = {}) {
		this.status = status;
		this.message = message;
		this.headers = headers;
	}
}

function sha1(bytes: Uint8Array): string {
	return createHash('sha1').update(bytes).digest('hex');
}

type Compiled = Endpoint & {
	pattern: RegExp;
	names: string[];
	req?: ValidateFunction;
	res: Record<number, ValidateFunction | null>;
};

export function createGitHubFake(options: GitHubFakeOptions = {}) {
	const ajv = new Ajv({ allErrors: true, strict: false });
	addFormats.default(ajv);
	const compiled: Compiled[] = ENDPOINTS.map((e) => {
		const names: string[] = [];
		const source = e.path.replace(/\{(\w+)\}/g, (_, name: string) => {
			names.push(name);
			return name === 'ref' || name === 'path' ? '(.+)' : '([^/]+)';
		});
		return {
			...e,
			names,
			pattern: new RegExp(`^${source}$`),
			req: e.request ? ajv.compile(e.request) : undefined,
			res: Object.fromEntries(
				Object.entries(e.responses).map(([s, schema]) => [s, schema ? ajv.compile(schema) : null])
			)
		};
	});
	const now = options.now ?? (() => Date.now());
	const basePath = (options.basePath ?? '').replace(/\/+$/, '');
	const limit = options.rateLimit ?? 5000;
	const usage = new Map<string, { used: number; reset: number }>();
	const repos = new Map<string, Repo>();
	const violations: string[] = [];
	let nextId = 1000;
	const sandboxUser: FakeUser = { login: 'sandbox-user', id: 1, scopes: ['repo', 'delete_repo'] };

	const apiUrl = (origin: string, path: string) => `${origin}${basePath}${path}`;

	function authenticate(req: IncomingMessage): { user: FakeUser; token: string } {
		const header = req.headers.authorization ?? '';
		const match = /^(?:token|bearer) (\S+)$/i.exec(header);
		if (!match) throw new HttpFailure(401, 'Requires authentication');
		const token = match[1] as string;
		const user = options.tokens ? options.tokens[token] : sandboxUser;
		if (!user) throw new HttpFailure(401, 'Bad credentials');
		return { user, token };
	}

	function rate(token: string) {
		const t = Math.floor(now() / 1000);
		let entry = usage.get(token);
		if (!entry || entry.reset <= t) usage.set(token, (entry = { used: 0, reset: t + 3600 }));
		return entry;
	}

	function rateHeaders(entry: { used: number; reset: number }) {
		return {
			'x-ratelimit-limit': String(limit),
			'x-ratelimit-remaining': String(Math.max(0, limit - entry.used)),
			'x-ratelimit-reset': String(entry.reset),
			'x-ratelimit-used': String(entry.used),
			'x-ratelimit-resource': 'core'
		};
	}

	/** Classic tokens need a scope; fine-grained ones a permission. */
	function allow(user: FakeUser, scope: string, permission: string, level: 'read' | 'write') {
		if (user.scopes) {
			if (!user.scopes.includes(scope))
				throw new HttpFailure(
					scope === 'delete_repo' ? 403 : 404,
					scope === 'delete_repo' ? 'Must have admin rights to Repository.' : 'Not Found',
					{ 'x-accepted-oauth-scopes': scope }
				);
			return;
		}
		const has = user.permissions?.[permission];
		if (!has || (level === 'write' && has !== 'write'))
			throw new HttpFailure(403, 'Resource not accessible by personal access token', {
				'x-accepted-github-permissions': `${permission}=${level}`
			});
	}

	function store(repo: Repo, type: GitObject['type'], body: Uint8Array): string {
		const oid = sha1(encodeObject(type, body));
		repo.objects.set(oid, { type, body });
		return oid;
	}

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

	function getRepo(user: FakeUser, owner: string, name: string): Repo {
		const repo = repos.get(`${owner}/${name}`.toLowerCase());
		if (!repo || (repo.private && repo.owner.login !== user.login)) throw new HttpFailure(404, 'Not Found');
		return repo;
	}

	function requireNotEmpty(repo: Repo) {
		if (repo.refs.size === 0) throw new HttpFailure(409, 'Git Repository is empty.');
	}

	function parseCommit(body: Uint8Array) {
		const text = new TextDecoder().decode(body);
		const end = text.indexOf('\n\n');
		const headers = text.slice(0, end).split('\n');
		const field = (name: string) =>
			headers.filter((l) => l.startsWith(name + ' ')).map((l) => l.slice(name.length + 1));
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

	function readTree(repo: Repo, oid: string): { mode: string; name: string; oid: string }[] {
		const obj = repo.objects.get(oid);
		if (!obj || obj.type !== 'tree') throw new HttpFailure(404, 'Not Found');
		const out: { mode: string; name: string; oid: string }[] = [];
		const b = obj.body;
		let i = 0;
		while (i < b.length) {
			const space = b.indexOf(0x20, i);
			const nul = b.indexOf(0, space);
			const mode = new TextDecoder().decode(b.subarray(i, space));
			const name = new TextDecoder().decode(b.subarray(space + 1, nul));
			const oidHex = Buffer.from(b.subarray(nul + 1, nul + 21)).toString('hex');
			out.push({ mode, name, oid: oidHex });
			i = nul + 21;
		}
		return out;
	}

	/** Builds nested trees from GitHub's flat `tree` array (paths with slashes). */
	function createTree(
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

	function isAncestor(repo: Repo, ancestor: string, oid: string): boolean {
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

	function personLine(p: { name: string; email: string; date?: string }) {
		const date = p.date ? Date.parse(p.date) : now();
		if (Number.isNaN(date)) throw new HttpFailure(422, 'Invalid date');
		const offset = p.date ? /([+-])(\d{2}):?(\d{2})$/.exec(p.date) : null;
		const tz = offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) : 0;
		return { name: p.name, email: p.email, timestamp: Math.floor(date / 1000), timezoneOffset: tz };
	}

	// Route handlers --------------------------------------------------------------------
	type Ctx = { user: FakeUser; params: Record<string, string>; body: Record<string, unknown>; origin: string };
	type Result = { status: number; body?: unknown };
	const routes: Record<string, (ctx: Ctx) => Result> = {
		'GET /user': ({ user }) => ({ status: 200, body: { login: user.login, id: user.id, type: 'User' } }),
		'GET /meta': () => ({ status: 200, body: { ssh_keys: HOST_KEYS } }),
		'GET /rate_limit': () => ({ status: 200, body: undefined }),
		'POST /user/repos': ({ user, body, origin }) => {
			allow(user, 'repo', 'administration', 'write');
			const name = String(body.name);
			if (!/^[A-Za-z0-9._-]{1,100}$/.test(name)) throw new HttpFailure(422, 'Repository creation failed.');
			const key = `${user.login}/${name}`.toLowerCase();
			if (repos.has(key)) throw new HttpFailure(422, 'Repository creation failed.');
			const repo: Repo = {
				id: nextId++,
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
				const blob = store(repo, 'blob', utf8(`# ${name}\n${repo.description ? `\n${repo.description}\n` : ''}`));
				const tree = store(repo, 'tree', encodeTreeBody([{ mode: '100644', name: 'README.md', oid: blob }]));
				const who = {
					name: user.login,
					email: `${user.id}+${user.login}@users.noreply.github.com`,
					timestamp: Math.floor(now() / 1000),
					timezoneOffset: 0
				};
				const commit = store(
					repo,
					'commit',
					utf8(commitPayload({ tree, parents: [], author: who, committer: who, message: 'Initial commit' }))
				);
				repo.refs.set('refs/heads/main', commit);
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
		},
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
		},
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
		},
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
				id: nextId++,
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

	function keyJson(origin: string, repo: Repo, k: Repo['keys'][number]) {
		return { ...k, url: apiUrl(origin, `/repos/${repo.owner.login}/${repo.name}/keys/${k.id}`), verified: true };
	}

	async function readBody(req: IncomingMessage): Promise<string> {
		const chunks: Buffer[] = [];
		let size = 0;
		for await (const chunk of req) {
			size += (chunk as Buffer).length;
			if (size > 50 * 1024 * 1024) throw new HttpFailure(413, 'Request too large');
			chunks.push(chunk as Buffer);
		}
		return Buffer.concat(chunks).toString('utf8');
	}

	async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const url = new URL(req.url ?? '/', 'http://local');
		const origin = options.origin ?? `http://${req.headers.host ?? 'localhost'}`;
		const path = url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) || '/' : url.pathname;
		const method = req.method ?? 'GET';
		const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
		const send = (status: number, body: unknown, endpoint?: Compiled) => {
			const validate = endpoint?.res[status];
			if (endpoint && validate === undefined)
				violations.push(`${method} ${endpoint.path}: undocumented status ${status}`);
			if (validate && !validate(body))
				violations.push(`${method} ${endpoint?.path} ${status} response: ${ajv.errorsText(validate.errors)}`);
			if (status === 204 || body === undefined) res.writeHead(status, headers).end();
			else res.writeHead(status, headers).end(JSON.stringify(body));
		};
		const endpoint = compiled.find((e) => e.method === method && e.pattern.test(path));
		if (!endpoint) {
			violations.push(`${method} ${path}: not an endpoint the fake knows`);
			return send(404, { message: 'Not Found', documentation_url: DOCS });
		}
		try {
			const { user, token } = authenticate(req);
			const entry = rate(token);
			if (entry.used >= limit) {
				Object.assign(headers, rateHeaders(entry));
				throw new HttpFailure(403, `API rate limit exceeded for user ID ${user.id}.`);
			}
			entry.used++;
			Object.assign(headers, rateHeaders(entry));
			if (user.scopes) headers['x-oauth-scopes'] = user.scopes.join(', ');
			const text = await readBody(req);
			let body: Record<string, unknown> = {};
			if (text) {
				try {
					body = JSON.parse(text) as Record<string, unknown>;
				} catch {
					throw new HttpFailure(400, 'Problems parsing JSON');
				}
			}
			if (endpoint.req && !endpoint.req(body)) {
				violations.push(`${method} ${endpoint.path} request: ${ajv.errorsText(endpoint.req.errors)}`);
				throw new HttpFailure(422, `Invalid request. ${ajv.errorsText(endpoint.req.errors)}`);
			}
			const match = endpoint.pattern.exec(path) as RegExpExecArray;
			const params = Object.fromEntries(endpoint.names.map((n, i) => [n, decodeURIComponent(match[i + 1] as string)]));
			const handler = routes[`${method} ${endpoint.path}`] as (ctx: Ctx) => Result;
			let result = handler({ user, params, body, origin });
			if (endpoint.path === '/rate_limit') {
				const core = { limit, remaining: Math.max(0, limit - entry.used), reset: entry.reset, used: entry.used };
				result = { status: 200, body: { resources: { core }, rate: core } };
			}
			send(result.status, result.body, endpoint);
		} catch (error) {
			if (error instanceof HttpFailure) {
				Object.assign(headers, error.headers);
				return send(
					error.status,
					{ message: error.message, documentation_url: DOCS, status: String(error.status) },
					endpoint
				);
			}
			violations.push(`${method} ${endpoint.path}: ${(error as Error).message}`);
			send(500, { message: 'Server Error' });
		}
	}

	return {
		handler: (req: IncomingMessage, res: ServerResponse) => void handle(req, res),
		/** Schema violations seen so far; tests expect none. */
		violations,
		/** Raw git objects of a repo, to rebuild it with the real git in tests. */
		objects(fullName: string) {
			return repos.get(fullName.toLowerCase())?.objects;
		},
		refs(fullName: string) {
			return repos.get(fullName.toLowerCase())?.refs;
		},
		deployKeys(fullName: string) {
			return repos.get(fullName.toLowerCase())?.keys ?? [];
		},
		hasRepo(fullName: string) {
			return repos.has(fullName.toLowerCase());
		},
		/** Moves a branch as if someone else pushed (for conflict tests). */
		pushElsewhere(fullName: string, branch: string, message: string): string {
			const repo = repos.get(fullName.toLowerCase()) as Repo;
			const parent = repo.refs.get(`refs/heads/${branch}`) as string;
			const { tree } = parseCommit((repo.objects.get(parent) as GitObject).body);
			const who = {
				name: 'Someone',
				email: 'someone@example.org',
				timestamp: Math.floor(now() / 1000),
				timezoneOffset: 0
			};
			const oid = store(
				repo,
				'commit',
				utf8(commitPayload({ tree, parents: [parent], author: who, committer: who, message }))
			);
			repo.refs.set(`refs/heads/${branch}`, oid);
			return oid;
		}
	};
}

export type GitHubFake = ReturnType<typeof createGitHubFake>;
