/**
 * Forgejo/Gitea and GitLab: repos and deploy keys through each host's REST API (a small
 * stateful stand-in here, checking the requests' method, path, auth and fields as
 * documented), commits over smart HTTP to a real git http-backend.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forgejoApi } from '../../../src/lib/adapters/forgejo/index.ts';
import { gitlabApi } from '../../../src/lib/adapters/gitlab/index.ts';
import { SmartHttpGitHost } from '../../../src/lib/adapters/smart-http/index.ts';
import { commitSigner, generateSshKey } from '../../../src/lib/adapters/ssh-signature/index.ts';
import type { HttpClient } from '../../../src/lib/ports/http.ts';
import { startGitServer, type GitServer } from './http-backend.ts';

let server: GitServer;
beforeAll(async () => {
	server = await startGitServer();
});
afterAll(() => server?.close());

type Key = { id: number; title: string; key: string; flag: boolean };

/** The API side of a Forgejo or GitLab host, backed by bare repos on the git server. */
function apiFake(kind: 'forgejo' | 'gitlab', token: string) {
	const repos = new Map<string, { keys: Key[]; id: number }>();
	const log: string[] = [];
	let nextId = 1;
	const json = (status: number, body?: unknown) =>
		new Response(body === undefined ? null : JSON.stringify(body), {
			status,
			headers: { 'content-type': 'application/json' }
		});
	const repoJson = (full: string) =>
		kind === 'forgejo'
			? {
					full_name: full,
					clone_url: `${server.baseUrl}/${full}.git`,
					ssh_url: `git@host:${full}.git`,
					default_branch: 'main',
					empty: true
				}
			: {
					id: repos.get(full)?.id,
					path_with_namespace: full,
					http_url_to_repo: `${server.baseUrl}/${full}.git`,
					ssh_url_to_repo: `git@host:${full}.git`,
					default_branch: null,
					empty_repo: true
				};
	const http: HttpClient = async (request) => {
		const url = new URL(request.url);
		const auth = request.headers.get('authorization');
		log.push(`${request.method} ${url.pathname}`);
		if (auth !== (kind === 'forgejo' ? `token ${token}` : `Bearer ${token}`))
			return json(401, { message: 'Unauthorized' });
		const body = request.body ? ((await request.json()) as Record<string, unknown>) : {};
		const prefix = kind === 'forgejo' ? '/api/v1' : '/api/v4';
		const path = url.pathname.slice(prefix.length);
		const decode = (p: string) => decodeURIComponent(p);
		let m: RegExpExecArray | null;
		if (request.method === 'GET' && path === '/user')
			return json(200, kind === 'forgejo' ? { login: 'alice' } : { username: 'alice' });
		if (request.method === 'POST' && (path === '/user/repos' || path === '/projects')) {
			if (kind === 'forgejo') expect(body).toMatchObject({ name: 'config', private: true });
			else expect(body).toMatchObject({ name: 'config', path: 'config', visibility: 'private' });
			const full = `alice/${body.name}`;
			repos.set(full, { keys: [], id: nextId++ });
			server.createRepo(full);
			return json(201, repoJson(full));
		}
		const repoPath = kind === 'forgejo' ? /^\/repos\/([^/]+\/[^/]+)(\/.*)?$/ : /^\/projects\/([^/]+)(\/.*)?$/;
		if (
			(m = repoPath.exec(
				kind === 'forgejo'
					? path
					: url.pathname
							.slice(prefix.length)
							.replace(
								/^\/projects\/(.*?)(\/deploy_keys.*)?$/,
								(_, a, b) => `/projects/${encodeURIComponent(decode(a))}${b ?? ''}`
							)
			))
		) {
			const full = decode(m[1] as string);
			const rest = m[2] ?? '';
			const repo = repos.get(full);
			if (!repo) return json(404, { message: 'Not Found' });
			const keysPath = kind === 'forgejo' ? '/keys' : '/deploy_keys';
			if (!rest && request.method === 'GET') return json(200, repoJson(full));
			if (!rest && request.method === 'DELETE') {
				repos.delete(full);
				rmSync(join(server.root, `${full}.git`), { recursive: true, force: true });
				return json(kind === 'forgejo' ? 204 : 202);
			}
			if (rest === keysPath && request.method === 'GET')
				return json(
					200,
					repo.keys.map((k) => ({
						id: k.id,
						title: k.title,
						key: k.key,
						[kind === 'forgejo' ? 'read_only' : 'can_push']: k.flag
					}))
				);
			if (rest === keysPath && request.method === 'POST') {
				expect(body).toMatchObject(kind === 'forgejo' ? { read_only: true } : { can_push: false });
				expect(String(body.key)).toMatch(/^ssh-ed25519 \S+$/);
				const k = {
					id: nextId++,
					title: String(body.title),
					key: String(body.key),
					flag: kind === 'forgejo' ? body.read_only === true : body.can_push === true
				};
				repo.keys.push(k);
				return json(201, { id: k.id, title: k.title, key: k.key });
			}
			const del = new RegExp(`^${keysPath}/(\\d+)$`).exec(rest);
			if (del && request.method === 'DELETE') {
				repo.keys = repo.keys.filter((k) => String(k.id) !== del[1]);
				return json(204);
			}
		}
		return json(404, { message: 'Not Found' });
	};
	return { http, repos, log };
}

describe.each(['forgejo', 'gitlab'] as const)('%s: REST API plus smart HTTP', (kind) => {
	it('creates the repo, commits signed over smart HTTP, rotates a read-only deploy key and deletes the repo', async () => {
		const fake = apiFake(kind, 'secret-token');
		const make = kind === 'forgejo' ? forgejoApi : gitlabApi;
		const api = make({
			origin: 'https://git.example.org',
			token: 'secret-token',
			displayName: 'your git host',
			http: fake.http
		});
		const host = new SmartHttpGitHost({
			id: kind,
			displayName: 'your git host',
			gitBaseUrl: server.baseUrl,
			api,
			identity: { name: 'n', email: 'n@x' }
		});
		expect(await host.verify()).toEqual({ account: 'alice' });
		const repo = await host.ensureRepo('config', 'desc');
		expect(repo).toMatchObject({
			fullName: 'alice/config',
			sshUrl: 'git@host:alice/config.git',
			defaultBranch: 'main'
		});
		const signing = await generateSshKey();
		const { sha } = await host.commit(
			repo,
			[{ path: 'compose.yaml', content: 'services: {}\n' }],
			'Set up',
			undefined,
			commitSigner(signing)
		);
		expect(await host.head(repo)).toBe(sha);

		const a = await generateSshKey('server');
		const b = await generateSshKey('server');
		const first = await host.ensureDeployKey(repo, 'nassella server', a.publicKey);
		expect(await host.ensureDeployKey(repo, 'nassella server', a.publicKey)).toEqual(first);
		await host.ensureDeployKey(repo, 'nassella server', b.publicKey);
		const keys = fake.repos.get('alice/config')?.keys ?? [];
		expect(keys.map((k) => k.key)).toEqual([b.publicKey.split(' ').slice(0, 2).join(' ')]);
		expect(keys[0]?.flag).toBe(kind === 'forgejo');

		await host.deleteRepo(repo);
		expect(fake.repos.has('alice/config')).toBe(false);

		const wrong = make({ origin: 'https://git.example.org', token: 'nope', http: fake.http });
		await expect(wrong.verify()).rejects.toMatchObject({ code: 'unauthorized', provider: 'git.example.org' });
		const offline = make({
			origin: 'https://git.example.org',
			token: 'x',
			http: async () => Promise.reject(new TypeError('fetch failed'))
		});
		await expect(offline.verify()).rejects.toMatchObject({ code: 'network' });
	});

	it('sends API calls through the relay when one is set', async () => {
		const seen: string[] = [];
		const make = kind === 'forgejo' ? forgejoApi : gitlabApi;
		const api = make({
			origin: 'https://git.example.org',
			token: 't',
			proxyBase: 'https://relay.example.net',
			http: async (request) => {
				seen.push(request.url);
				return new Response(JSON.stringify({ login: 'a', username: 'a' }), { status: 200 });
			}
		});
		await api.verify();
		expect(seen).toEqual([`https://relay.example.net/git.example.org/api/${kind === 'forgejo' ? 'v1' : 'v4'}/user`]);
	});
});
