/** What the resources of the GitHub fake share: users, repos and their git objects, errors, scopes and permissions, and the context each resource's routes get. */
import { createHash } from 'node:crypto';
import { encodeObject } from '../../../src/lib/core/git/objects.ts';
import type { GitHubFakeOptions } from './fake.ts';

export interface FakeUser {
	login: string;
	id: number;
	/** Classic token scopes (sent back in X-OAuth-Scopes); undefined for a fine-grained token. */
	scopes?: string[];
	/** Fine-grained permissions, e.g. { administration: 'write', contents: 'write' }. */
	permissions?: Record<string, 'read' | 'write'>;
}

export interface GitObject {
	type: 'blob' | 'tree' | 'commit';
	body: Uint8Array;
}

export interface Repo {
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

export const DOCS = 'https://docs.github.com/rest';

export class HttpFailure {
	status: number;
	message: string;
	headers: Record<string, string>;
	constructor(status: number, message: string, headers: Record<string, string> = {}) {
		this.status = status;
		this.message = message;
		this.headers = headers;
	}
}

/** One fake's settings and repos, handed to each resource's routes. */
export interface GitHubContext {
	options: GitHubFakeOptions;
	repos: Map<string, Repo>;
	now(): number;
	/** The next id, shared by repos and deploy keys. */
	newId(): number;
	/** The URL of an API path as the fake is mounted. */
	apiUrl(origin: string, path: string): string;
	/** The repo, or a 404 when it does not exist or is another user's private repo. */
	getRepo(user: FakeUser, owner: string, name: string): Repo;
}

export type Ctx = { user: FakeUser; params: Record<string, string>; body: Record<string, unknown>; origin: string };
export type Result = { status: number; body?: unknown };
/** Handlers by "METHOD /path" as schemas.ts names the endpoints. */
export type Routes = Record<string, (ctx: Ctx) => Result>;

function sha1(bytes: Uint8Array): string {
	return createHash('sha1').update(bytes).digest('hex');
}

export function store(repo: Repo, type: GitObject['type'], body: Uint8Array): string {
	const oid = sha1(encodeObject(type, body));
	repo.objects.set(oid, { type, body });
	return oid;
}

/** Classic tokens need a scope; fine-grained ones a permission. */
export function allow(user: FakeUser, scope: string, permission: string, level: 'read' | 'write') {
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

export function requireNotEmpty(repo: Repo) {
	if (repo.refs.size === 0) throw new HttpFailure(409, 'Git Repository is empty.');
}
