/**
 * The stand-in internet on the host alone (no VM): each stand-in is a real server on 127.0.0.1
 * and is used here by the real client the server would use.
 *
 * - git host: OpenSSH's sshd + git-shell; `git clone` over SSH with the deploy key, the host
 *   pinned by a known_hosts line from the generator's own knownHostsLines(); other keys, another
 *   host key, pushes and shell commands are turned away; signed, unsigned and rewinding commits.
 * - ACME: a real Caddy gets a certificate from pebble through the front (pebble validates for
 *   real, resolving the name through the stand-in DNS to 127.0.0.1 and the given ports).
 * - S3: restic init, backup, snapshots, restore; wrong keys and unsigned requests refused; a
 *   paused or stopped service, then the same storage again.
 * - ntfy sink and download mirror: curl as the server's scripts call it, and the mirror's faults.
 *
 * Needs root (sshd switches to the user git). Runs with tests/machine/vitest.config.ts:
 *   node_modules/.bin/vitest run -c tests/machine/vitest.config.ts tests/machine/net.test.ts
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureCa, type Ca } from './lib/ca.ts';
import { startAcme, type Acme } from './net/acme.ts';
import { commitBundle, startGitSsh, type GitSsh } from './net/git-ssh.ts';
import { startSink, type Sink } from './net/https-sink.ts';
import { startMirror, type Mirror } from './net/mirror.ts';
import { freePort, spawnManaged, waitUntil, type Managed } from './net/proc.ts';
import { startS3, type S3 } from './net/s3.ts';
import { dnsAnswer } from './net/servers/acme-front.ts';
import { allowedSigners, knownHostsLines } from '../../src/lib/core/server/ignition.ts';

const enabled = !!process.env.NASSELLA_MACHINE_TESTS;
const isRoot = process.getuid?.() === 0;
const ROOT = join(import.meta.dirname, '../..');
const REMOTE = 'git@github.com:person/nassella-server.git';
/** Each test and hook here: a failure shows within minutes, not at the config's 40. */
const LIMIT = 5 * 60_000;

let T = '';
let ca: Ca;

function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeout?: number } = {}) {
	const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 120_000, ...opts });
	return { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') + (r.error?.message ?? '') };
}

interface Answer {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	body: string;
	peerNames: string;
}

/** One HTTPS request to 127.0.0.1:port with the given SNI and Host, verified against `caPem`. */
function httpsGet(
	port: number,
	host: string,
	path: string,
	caPem: string | Buffer,
	timeoutMs = 10_000,
	method = 'GET'
): Promise<Answer> {
	return new Promise((resolve, reject) => {
		const req = request(
			{
				host: '127.0.0.1',
				port,
				servername: host,
				path,
				method,
				ca: caPem,
				headers: { Host: host },
				timeout: timeoutMs,
				agent: false // a fresh connection each time: a kept one may be stale
			},
			(res) => {
				const peerNames = String((res.socket as TLSSocket).getPeerCertificate().subjectaltname);
				let body = '';
				res.on('data', (c) => (body += c));
				res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, peerNames }));
			}
		);
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', reject);
		req.end();
	});
}

beforeAll(() => {
	if (!enabled) return;
	T = mkdtempSync(join(tmpdir(), 'nassella-net-'));
	ca = ensureCa();
});

afterAll(() => {
	if (T && !process.env.NASSELLA_MACHINE_KEEP) rmSync(T, { recursive: true, force: true });
});

describe.skipIf(!enabled || !isRoot)('git host: sshd + git-shell', { timeout: LIMIT }, () => {
	let git: GitSsh;
	let repo = '';
	let first = '';
	let second = '';
	const keys = () => join(T, 'keys');
	const knownHosts = () => join(T, 'keys/known_hosts');
	const bundle = () => join(T, 'bundle');

	/** nassella-sync's own GIT_SSH_COMMAND, pointed at the loopback port under the name github.com. */
	const sshCommand = (key: string, hosts = knownHosts()) =>
		`ssh -i ${key} -o IdentitiesOnly=yes -o UserKnownHostsFile=${hosts} -o StrictHostKeyChecking=yes -o BatchMode=yes -o ConnectTimeout=30` +
		` -o HostKeyAlias=github.com -o HostName=127.0.0.1 -p ${git.port}`;
	const gitEnv = (key: string, hosts?: string) => ({
		...process.env,
		GIT_CONFIG_GLOBAL: '/dev/null',
		GIT_CONFIG_NOSYSTEM: '1',
		GIT_TERMINAL_PROMPT: '0',
		GIT_ALLOW_PROTOCOL: 'ssh',
		GIT_SSH_COMMAND: sshCommand(key, hosts)
	});
	const fetchInto = (dir: string, key: string, hosts?: string) => {
		if (!run('git', ['rev-parse', '--git-dir'], { cwd: dir }).stdout)
			execFileSync('git', ['init', '-q', '--bare', dir]);
		return run(
			'git',
			[
				'--git-dir',
				dir,
				'fetch',
				'--quiet',
				'--no-tags',
				'--force',
				REMOTE,
				'+refs/heads/main:refs/remotes/origin/main'
			],
			{ env: gitEnv(key, hosts) }
		);
	};

	beforeAll(async () => {
		mkdirSync(keys(), { recursive: true });
		for (const k of ['deploy', 'other'])
			execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', k, '-f', join(keys(), k)]);
		git = await startGitSsh({ workDir: join(T, 'git') });
		git.addDeployKey(readFileSync(join(keys(), 'deploy.pub'), 'utf8'));
		writeFileSync(knownHosts(), knownHostsLines(REMOTE, [git.hostPublicKey]));
		repo = git.repoPath('person/nassella-server.git');
		mkdirSync(join(bundle(), 'bin'), { recursive: true });
		writeFileSync(join(bundle(), 'docker-compose.yml'), 'services: {}\n');
		writeFileSync(join(bundle(), 'bin/backup.sh'), '#!/bin/sh\necho backup\n', { mode: 0o755 });
		first = commitBundle(repo, bundle(), { signingKey: join(ROOT, 'tests/fixtures/keys/signer'), message: 'First' });
	}, LIMIT);

	afterAll(async () => {
		await git?.stop();
	}, LIMIT);

	it('serves a clone to the deploy key, the host pinned by knownHostsLines()', () => {
		expect(git.hostPublicKey).toMatch(/^ssh-ed25519 [A-Za-z0-9+/=]+$/);
		expect(readFileSync(knownHosts(), 'utf8')).toBe(`github.com ${git.hostPublicKey}\n`);
		const clone = join(T, 'clone');
		const r = run('git', ['clone', '--quiet', '--branch', 'main', REMOTE, clone], {
			env: gitEnv(join(keys(), 'deploy'))
		});
		expect(r.code, r.stderr).toBe(0);
		expect(run('git', ['rev-parse', 'HEAD'], { cwd: clone }).stdout.trim()).toBe(first);
		expect(readFileSync(join(clone, 'docker-compose.yml'), 'utf8')).toBe('services: {}\n');
		// Exactly the bundle's files, modes kept.
		expect(run('git', ['ls-tree', '-r', 'HEAD'], { cwd: clone }).stdout).toMatch(/^100755 blob \w+\tbin\/backup\.sh$/m);
		expect(run('git', ['ls-files'], { cwd: clone }).stdout.trim().split('\n')).toEqual([
			'bin/backup.sh',
			'docker-compose.yml'
		]);
	});

	it('the commit carries an SSH signature that verifies against allowed_signers as the server has it', () => {
		const signers = join(T, 'allowed_signers');
		writeFileSync(signers, allowedSigners([readFileSync(join(ROOT, 'tests/fixtures/keys/signer.pub'), 'utf8').trim()]));
		const show = run('git', ['--git-dir', repo, 'cat-file', 'commit', first]);
		expect(show.stdout).toContain('gpgsig -----BEGIN SSH SIGNATURE-----');
		const v = run('git', [
			'--git-dir',
			repo,
			'-c',
			'gpg.format=ssh',
			'-c',
			`gpg.ssh.allowedSignersFile=${signers}`,
			'verify-commit',
			first
		]);
		expect(v.code, v.stderr).toBe(0);
	});

	it('turns away a key it does not know, and a client that pins another host key', () => {
		const other = fetchInto(join(T, 'fetch-other'), join(keys(), 'other'));
		expect(other.code).not.toBe(0);
		expect(other.stderr).toMatch(/Permission denied \(publickey\)/);
		const wrongHosts = join(T, 'wrong_known_hosts');
		const otherPub = readFileSync(join(keys(), 'other.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
		writeFileSync(wrongHosts, knownHostsLines(REMOTE, [otherPub]));
		const pinned = fetchInto(join(T, 'fetch-pinned'), join(keys(), 'deploy'), wrongHosts);
		expect(pinned.code).not.toBe(0);
		expect(pinned.stderr).toMatch(/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/);
	});

	it('lets the deploy key fetch only: no push, no shell, nothing outside its root', () => {
		const ssh = (cmd: string) =>
			run('ssh', [...sshCommand(join(keys(), 'deploy')).split(' ').slice(1), 'git@github.com', cmd]);
		const push = ssh("git-receive-pack 'person/nassella-server.git'");
		expect(push.code).not.toBe(0);
		expect(push.stderr).toContain('read only');
		expect(ssh('id').stderr).toContain('only git fetches');
		expect(ssh("git-upload-pack '/etc'").stderr).toContain('Repository not found');
		expect(ssh("git-upload-pack '../../x.git'").stderr).toContain('Repository not found');
		expect(fetchInto(join(T, 'fetch-missing'), join(keys(), 'deploy')).code).toBe(0);
	});

	it('writes signed descendants, unsigned commits and history that rewinds', () => {
		const d = join(T, 'fetch-deploy');
		const key = join(keys(), 'deploy');
		const head = () => run('git', ['--git-dir', d, 'rev-parse', 'refs/remotes/origin/main']).stdout.trim();
		writeFileSync(join(bundle(), 'docker-compose.yml'), 'services: {}\n# second\n');
		second = commitBundle(repo, bundle(), { signingKey: join(ROOT, 'tests/fixtures/keys/signer'), message: 'Second' });
		expect(fetchInto(d, key).code).toBe(0);
		expect(head()).toBe(second);
		expect(run('git', ['--git-dir', d, 'merge-base', '--is-ancestor', first, second]).code).toBe(0);

		const unsigned = commitBundle(repo, bundle(), { message: 'Unsigned', unsigned: true });
		expect(fetchInto(d, key).code).toBe(0);
		expect(head()).toBe(unsigned);
		expect(run('git', ['--git-dir', d, 'cat-file', 'commit', unsigned]).stdout).not.toContain('gpgsig');

		// Signed, but built on the first commit instead of the tip (a force-push).
		const rewritten = commitBundle(repo, bundle(), {
			signingKey: join(ROOT, 'tests/fixtures/keys/signer'),
			message: 'Rewritten',
			parent: first
		});
		expect(fetchInto(d, key).code).toBe(0);
		expect(head()).toBe(rewritten);
		expect(run('git', ['--git-dir', d, 'merge-base', '--is-ancestor', second, rewritten]).code).toBe(1);

		// A rollback to an older commit.
		git.resetBranch(repo, first);
		expect(fetchInto(d, key).code).toBe(0);
		expect(head()).toBe(first);
	});

	it('stops serving a key once it is removed', () => {
		git.removeDeployKey(readFileSync(join(keys(), 'deploy.pub'), 'utf8'));
		const r = fetchInto(join(T, 'fetch-removed'), join(keys(), 'deploy'));
		expect(r.stderr).toMatch(/Permission denied \(publickey\)/);
		git.addDeployKey(readFileSync(join(keys(), 'deploy.pub'), 'utf8'));
		expect(fetchInto(join(T, 'fetch-removed'), join(keys(), 'deploy')).code).toBe(0);
	});

	it('stop() takes the host down; start() brings it back on the same port with the same host key', async () => {
		const port = git.port;
		await git.stop();
		const down = fetchInto(join(T, 'fetch-down'), join(keys(), 'deploy'));
		expect(down.code).not.toBe(0);
		expect(down.stderr).toMatch(/Connection refused/);
		await git.start();
		expect(git.port).toBe(port);
		const up = fetchInto(join(T, 'fetch-down'), join(keys(), 'deploy'));
		expect(up.code, up.stderr).toBe(0);
	});
});

describe.skipIf(!enabled)('ACME: pebble behind the Let’s Encrypt front', { timeout: LIMIT }, () => {
	let acme: Acme;
	let caddy: Managed | undefined;
	let httpPort = 0;
	let tlsPort = 0;

	beforeAll(async () => {
		[httpPort, tlsPort] = [await freePort(), await freePort()];
		acme = await startAcme({ workDir: join(T, 'acme'), ca, validationHttpPort: httpPort, validationTlsPort: tlsPort });
	}, LIMIT);

	afterAll(async () => {
		await caddy?.stop();
		await acme?.stop();
	}, LIMIT);

	it('answers the DNS wire format: A 127.0.0.1 for any name, nothing for other types', () => {
		const q = (type: number) =>
			Buffer.concat([
				Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]),
				Buffer.from([4, ...Buffer.from('test'), 7, ...Buffer.from('example'), 0]),
				Buffer.from([0, type, 0, 1])
			]);
		const a = dnsAnswer(q(1))!;
		expect(a.name).toBe('test.example');
		expect(a.reply.readUInt16BE(0)).toBe(0x1234);
		expect(a.reply.readUInt16BE(2) & 0x800f).toBe(0x8000); // a response, NOERROR
		expect(a.reply.readUInt16BE(6)).toBe(1);
		expect([...a.reply.subarray(-4)]).toEqual([127, 0, 0, 1]);
		expect(dnsAnswer(q(28))!.reply.readUInt16BE(6)).toBe(0);
	});

	it('serves the directory at the public URLs, pointing back through the front', async () => {
		for (const host of ['acme-v02.api.letsencrypt.org', 'acme.zerossl.com']) {
			const path = host.startsWith('acme-v02') ? '/directory' : '/v2/DV90';
			const r = await httpsGet(acme.port, host, path, readFileSync(ca.cert));
			expect(r.status).toBe(200);
			const dir = JSON.parse(r.body);
			expect(dir.newNonce).toMatch(new RegExp(`^https://${host.replace(/\./g, '\\.')}/`));
			expect(dir.newOrder).toMatch(new RegExp(`^https://${host.replace(/\./g, '\\.')}/`));
		}
	});

	it('a real Caddy gets a certificate from pebble through the front, validated for real', async () => {
		const name = 'site.nassella.example';
		writeFileSync(
			join(T, 'Caddyfile'),
			[
				'{',
				'\tadmin off',
				`\thttp_port ${httpPort}`,
				`\thttps_port ${tlsPort}`,
				'\tdefault_bind 127.0.0.1',
				`\tacme_ca https://127.0.0.1:${acme.port}/directory`,
				`\tacme_ca_root ${ca.cert}`,
				`\tstorage file_system ${join(T, 'caddy-data')}`,
				'}',
				`${name} {`,
				'\trespond "served by caddy"',
				'}',
				''
			].join('\n')
		);
		caddy = spawnManaged('caddy', ['run', '--config', join(T, 'Caddyfile'), '--adapter', 'caddyfile'], {
			env: { ...process.env, HOME: T, XDG_DATA_HOME: join(T, 'xdg'), XDG_CONFIG_HOME: join(T, 'xdg') },
			logFile: join(T, 'caddy.log')
		});
		const root = await acme.pebbleRoots();
		expect(root).toContain('BEGIN CERTIFICATE');
		const r = await waitUntil(
			'Caddy serves HTTPS with a certificate from pebble',
			() => httpsGet(tlsPort, name, '/', root, 5000),
			180_000,
			() => `${caddy!.log()}\n${acme.log()}`
		);
		expect(r.status).toBe(200);
		expect(r.body).toBe('served by caddy');
		expect(r.peerNames).toContain(`DNS:${name}`);
		// pebble resolved the name through the stand-in DNS; the ACME calls went through the front.
		await waitUntil('pebble asked the stand-in DNS', () => {
			if (!acme.events.some((e) => e.dns === name && e.type === 1)) throw new Error('no A question');
		});
		expect(acme.events.some((e) => e.path?.startsWith('/finalize-order/'))).toBe(true);
		// The test CA does not vouch for it: only pebble's root does.
		await expect(httpsGet(tlsPort, name, '/', readFileSync(ca.cert), 5000)).rejects.toThrow();
	});
});

describe.skipIf(!enabled)('S3: s3rver over TLS, used by restic', { timeout: LIMIT }, () => {
	const keys = { accessKeyId: 'AKIANASSELLATEST0001', secretAccessKey: 'nassella-test-secret-0001' };
	let s3: S3;
	const src = () => join(T, 'backup-src');
	const restic = (args: string[], env: NodeJS.ProcessEnv = {}, timeout = 180_000) =>
		run('restic', ['--cacert', ca.cert, '--no-cache', ...args], {
			timeout,
			env: {
				...process.env,
				RESTIC_REPOSITORY: `s3:https://127.0.0.1:${s3.port}/nassella-backups/machine01`,
				RESTIC_PASSWORD: 'restic-test-password',
				AWS_ACCESS_KEY_ID: keys.accessKeyId,
				AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
				...env
			}
		});

	beforeAll(async () => {
		s3 = await startS3({ workDir: join(T, 's3'), ca, ...keys, buckets: ['nassella-backups'] });
		mkdirSync(join(src(), 'app'), { recursive: true });
		writeFileSync(join(src(), 'app/data.txt'), 'precious data\n');
		writeFileSync(join(src(), 'app/blob.bin'), createHash('sha512').update('x').digest());
	}, LIMIT);

	afterAll(async () => {
		await s3?.stop();
	}, LIMIT);

	it('serves the Backblaze names from the test CA, and only signed requests', async () => {
		const caPem = readFileSync(ca.cert);
		for (const host of ['s3.eu-central-003.backblazeb2.com', 'nassella-backups.s3.eu-central-003.backblazeb2.com']) {
			const r = await httpsGet(s3.port, host, '/', caPem);
			expect(r.status).toBe(403);
			expect(r.body).toContain('<Code>AccessDenied</Code>');
		}
		const anon = await httpsGet(s3.port, 's3.eu-central-003.backblazeb2.com', '/nassella-backups/', caPem);
		expect(anon.status).toBe(403);
	});

	it('restic: init, backup, snapshots, restore', async () => {
		const init = restic(['init']);
		expect(init.code, init.stderr).toBe(0);
		const backup = restic(['backup', '--host', 'machine01', src()]);
		expect(backup.code, backup.stderr).toBe(0);
		const snaps = restic(['snapshots', '--json']);
		expect(snaps.code, snaps.stderr).toBe(0);
		expect(JSON.parse(snaps.stdout)).toHaveLength(1);
		const out = join(T, 'restored');
		const restore = restic(['restore', 'latest', '--target', out]);
		expect(restore.code, restore.stderr).toBe(0);
		expect(readFileSync(join(out, src(), 'app/data.txt'), 'utf8')).toBe('precious data\n');
		expect(readFileSync(join(out, src(), 'app/blob.bin'))).toEqual(readFileSync(join(src(), 'app/blob.bin')));
		const objects = s3.listObjects('nassella-backups').map((o) => o.key);
		expect(objects).toContain('machine01/config');
		for (const kind of ['keys', 'data', 'index', 'snapshots'])
			expect(objects.some((k) => k.startsWith(`machine01/${kind}/`))).toBe(true);
		// Requests are reported as the test's event loop runs: wait for them rather than read at once.
		await s3.waitFor((r) => r.method === 'PUT' && r.status === 200, 10_000);
	});

	it('refuses a wrong secret and an unknown key id', () => {
		const wrong = restic(['snapshots'], { AWS_SECRET_ACCESS_KEY: 'not-the-secret' }, 60_000);
		expect(wrong.code).not.toBe(0);
		expect(wrong.stderr).toMatch(/signature we calculated does not match/);
		const unknown = restic(['snapshots'], { AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN' }, 60_000);
		expect(unknown.code).not.toBe(0);
		expect(unknown.stderr).toMatch(/Access Key Id you provided does not exist/);
	});

	it('pause() leaves requests unanswered until resume(); stop() refuses them until start(), same storage', async () => {
		const caPem = readFileSync(ca.cert);
		const host = 's3.eu-central-003.backblazeb2.com';
		s3.pause();
		const paused = Date.now();
		await expect(httpsGet(s3.port, host, '/', caPem, 2000)).rejects.toThrow();
		expect(Date.now() - paused).toBeGreaterThanOrEqual(1900); // no answer, not a refusal
		s3.resume();
		expect((await httpsGet(s3.port, host, '/', caPem)).status).toBe(403);
		await s3.stop();
		await expect(httpsGet(s3.port, host, '/', caPem, 5000)).rejects.toThrow(/ECONNREFUSED/);
		await s3.start();
		const snaps = restic(['snapshots', '--json']);
		expect(snaps.code, snaps.stderr).toBe(0);
		expect(JSON.parse(snaps.stdout)).toHaveLength(1);
	});
});

describe.skipIf(!enabled)('ntfy sink and download mirror', { timeout: LIMIT }, () => {
	let sink: Sink;
	let mirror: Mirror;
	const files = () => join(T, 'mirror-files');
	const curl = (args: string[]) => run('curl', ['-sS', '--cacert', ca.cert, '--max-time', '20', ...args]);
	const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

	beforeAll(async () => {
		mkdirSync(files(), { recursive: true });
		sink = await startSink({ ca, names: ['ntfy.sh'] });
		mirror = await startMirror({ ca, dir: files(), workDir: T });
		writeFileSync(join(T, 'age.tar.gz'), Buffer.alloc(100_000, 7));
		mirror.addFile(join(T, 'age.tar.gz'), 'age-v1.2.1-linux-amd64.tar.gz');
		writeFileSync(join(files(), 'docker-compose.raw'), createHash('sha512').update('raw').digest());
	}, LIMIT);

	afterAll(async () => {
		await sink?.stop();
		await mirror?.stop();
	}, LIMIT);

	it('the sink records a notification posted as nassella-sync posts it', async () => {
		const r = curl([
			'-f',
			'--proto',
			'=https',
			'--connect-to',
			`ntfy.sh:443:127.0.0.1:${sink.port}`,
			'-H',
			'Title: Update refused on machine01',
			'-H',
			'Priority: high',
			'-H',
			'Tags: warning',
			'-d',
			'The server did not apply the new version',
			'https://ntfy.sh/nassella-machine-test'
		]);
		expect(r.code, r.stderr).toBe(0);
		const got = await sink.waitFor((q) => q.path === '/nassella-machine-test', 10_000);
		expect(got.method).toBe('POST');
		expect(got.headers.title).toBe('Update refused on machine01');
		expect(got.headers.host).toBe('ntfy.sh');
		expect(got.body).toBe('The server did not apply the new version');
		// waitFor also waits for what is still to come.
		const later = sink.waitFor((q) => q.body === 'second', 10_000);
		curl(['--connect-to', `ntfy.sh:443:127.0.0.1:${sink.port}`, '-d', 'second', 'https://ntfy.sh/x']);
		expect((await later).path).toBe('/x');
		await sink.respond({ status: 503, body: 'down' });
		const down = curl(['-f', '--connect-to', `ntfy.sh:443:127.0.0.1:${sink.port}`, '-d', 'x', 'https://ntfy.sh/x']);
		expect(down.code).toBe(22);
		await sink.waitFor((q) => q.body === 'x', 10_000);
		expect(sink.requests.length).toBe(3);
	});

	it('the mirror serves the folder under mirror.nassella.test, and its faults on demand', async () => {
		const base = `https://mirror.nassella.test`;
		const to = ['--connect-to', `mirror.nassella.test:443:127.0.0.1:${mirror.port}`];
		const get = (path: string, extra: string[] = []) => {
			const out = join(T, `got-${Math.random().toString(36).slice(2)}`);
			const r = curl([...to, '-f', '-o', out, ...extra, `${base}${path}`]);
			let bytes = Buffer.alloc(0);
			try {
				bytes = readFileSync(out);
			} catch {
				// nothing written
			}
			return { ...r, bytes };
		};
		const age = '/age-v1.2.1-linux-amd64.tar.gz';
		const good = get(age);
		expect(good.code, good.stderr).toBe(0);
		expect(sha(good.bytes)).toBe(sha(readFileSync(join(T, 'age.tar.gz'))));
		expect(sha(get('/docker-compose.raw').bytes)).toBe(sha(readFileSync(join(files(), 'docker-compose.raw'))));
		expect(get('/missing').code).toBe(22);
		expect(get('/../mirror-tls/mirror.key', ['--path-as-is']).code).toBe(22);

		await mirror.fault(age, 'wrong-bytes');
		const wrong = get(age);
		expect(wrong.code).toBe(0);
		expect(wrong.bytes.length).toBe(100_000);
		expect(sha(wrong.bytes)).not.toBe(sha(good.bytes));
		await mirror.fault(age, 'not-found');
		expect(get(age).code).toBe(22);
		await mirror.fault('*', 'server-error');
		expect(get('/docker-compose.raw').code).toBe(22);
		await mirror.fault('*', null);
		await mirror.fault(age, 'truncated');
		expect(get(age).code).toBe(18); // partial file
		await mirror.fault(age, 'hang');
		expect(get(age, ['--max-time', '2']).code).toBe(28);
		await mirror.fault(age, null);
		expect(sha(get(age).bytes)).toBe(sha(good.bytes));

		const ofAge = () => mirror.requests.filter((q) => q.path === age);
		await waitUntil('the mirror reported every request', () => {
			if (ofAge().length < 6) throw new Error(`${ofAge().length} so far`);
		});
		const faults = ofAge().map((q) => [q.status, q.fault]);
		expect(faults).toEqual([
			[200, null],
			[200, 'wrong-bytes'],
			[404, 'not-found'],
			[200, 'truncated'],
			[0, 'hang'],
			[200, null]
		]);
	});
});
