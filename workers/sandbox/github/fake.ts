/**
 * A stateful fake of the GitHub REST endpoints nassella uses, for contract tests and for
 * the sandbox git host (`npm start` serves it at /sandbox/github/). It stores real git
 * objects (blob, tree and commit ids are SHA-1s of git's encoding, so a commit built here
 * is the object GitHub would store), enforces tokens, classic scopes and fine-grained
 * permissions, rate limits and fast-forward-only ref updates, and checks every request
 * and response against the schemas in schemas.ts.
 *
 * This file holds the fake's state, its tokens and rate limits, and hands each request to its
 * resource, one file a resource: users.ts, repos.ts, contents.ts, git.ts (blobs, trees,
 * commits, refs; objects.ts reads and builds the git objects), keys.ts (common.ts: what they
 * share).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { ENDPOINTS, type Endpoint } from './schemas.ts';
import { commitPayload } from '../../../src/lib/core/git/objects.ts';
import { utf8 } from '../../../src/lib/core/git/bytes.ts';
import {
	DOCS,
	HttpFailure,
	store,
	type Ctx,
	type FakeUser,
	type GitHubContext,
	type GitObject,
	type Repo,
	type Result,
	type Routes
} from './common.ts';
import { contentRoutes } from './contents.ts';
import { gitRoutes } from './git.ts';
import { keyRoutes } from './keys.ts';
import { parseCommit } from './objects.ts';
import { repoRoutes } from './repos.ts';
import { userRoutes } from './users.ts';

export type { FakeUser };

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

	function getRepo(user: FakeUser, owner: string, name: string): Repo {
		const repo = repos.get(`${owner}/${name}`.toLowerCase());
		if (!repo || (repo.private && repo.owner.login !== user.login)) throw new HttpFailure(404, 'Not Found');
		return repo;
	}

	const ctx: GitHubContext = { options, repos, now, newId: () => nextId++, apiUrl, getRepo };
	const routes: Routes = {
		...userRoutes(),
		...repoRoutes(ctx),
		...contentRoutes(ctx),
		...gitRoutes(ctx),
		...keyRoutes(ctx)
	};

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
