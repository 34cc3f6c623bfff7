/**
 * isomorphic-git pushes signed commits to a real `git http-backend`; the real git clones
 * them and `git verify-commit` checks the SSH signatures against an allowed-signers file.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmartHttpGitHost } from '../../../src/lib/adapters/smart-http/index.ts';
import { commitSigner, generateSshKey, type SshKeyRecord } from '../../../src/lib/adapters/ssh-signature/index.ts';
import { allowedSignersLine } from '../../../src/lib/core/git/openssh.ts';
import { configRepoFiles } from '../../../src/lib/core/git/repo-files.ts';
import { ProviderError } from '../../../src/lib/core/errors.ts';
import type { BundleFile } from '../../../src/lib/ports/git-host.ts';
import { startGitServer, type GitServer } from './http-backend.ts';

const identity = { name: 'nassella', email: 'signer@nassella.invalid' };
let server: GitServer;
let key: SshKeyRecord;
let work: string;

beforeAll(async () => {
	server = await startGitServer();
	key = await generateSshKey('nassella');
	work = mkdtempSync(join(tmpdir(), 'nassella-clone-'));
	writeFileSync(join(work, 'allowed_signers'), allowedSignersLine(identity.email, key.publicKey) + '\n');
});
afterAll(async () => {
	await server?.close();
	rmSync(work, { recursive: true, force: true });
});

function host(extra: Partial<ConstructorParameters<typeof SmartHttpGitHost>[0]> = {}) {
	return new SmartHttpGitHost({
		id: 'git',
		displayName: 'your git server',
		gitBaseUrl: server.baseUrl,
		owner: 'alice',
		identity,
		...extra
	});
}

const bundle = (version: string): BundleFile[] => [
	...configRepoFiles({ serverName: 'family server', signingKey: key.publicKey, check: '// the check\n' }),
	{ path: 'compose.yaml', content: `services:\n  app:\n    image: example/app:${version}\n` },
	{ path: 'caddy/Caddyfile', content: 'example.org {\n\trespond "ok"\n}\n' },
	{ path: 'bin/apply.sh', content: '#!/bin/sh\necho apply\n', executable: true },
	{ path: 'secrets/app.age', content: new Uint8Array([0, 1, 2, 250, 255, 10]) }
];

function clone(name: string, into: string): string {
	const dir = join(work, into);
	server.git(['clone', '--quiet', `${server.baseUrl}/alice/${name}.git`, dir]);
	return dir;
}

function verifyCommit(dir: string, allowed = join(work, 'allowed_signers')) {
	try {
		server.git(['-c', 'gpg.ssh.allowedSignersFile=' + allowed, 'verify-commit', 'HEAD'], dir);
		return true;
	} catch {
		return false;
	}
}

describe('smart HTTP git host against git http-backend', () => {
	it('commits a signed bundle that git clones and verify-commit accepts, then a second on top', async () => {
		server.createRepo('alice/config.git'.replace('.git', ''));
		const git = host();
		const repo = await git.ensureRepo('config', 'nassella config');
		expect(repo.fullName).toBe('alice/config');
		expect(await git.head(repo)).toBeUndefined();

		const first = await git.commit(repo, bundle('1'), 'Set up the server', undefined, commitSigner(key));
		expect(await git.head(repo)).toBe(first.sha);
		const dir = clone('config', 'c1');
		expect(server.git(['rev-parse', 'HEAD'], dir).trim()).toBe(first.sha);
		expect(verifyCommit(dir)).toBe(true);
		expect(readFileSync(join(dir, 'compose.yaml'), 'utf8')).toContain('example/app:1');
		expect([...readFileSync(join(dir, 'secrets/app.age'))]).toEqual([0, 1, 2, 250, 255, 10]);
		expect(statSync(join(dir, 'bin/apply.sh')).mode & 0o111).not.toBe(0);
		expect(server.git(['log', '-1', '--format=%an <%ae>%n%s'], dir).trim()).toBe(
			'nassella <signer@nassella.invalid>\nSet up the server'
		);
		// git fsck finds every object well-formed.
		server.git(['fsck', '--strict'], dir);

		const second = await git.commit(repo, bundle('2'), 'Update app', first.sha, commitSigner(key));
		expect(second.parent).toBe(first.sha);
		server.git(['pull', '--quiet', '--ff-only'], dir);
		expect(server.git(['rev-list', '--count', 'HEAD'], dir).trim()).toBe('2');
		expect(verifyCommit(dir)).toBe(true);
		expect(server.git(['rev-parse', 'HEAD^'], dir).trim()).toBe(first.sha);

		// Re-adopting a repo nassella wrote (a resumed setup) works.
		expect((await git.ensureRepo('config', 'x')).fullName).toBe('alice/config');
	});

	it('rejects the signature with a foreign key, and a tampered commit', async () => {
		server.createRepo('alice/tamper');
		const git = host();
		const repo = await git.ensureRepo('tamper', '');
		await git.commit(repo, bundle('1'), 'Set up', undefined, commitSigner(key));
		const dir = clone('tamper', 't1');
		const foreign = await generateSshKey();
		const foreignAllowed = join(work, 'foreign_allowed');
		writeFileSync(foreignAllowed, allowedSignersLine(identity.email, foreign.publicKey) + '\n');
		expect(verifyCommit(dir, foreignAllowed)).toBe(false);
		expect(verifyCommit(dir)).toBe(true);

		const raw = server.git(['cat-file', 'commit', 'HEAD'], dir);
		const tampered = raw.replace('Set up', 'Set up (changed)');
		const file = join(work, 'tampered');
		writeFileSync(file, tampered);
		const oid = server.git(['hash-object', '-t', 'commit', '-w', file], dir).trim();
		server.git(['update-ref', 'refs/heads/main', oid], dir);
		expect(verifyCommit(dir)).toBe(false);

		// A commit signed with the foreign key does not pass for our allowed signers either.
		const parent = await git.head(repo);
		await git.commit(repo, bundle('2'), 'Foreign', parent, commitSigner(foreign));
		const dir2 = clone('tamper', 't2');
		expect(verifyCommit(dir2)).toBe(false);
		expect(verifyCommit(dir2, foreignAllowed)).toBe(true);
	});

	it('turns a stale parent, or a push that races another, into a conflict and writes nothing', async () => {
		server.createRepo('alice/race');
		const repo = await host().ensureRepo('race', '');
		const first = await host().commit(repo, bundle('1'), 'one', undefined, commitSigner(key));
		const second = await host().commit(repo, bundle('2'), 'two', first.sha, commitSigner(key));

		const stale = host().commit(repo, bundle('3'), 'three', first.sha, commitSigner(key));
		await expect(stale).rejects.toMatchObject({ code: 'conflict' });
		expect(await host().head(repo)).toBe(second.sha);

		// Someone else pushes between our check and our push: the server refuses ours.
		const other = clone('race', 'other');
		server.git(
			['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '--quiet', '--allow-empty', '-m', 'other'],
			other
		);
		let pushedOther = false;
		const { default: webHttp } = await import('isomorphic-git/http/web');
		const racing = host({
			http: {
				request: async (req) => {
					if (!pushedOther && req.method === 'POST' && req.url.endsWith('git-receive-pack')) {
						pushedOther = true;
						server.git(['push', '--quiet', 'origin', 'main'], other);
					}
					return webHttp.request(req);
				}
			}
		});
		await expect(racing.commit(repo, bundle('3'), 'three', second.sha, commitSigner(key))).rejects.toMatchObject({
			code: 'conflict'
		});
		expect(pushedOther).toBe(true);
		expect(await host().head(repo)).toBe(server.git(['rev-parse', 'HEAD'], other).trim());
	});

	it('refuses a repository that holds someone else’s files, adopts one with only a host README', async () => {
		const dir = join(work, 'seed');
		server.createRepo('alice/busy');
		server.git(['clone', '--quiet', `${server.baseUrl}/alice/busy.git`, dir]);
		writeFileSync(join(dir, 'notes.txt'), 'mine\n');
		server.git(['add', '.'], dir);
		server.git(['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '--quiet', '-m', 'mine'], dir);
		server.git(['push', '--quiet', 'origin', 'main'], dir);
		const error = await host()
			.ensureRepo('busy', '')
			.catch((e: unknown) => e);
		expect(error).toBeInstanceOf(ProviderError);
		expect(error).toMatchObject({ code: 'conflict' });
		expect((error as Error).message).toMatch(/already exists .* holds files nassella did not write/);

		const readme = join(work, 'readme');
		server.createRepo('alice/readme');
		server.git(['clone', '--quiet', `${server.baseUrl}/alice/readme.git`, readme]);
		writeFileSync(join(readme, 'README.md'), '# readme\n');
		server.git(['add', '.'], readme);
		server.git(['-c', 'user.name=x', '-c', 'user.email=x@x', 'commit', '--quiet', '-m', 'init'], readme);
		server.git(['push', '--quiet', 'origin', 'main'], readme);
		const repo = await host().ensureRepo('readme', '');
		const parent = await host().head(repo);
		const done = await host().commit(repo, bundle('1'), 'Set up', parent, commitSigner(key));
		expect(done.parent).toBe(parent);
	});

	it('maps a wrong token, a missing repo and a lost connection to plain errors', async () => {
		const locked = await startGitServer({ token: 'right-token' });
		try {
			locked.createRepo('alice/config');
			const make = (token: string) =>
				new SmartHttpGitHost({
					id: 'git',
					displayName: 'your git server',
					gitBaseUrl: locked.baseUrl,
					owner: 'alice',
					token,
					identity
				});
			const wrong = await make('wrong-token')
				.ensureRepo('config', '')
				.catch((e: unknown) => e);
			expect(wrong).toMatchObject({ code: 'unauthorized', provider: 'your git server' });
			expect(String((wrong as Error).message)).not.toContain('wrong-token');
			const repo = await make('right-token').ensureRepo('config', '');
			expect((await make('right-token').commit(repo, bundle('1'), 'Set up', undefined, commitSigner(key))).sha).toMatch(
				/^[0-9a-f]{40}$/
			);
		} finally {
			await locked.close();
		}
		const missing = await host()
			.ensureRepo('nothing-here', '')
			.catch((e: unknown) => e);
		expect(missing).toMatchObject({ code: 'not-found' });

		const gone = new SmartHttpGitHost({
			id: 'git',
			displayName: 'your git server',
			gitBaseUrl: locked.baseUrl,
			owner: 'alice',
			identity
		});
		await expect(gone.ensureRepo('config', '')).rejects.toMatchObject({ code: 'network' });
	});

	it('sends git requests through the relay in its URL form when one is set', async () => {
		const seen: string[] = [];
		const relayed = new SmartHttpGitHost({
			id: 'codeberg',
			displayName: 'codeberg.org',
			gitBaseUrl: 'https://codeberg.org',
			owner: 'alice',
			proxyBase: 'https://relay.example.net',
			identity,
			http: {
				request: async (req) => {
					seen.push(req.url);
					return {
						url: req.url,
						method: req.method,
						statusCode: 404,
						statusMessage: 'Not Found',
						headers: {},
						body: (async function* () {})()
					};
				}
			}
		});
		await expect(relayed.ensureRepo('config', '')).rejects.toMatchObject({ code: 'not-found' });
		expect(seen).toEqual([
			'https://relay.example.net/codeberg.org/alice/config.git/info/refs?service=git-receive-pack'
		]);
	});
});
