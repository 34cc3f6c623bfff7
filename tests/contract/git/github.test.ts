/**
 * The GitHub adapter against the stateful fake of GitHub's REST endpoints (schemas written
 * from GitHub's REST documentation, see workers/sandbox/github/schemas.ts). The fake stores
 * real git objects; the test rebuilds them in a bare repo and lets the real git check the
 * signatures.
 */
import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitHubGitHost } from '../../../src/lib/adapters/github/index.ts';
import { commitSigner, generateSshKey, type SshKeyRecord } from '../../../src/lib/adapters/ssh-signature/index.ts';
import { allowedSignersLine } from '../../../src/lib/core/git/openssh.ts';
import { configRepoFiles } from '../../../src/lib/core/git/repo-files.ts';
import type { BundleFile } from '../../../src/lib/ports/git-host.ts';
import { createGitHubFake, type GitHubFake, type GitHubFakeOptions } from '../../../workers/sandbox/github/fake.ts';

const identity = { name: 'nassella', email: 'signer@nassella.invalid' };
const TOKENS: GitHubFakeOptions['tokens'] = {
	classic: { login: 'alice', id: 7, scopes: ['repo', 'delete_repo'] },
	'public-only': { login: 'alice', id: 7, scopes: ['public_repo'] },
	'fine-contents': { login: 'alice', id: 7, permissions: { contents: 'write', metadata: 'read' } },
	'fine-all': { login: 'alice', id: 7, permissions: { contents: 'write', metadata: 'read', administration: 'write' } },
	bob: { login: 'bob', id: 8, scopes: ['repo', 'delete_repo'] }
};

let work: string;
let key: SshKeyRecord;
const servers: Server[] = [];
const fakes: GitHubFake[] = [];

async function start(options: GitHubFakeOptions = {}) {
	const fake = createGitHubFake({ tokens: TOKENS, ...options });
	const server = createServer(fake.handler);
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	servers.push(server);
	fakes.push(fake);
	const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	const host = (token = 'classic', extra: Partial<ConstructorParameters<typeof GitHubGitHost>[0]> = {}) =>
		new GitHubGitHost({ token, baseUrl, identity, ...extra });
	return { fake, baseUrl, host };
}

beforeAll(async () => {
	work = mkdtempSync(join(tmpdir(), 'nassella-gh-'));
	key = await generateSshKey('nassella');
	writeFileSync(join(work, 'allowed'), allowedSignersLine(identity.email, key.publicKey) + '\n');
});
afterAll(async () => {
	for (const s of servers) await new Promise((r) => s.close(r));
	rmSync(work, { recursive: true, force: true });
	for (const fake of fakes) expect(fake.violations).toEqual([]);
});

const bundle = (version: string): BundleFile[] => [
	...configRepoFiles({ serverName: 'home', signingKey: key.publicKey, check: '// the check\n' }),
	{ path: 'compose.yaml', content: `services:\n  app:\n    image: example/app:${version}\n` },
	{ path: 'apps/notes/env', content: 'A=1\n' },
	{ path: 'apps/photos/env', content: 'A=1\n' },
	{ path: 'bin/apply.sh', content: '#!/bin/sh\n', executable: true },
	{ path: 'secrets/blob.age', content: new Uint8Array([0, 255, 1, 2]) }
];

/** Copies the fake's objects into a bare repo so the real git can inspect them. */
function materialise(fake: GitHubFake, fullName: string): string {
	const dir = mkdtempSync(join(work, 'bare-'));
	const git = (args: string[], input?: Uint8Array) =>
		execFileSync('git', args, {
			cwd: dir,
			input,
			encoding: 'utf8',
			env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: work }
		});
	git(['init', '--quiet', '--bare']);
	const objects = fake.objects(fullName) ?? new Map();
	for (const [oid, obj] of objects) {
		const written = git(['hash-object', '-w', '-t', obj.type, '--stdin'], obj.body).trim();
		expect(written).toBe(oid);
	}
	for (const [ref, oid] of fake.refs(fullName) ?? []) git(['update-ref', ref, oid]);
	return dir;
}

function verifies(dir: string, rev: string, allowed = join(work, 'allowed')): boolean {
	try {
		execFileSync('git', ['-c', `gpg.ssh.allowedSignersFile=${allowed}`, 'verify-commit', rev], {
			cwd: dir,
			stdio: 'pipe',
			env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: work }
		});
		return true;
	} catch {
		return false;
	}
}

describe('GitHub adapter against the GitHub fake', () => {
	it('creates a private repo and commits signed bundles that the real git verifies', async () => {
		const { fake, host } = await start();
		const gh = host();
		expect(await gh.verify()).toEqual({ account: 'alice' });
		const repo = await gh.ensureRepo('nassella-config', 'Configuration of my server');
		expect(repo).toMatchObject({
			fullName: 'alice/nassella-config',
			sshUrl: 'git@github.com:alice/nassella-config.git',
			defaultBranch: 'main'
		});
		expect(repo.hostKeys[0]).toMatch(/^github\.com ssh-ed25519 /);
		const init = await gh.head(repo);
		expect(init).toMatch(/^[0-9a-f]{40}$/);

		const first = await gh.commit(repo, bundle('1'), 'Set up the server', init, commitSigner(key));
		expect(first.parent).toBe(init);
		const second = await gh.commit(repo, bundle('2'), 'Update app', first.sha, commitSigner(key));
		expect(await gh.head(repo)).toBe(second.sha);

		const dir = materialise(fake, repo.fullName);
		execFileSync('git', ['fsck', '--strict'], { cwd: dir, stdio: 'pipe' });
		expect(verifies(dir, first.sha)).toBe(true);
		expect(verifies(dir, second.sha)).toBe(true);
		const foreign = await generateSshKey();
		writeFileSync(join(work, 'foreign'), allowedSignersLine(identity.email, foreign.publicKey) + '\n');
		expect(verifies(dir, second.sha, join(work, 'foreign'))).toBe(false);
		const files = execFileSync('git', ['ls-tree', '-r', '--format=%(objectmode) %(path)', second.sha], {
			cwd: dir,
			encoding: 'utf8'
		});
		expect(files).toContain('100755 bin/apply.sh');
		expect(files).toContain('100644 apps/photos/env');
		expect(execFileSync('git', ['show', `${second.sha}:compose.yaml`], { cwd: dir, encoding: 'utf8' })).toContain(
			'app:2'
		);

		// A resumed setup adopts the repo it made.
		expect((await host().ensureRepo('nassella-config', '')).fullName).toBe('alice/nassella-config');
	});

	it('refuses a stale parent and a branch that moved during the commit, writing nothing', async () => {
		const { fake, host } = await start();
		const repo = await host().ensureRepo('cfg', '');
		const first = await host().commit(repo, bundle('1'), 'one', await host().head(repo), commitSigner(key));
		const other = fake.pushElsewhere(repo.fullName, 'main', 'someone else');
		await expect(host().commit(repo, bundle('2'), 'two', first.sha, commitSigner(key))).rejects.toMatchObject({
			code: 'conflict',
			message: expect.stringContaining('changed since nassella last looked')
		});
		expect(fake.refs(repo.fullName)?.get('refs/heads/main')).toBe(other);

		// The branch moves between our check and our ref update: the non-forced update fails.
		let moved: string | undefined;
		const racing = host('classic', {
			fetch: async (input, init) => {
				if (init?.method === 'PATCH' && !moved) moved = fake.pushElsewhere(repo.fullName, 'main', 'race');
				return fetch(input, init);
			}
		});
		await expect(racing.commit(repo, bundle('3'), 'three', other, commitSigner(key))).rejects.toMatchObject({
			code: 'conflict'
		});
		expect(fake.refs(repo.fullName)?.get('refs/heads/main')).toBe(moved);
	});

	it('absorbs server errors and lost answers on a third of the calls: the commit lands once, intact', async () => {
		const { fake, host } = await start();
		let n = 0;
		const flaky = host('classic', {
			fetch: async (input, init) => {
				n++;
				const method = init?.method ?? 'GET';
				// Not the repo's creation nor the non-forced ref update: those are never repeated
				// blindly (the deploy engine looks before it tries them again).
				const url = String(input instanceof Request ? input.url : input);
				if (method === 'PATCH' || url.endsWith('/user/repos') || n % 3 !== 0) return fetch(input, init);
				if (n % 2 === 0) return new Response('{}', { status: 503, headers: { 'content-type': 'application/json' } });
				// The provider acts, but the answer is lost.
				await fetch(input, init);
				throw new TypeError('fetch failed');
			}
		});
		const repo = await flaky.ensureRepo('flaky', '');
		const before = await flaky.head(repo);
		const done = await flaky.commit(repo, bundle('1'), 'Set up', before, commitSigner(key));
		expect(done.parent).toBe(before);
		expect(fake.refs(repo.fullName)?.get('refs/heads/main')).toBe(done.sha);
		expect(n).toBeGreaterThan(6);
	});

	it('sends a dropped or failed read or object upload again, so one bad answer does not fail a commit', async () => {
		const { fake, host } = await start();
		const repo = await host().ensureRepo('retry', '');
		const before = await host().head(repo);
		const failedOnce = new Set<string>();
		const flaky = host('classic', {
			fetch: async (input, init) => {
				const url = String(input instanceof Request ? input.url : input);
				const kind = ['/git/blobs', '/git/trees', '/git/commits', '/git/ref/'].find((k) => url.includes(k));
				if (kind && !failedOnce.has(kind)) {
					failedOnce.add(kind);
					if (kind === '/git/trees') return new Response('{"message":"busy"}', { status: 503 });
					throw new TypeError('fetch failed');
				}
				return fetch(input, init);
			}
		});
		const done = await flaky.commit(repo, bundle('1'), 'Set up', before, commitSigner(key));
		expect(failedOnce.size).toBe(4);
		expect(fake.refs(repo.fullName)?.get('refs/heads/main')).toBe(done.sha);
	});

	it('leaves the branch where it was when the connection drops mid-commit', async () => {
		const { fake, host } = await start();
		const repo = await host().ensureRepo('drop', '');
		const before = await host().head(repo);
		const flaky = host('classic', {
			fetch: async (input, init) => {
				if (String(input instanceof Request ? input.url : input).endsWith('/git/commits'))
					throw new TypeError('fetch failed');
				return fetch(input, init);
			}
		});
		await expect(flaky.commit(repo, bundle('1'), 'Set up', before, commitSigner(key))).rejects.toMatchObject({
			code: 'network',
			message: expect.stringContaining('Could not reach GitHub')
		});
		expect(fake.refs(repo.fullName)?.get('refs/heads/main')).toBe(before);
		// Trying again later simply works.
		const done = await host().commit(repo, bundle('1'), 'Set up', before, commitSigner(key));
		expect(done.parent).toBe(before);
	});

	it('adopts an empty repo, refuses one with foreign files or a public one', async () => {
		const { baseUrl, host } = await start();
		const post = (body: object) =>
			fetch(`${baseUrl}/user/repos`, {
				method: 'POST',
				headers: { authorization: 'token classic', 'content-type': 'application/json' },
				body: JSON.stringify(body)
			});
		expect((await post({ name: 'empty', private: true })).status).toBe(201);
		const repo = await host().ensureRepo('empty', '');
		expect(await host().head(repo)).toBeUndefined();
		const done = await host().commit(repo, bundle('1'), 'Set up', undefined, commitSigner(key));
		expect(done.parent).toMatch(/^[0-9a-f]{40}$/);

		const busy = await host().ensureRepo('busy', '');
		await host().commit(
			repo.fullName ? busy : busy,
			[{ path: 'notes.txt', content: 'mine' }],
			'mine',
			await host().head(busy),
			commitSigner(key)
		);
		await expect(host().ensureRepo('busy', '')).rejects.toMatchObject({
			code: 'conflict',
			message: expect.stringMatching(/alice\/busy already exists on GitHub and holds files nassella did not write/)
		});
		expect((await post({ name: 'open', private: false, auto_init: true })).status).toBe(201);
		await expect(host().ensureRepo('open', '')).rejects.toMatchObject({
			code: 'conflict',
			message: expect.stringContaining('public')
		});
	});

	it('adds, keeps and rotates a read-only deploy key, and deletes the repo', async () => {
		const { fake, host } = await start();
		const repo = await host().ensureRepo('keys', '');
		const a = await generateSshKey('server');
		const first = await host().ensureDeployKey(repo, 'nassella server', a.publicKey);
		expect(await host().ensureDeployKey(repo, 'nassella server', a.publicKey)).toEqual(first);
		const b = await generateSshKey('server');
		const rotated = await host().ensureDeployKey(repo, 'nassella server', b.publicKey);
		expect(rotated.id).not.toBe(first.id);
		const keys = fake.deployKeys(repo.fullName);
		expect(keys).toHaveLength(1);
		expect(keys[0]).toMatchObject({ read_only: true, key: b.publicKey.split(' ').slice(0, 2).join(' ') });

		// The same key on a second repo is refused by GitHub; the reason is shown as given.
		const other = await host().ensureRepo('keys2', '');
		await expect(host().ensureDeployKey(other, 'nassella server', b.publicKey)).rejects.toMatchObject({
			code: 'invalid',
			message: expect.stringContaining('key is already in use')
		});

		await host().deleteRepo(repo);
		expect(fake.hasRepo(repo.fullName)).toBe(false);
		await host().deleteRepo(repo); // already gone: fine
	});

	it('explains a bad token, a missing scope or permission, a missing repo, a rate limit and a lost connection', async () => {
		const now = Date.UTC(2026, 0, 1, 12, 0, 0);
		const { host } = await start({ rateLimit: 6, now: () => now });
		await expect(host('nope').verify()).rejects.toMatchObject({ code: 'unauthorized', status: 401 });
		const publicOnly = await host('public-only')
			.verify()
			.catch((e: unknown) => e);
		expect(publicOnly).toMatchObject({ code: 'forbidden', message: expect.stringContaining('"repo"') });
		expect(String((publicOnly as Error).message)).not.toContain('public-only');

		const fine = await host('fine-contents')
			.ensureRepo('x', '')
			.catch((e: unknown) => e);
		expect(fine).toMatchObject({
			code: 'forbidden',
			status: 403,
			message: expect.stringContaining('Administration: Read and write')
		});

		const ghost = { fullName: 'alice/ghost', sshUrl: '', defaultBranch: 'main', hostKeys: [] };
		await expect(host('fine-all').ensureDeployKey(ghost, 't', key.publicKey)).rejects.toMatchObject({
			code: 'not-found',
			status: 404
		});

		// The rate limit (6 per hour for this token) runs out: the reset time is given.
		const limited = host('bob', { now: () => new Date(now) });
		const results = [];
		for (let i = 0; i < 8; i++) results.push(await limited.verify().catch((e: unknown) => e));
		const error = results.at(-1) as { code: string; retryAfterMs: number; message: string };
		expect(error.code).toBe('rate-limited');
		expect(error.retryAfterMs).toBe(3600_000);
		expect(error.message).toContain('13:00 UTC');

		const offline = host('classic', {
			fetch: async () => {
				throw new TypeError('fetch failed');
			}
		});
		await expect(offline.verify()).rejects.toMatchObject({ code: 'network' });
	});
});
