/**
 * The stand-in container images, without the VM: they build (or come from the cache), a local
 * docker-registry serves them over TLS under their repository paths, and each image's layers,
 * stacked as Docker stacks them, run its program the way its image config says (entrypoint,
 * command, environment, user, working directory), in a private network and PID namespace.
 *
 * Runs with tests/machine/vitest.config.ts, as root (skipped by the main test run).
 */
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImages, readImages, type BuiltImages, type ImageEntry } from './images/build.ts';
import { httpsRequest, MANIFEST_ACCEPT, pushImages, startRegistry, type Registry } from './images/registry.ts';
import { ensureCa, issueCert, type Ca } from './lib/ca.ts';
import { caddyCheckEnv } from '../../src/cli/validate.ts';

const enabled = !!process.env.NASSELLA_MACHINE_TESTS;
const ROOT = new URL('../..', import.meta.url).pathname;
const GOLDEN_CADDYFILES = ['one-app', 'five-apps', 'all-apps'];
const REGISTRY_NAMES = ['registry-1.docker.io', 'docker.io', 'index.docker.io', 'ghcr.io', 'quay.io', 'lscr.io'];

interface OciConfig {
	config: {
		Env?: string[];
		Entrypoint?: string[];
		Cmd?: string[];
		User?: string;
		WorkingDir?: string;
		ExposedPorts?: Record<string, object>;
		Volumes?: Record<string, object>;
		Labels?: Record<string, string>;
	};
	rootfs: { diff_ids: string[] };
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

describe.skipIf(!enabled)('the stand-in container images', () => {
	let built: BuiltImages;
	let entries: ImageEntry[];
	let ca: Ca;
	let registry: Registry;
	let work: string;
	const roots = new Map<string, string>();
	const mounted: string[] = [];
	const timings: Record<string, number> = {};

	const entry = (ref: string) => entries.find((e) => e.ref === ref)!;
	const blob = (digest: string) => readFileSync(join(built.dir, 'blobs', 'sha256', digest.slice(7)));
	const configOf = (ref: string) => JSON.parse(blob(entry(ref).config).toString('utf8')) as OciConfig;
	const get = (path: string, headers: Record<string, string> = {}, method = 'GET') =>
		httpsRequest(`${registry.url}${path}`, { ca: readFileSync(ca.cert), method, headers });

	/** Root of an image: its layers as read-only overlay lowers, a scratch upper. */
	function rootOf(ref: string): string {
		const existing = roots.get(ref);
		if (existing) return existing;
		const e = entry(ref);
		const layerDirs = e.layers.map((d) => {
			const dir = join(work, 'layers', d.slice(7, 23));
			if (!roots.has(dir)) {
				mkdirSync(dir, { recursive: true });
				execFileSync('tar', [
					'-xzf',
					join(built.dir, 'blobs', 'sha256', d.slice(7)),
					'-C',
					dir,
					'--numeric-owner',
					'-p'
				]);
				roots.set(dir, dir);
			}
			return dir;
		});
		const name = e.repository.replace(/\//g, '_');
		const [upper, wk, merged] = ['upper', 'ovl-work', 'root'].map((k) => join(work, k, name));
		for (const d of [upper!, wk!, merged!]) mkdirSync(d, { recursive: true });
		execFileSync('mount', [
			'-t',
			'overlay',
			'overlay',
			'-o',
			`lowerdir=${[...layerDirs].reverse().join(':')},upperdir=${upper},workdir=${wk}`,
			merged!
		]);
		mounted.push(merged!);
		roots.set(ref, merged!);
		return merged!;
	}

	/**
	 * Shell lines that start a "container" of the image in the current namespaces: its config's
	 * Entrypoint + Cmd (or `args`; or `exec` alone), Env (+ `env`), User and WorkingDir, in the
	 * background (output to `log`) or not.
	 */
	function container(
		ref: string,
		opts: { env?: Record<string, string>; args?: string[]; exec?: string[]; log?: string; user?: string }
	) {
		const root = rootOf(ref);
		const c = configOf(ref).config;
		// `exec` is what `docker compose exec` runs: no entrypoint
		const argv = opts.exec ?? [...(c.Entrypoint ?? []), ...(opts.args ?? c.Cmd ?? [])];
		const env = [...(c.Env ?? []), ...Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`)];
		const user = opts.user ?? c.User ?? '0';
		const spec = user.includes(':') ? user : `${user}:${user}`;
		const mounts = `mountpoint -q ${q(root)}/proc || mount -t proc proc ${q(root)}/proc; mountpoint -q ${q(root)}/dev || mount --rbind /dev ${q(root)}/dev`;
		const cmd =
			`chroot --userspec=${spec} --groups= ${q(root)} /usr/bin/env -i HOME=/root ${env.map(q).join(' ')} ` +
			`/bin/sh -c 'cd "$0" && exec "$@"' ${q(c.WorkingDir || '/')} ${argv.map(q).join(' ')}`;
		return { mounts, cmd: opts.log ? `${cmd} >${q(opts.log)} 2>&1 &` : cmd, root };
	}

	/** Runs a bash script in fresh mount, network (loopback only) and PID namespaces. */
	function isolated(script: string, timeoutSec = 300): { status: number | null; out: string } {
		const r = spawnSync(
			'unshare',
			[
				'--mount',
				'--net',
				'--pid',
				'--fork',
				'--kill-child',
				'--propagation',
				'private',
				'bash',
				'-c',
				`set -euo pipefail\nip link set lo up\n${script}`
			],
			{ encoding: 'utf8', timeout: timeoutSec * 1000, maxBuffer: 64 * 1024 * 1024 }
		);
		return { status: r.status, out: `${r.stdout}${r.stderr}` };
	}

	/** Bounded wait for an HTTP answer from inside the namespace (host curl). */
	const waitHttp = (url: string, seconds: number, logs: string[]) =>
		`ok=; for i in $(seq 1 ${seconds}); do if curl -fsS -m 5 ${q(url)} >/dev/null 2>&1; then ok=1; break; fi; sleep 1; done; ` +
		`if [ -z "$ok" ]; then echo "no answer from ${url}"; ${logs.map((l) => `cat ${q(l)} || true;`).join(' ')} exit 1; fi`;

	beforeAll(async () => {
		let t = Date.now();
		built = await ensureImages();
		timings.ensureImagesSeconds = (Date.now() - t) / 1000;
		entries = readImages(built.dir);
		ca = ensureCa();
		work = mkdtempSync(join(tmpdir(), 'nassella-images-'));
		const cert = issueCert(ca, join(work, 'certs'), 'registry', [...REGISTRY_NAMES, 'localhost'], ['127.0.0.1']);
		registry = await startRegistry({ workDir: join(work, 'registry'), certFile: cert.cert, keyFile: cert.key });
		t = Date.now();
		await pushImages(registry.url, built.dir, { caFile: ca.cert });
		timings.pushSeconds = (Date.now() - t) / 1000;
	});

	afterAll(async () => {
		for (const m of mounted.reverse()) spawnSync('umount', ['-l', m]);
		await registry?.stop();
		if (work && !process.env.NASSELLA_KEEP_WORK) rmSync(work, { recursive: true, force: true });
		else if (work) console.log(`kept ${work}`);
		console.log(`stand-in images: ${JSON.stringify(timings)}`);
	});

	it('has every image the bundle names, all sharing one base layer and labelled stand-in', () => {
		expect(entries.map((e) => e.ref).sort()).toEqual(
			[
				'docker.io/actualbudget/actual-server:25.12.0',
				'docker.io/binwiederhier/ntfy:v2.16.0',
				'docker.io/library/caddy:2.10',
				'docker.io/library/postgres:17.6-alpine',
				'docker.io/miniflux/miniflux:2.2.16',
				'docker.io/nassella/stand-in-app:1',
				'docker.io/neosmemo/memos:0.25.1',
				'docker.io/restic/restic:0.18.0',
				'docker.io/vikunja/vikunja:0.24.6'
			].sort()
		);
		expect(new Set(entries.map((e) => e.layers[0])).size).toBe(1);
		expect(built.images.map((i) => i.ref)).toEqual(entries.map((e) => e.ref));
		for (const e of entries) {
			const labels = configOf(e.ref).config.Labels ?? {};
			expect(labels['org.nassella.stand-in']).toBe('true');
			expect(labels['org.opencontainers.image.description']).toMatch(/stand-in .*Debian/i);
		}
	});

	it('serves each manifest under its repository path, with the right digest and every blob', async () => {
		for (const e of entries) {
			const r = await get(`/v2/${e.repository}/manifests/${e.tag}`, { Accept: MANIFEST_ACCEPT });
			expect(r.status, e.ref).toBe(200);
			expect(r.headers['content-type']).toBe(e.mediaType);
			expect(r.headers['docker-content-digest']).toBe(e.manifestDigest);
			expect(`sha256:${createHash('sha256').update(r.body).digest('hex')}`).toBe(e.manifestDigest);
			const manifest = JSON.parse(r.body.toString('utf8')) as {
				config: { digest: string; size: number };
				layers: { digest: string; size: number }[];
			};
			expect(manifest.layers.map((l) => l.digest)).toEqual(e.layers);
			for (const b of [manifest.config, ...manifest.layers]) {
				const h = await get(`/v2/${e.repository}/blobs/${b.digest}`, {}, 'HEAD');
				expect(h.status, `${e.ref} ${b.digest}`).toBe(200);
				expect(Number(h.headers['content-length'])).toBe(b.size);
			}
			const cfg = await get(`/v2/${e.repository}/blobs/${manifest.config.digest}`);
			const config = JSON.parse(cfg.body.toString('utf8')) as OciConfig;
			expect(config.rootfs.diff_ids).toHaveLength(2);
		}
		// the path the guest's docker uses for an official image, through the name in the cert
		const r = await httpsRequest(`${registry.url}/v2/library/caddy/manifests/2.10`, {
			ca: readFileSync(ca.cert),
			serverName: 'registry-1.docker.io',
			headers: { Accept: MANIFEST_ACCEPT }
		});
		expect(r.headers['docker-content-digest']).toBe(entry('docker.io/library/caddy:2.10').manifestDigest);
	});

	it('makes one image answer 404 on request, the others still answer, and a push brings it back', async () => {
		const path = '/v2/binwiederhier/ntfy/manifests/v2.16.0';
		await registry.deleteTag('binwiederhier/ntfy', 'v2.16.0');
		expect((await get(path, { Accept: MANIFEST_ACCEPT })).status).toBe(404);
		expect((await get('/v2/library/caddy/manifests/2.10', { Accept: MANIFEST_ACCEPT })).status).toBe(200);
		await pushImages(registry.url, built.dir, { caFile: ca.cert, only: ['binwiederhier/ntfy'] });
		expect((await get(path, { Accept: MANIFEST_ACCEPT })).status).toBe(200);
	});

	it('keeps its storage and port across stop and start', async () => {
		await registry.stop();
		await expect(get('/v2/')).rejects.toThrow();
		await registry.start();
		expect((await get('/v2/restic/restic/manifests/0.18.0', { Accept: MANIFEST_ACCEPT })).status).toBe(200);
	});

	it('caddy: runs its Caddyfile, answers the health check and the probe with busybox wget, trusts the test CA', () => {
		const ref = 'docker.io/library/caddy:2.10';
		const c = configOf(ref).config;
		expect(c.Cmd).toEqual(['caddy', 'run', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile']);
		expect(c.Env).toEqual(expect.arrayContaining(['XDG_CONFIG_HOME=/config', 'XDG_DATA_HOME=/data']));
		expect(Object.keys(c.ExposedPorts ?? {})).toEqual(expect.arrayContaining(['80/tcp', '443/tcp']));
		const ctr = container(ref, { log: '/tmp/caddy.log' });
		const sh = (line: string) => container(ref, { exec: ['sh', '-c', line] }).cmd;
		const caPem = readFileSync(ca.cert, 'utf8').trim();
		const r = isolated(
			[
				ctr.mounts,
				`printf '%s\\n' ':80 {' '  respond "stand-in caddy" 200' '}' >${q(ctr.root)}/etc/caddy/Caddyfile`,
				sh('caddy version'),
				ctr.cmd,
				waitHttp('http://127.0.0.1:80/', 60, ['/tmp/caddy.log']),
				// the Caddy service's health check and the sync script's probe, inside the container
				sh('wget -q -O /dev/null http://127.0.0.1:2019/config/ && echo HEALTH-OK'),
				sh('wget -S -q -T 5 -O /dev/null http://127.0.0.1:80/some/path 2>&1'),
				sh('wget --help 2>&1 | head -n 1'),
				sh(`grep -c -F ${q(caPem.split('\n')[1]!)} /etc/ssl/certs/ca-certificates.crt`),
				// Debian's Caddy 2.6 reads the Caddyfiles the project renders (the golden ones)
				...GOLDEN_CADDYFILES.map(
					(g) =>
						`cp ${q(join(ROOT, 'tests/golden', g, 'bundle/Caddyfile'))} ${q(ctr.root)}/tmp/Caddyfile.${g} && ` +
						sh(
							// Setup gates read their secrets from the bundle's encrypted caddy.env: stand-in values here.
							`env ${Object.entries(
								caddyCheckEnv(readFileSync(join(ROOT, 'tests/golden', g, 'bundle/Caddyfile'), 'utf8'))
							)
								.map(([k, v]) => q(`${k}=${v}`))
								.join(
									' '
								)} caddy adapt --config /tmp/Caddyfile.${g} --adapter caddyfile >/dev/null && echo ADAPTED ${g}`
						)
				)
			].join('\n')
		);
		expect(r.out).toMatch(/^v?2\.6\.\d/m);
		expect(r.out).toContain('HEALTH-OK');
		expect(r.out).toMatch(/^\s*HTTP\/1\.1 200 OK/m);
		expect(r.out).toMatch(/BusyBox v1\.37/);
		for (const g of GOLDEN_CADDYFILES) expect(r.out).toContain(`ADAPTED ${g}`);
		expect(r.status, r.out).toBe(0);
	});

	it('postgres: the entrypoint initialises an empty PGDATA as uid 70, creates the user and database, and the client tools work', () => {
		const ref = 'docker.io/library/postgres:17.6-alpine';
		const c = configOf(ref).config;
		expect(c.Env).toEqual(expect.arrayContaining(['PGDATA=/var/lib/postgresql/data']));
		expect(Object.keys(c.Volumes ?? {})).toEqual(['/var/lib/postgresql/data']);
		const env = { POSTGRES_USER: 'miniflux', POSTGRES_PASSWORD: 's3cret-pw', POSTGRES_DB: 'miniflux' };
		const ctr = container(ref, { env, log: '/tmp/pg.log' });
		const sh = (line: string) => container(ref, { exec: ['sh', '-c', line] }).cmd;
		const t = Date.now();
		const r = isolated(
			[
				`rm -rf ${q(ctr.root)}/var/lib/postgresql/data/* ${q(ctr.root)}/run/postgresql/.s.PGSQL*`,
				ctr.mounts,
				sh('postgres --version; pg_dump --version; psql --version'),
				ctr.cmd,
				// the compose health check (socket), then the network (the init's temporary server has none)
				`ok=; for i in $(seq 1 120); do if ${sh('pg_isready -U miniflux -d miniflux')}; then ok=1; break; fi; sleep 1; done; [ -n "$ok" ] || { cat /tmp/pg.log; exit 1; }`,
				`ok=; for i in $(seq 1 120); do if ${sh('pg_isready -q -h 127.0.0.1')}; then ok=1; break; fi; sleep 1; done; [ -n "$ok" ] || { cat /tmp/pg.log; exit 1; }`,
				sh('stat -c "%u %a" /var/lib/postgresql/data; id -u postgres'),
				// connections from elsewhere need the password (scram), as from another container: from
				// 127.0.0.2 (upstream's initdb trusts 127.0.0.1 and the socket, as here); as its own
				// address, 127.0.0.2 is also the source address
				'ip addr add 127.0.0.2/32 dev lo',
				sh(
					'PGPASSWORD=s3cret-pw psql -h 127.0.0.2 -U miniflux -d miniflux -Atc "select current_user, current_database()"'
				),
				sh('PGPASSWORD=wrong psql -h 127.0.0.2 -U miniflux -d miniflux -Atc "select 1" 2>&1 || echo REFUSED'),
				sh('tail -n 1 "$PGDATA/pg_hba.conf"'),
				sh(
					'psql -U miniflux -d miniflux -v ON_ERROR_STOP=1 -c "create table t (x int); insert into t values (42)" >/dev/null'
				),
				sh('pg_dump -U miniflux -d miniflux --clean --if-exists --no-owner | grep -c "CREATE TABLE public.t"'),
				'cat /tmp/pg.log'
			].join('\n'),
			600
		);
		timings.postgresInitSeconds = (Date.now() - t) / 1000;
		expect(r.out).toMatch(/postgres \(PostgreSQL\) 17\./);
		expect(r.out).toMatch(/^70 700$/m);
		expect(r.out).toMatch(/^70$/m);
		expect(r.out).toMatch(/^miniflux\|miniflux$/m);
		expect(r.out).toMatch(/password authentication failed[\s\S]*REFUSED/);
		expect(r.out).toMatch(/^host all all all scram-sha-256$/m);
		expect(r.out).toMatch(/^host all all all scram-sha-256$/m);
		expect(r.out).toContain('PostgreSQL init process complete; ready for start up.');
		expect(r.status, r.out).toBe(0);
	});

	it('miniflux: runs as 65534 against postgres from its environment and answers /healthcheck', () => {
		const pg = container('docker.io/library/postgres:17.6-alpine', {
			env: { POSTGRES_USER: 'miniflux', POSTGRES_PASSWORD: 'pw', POSTGRES_DB: 'miniflux' },
			log: '/tmp/pg.log'
		});
		const ref = 'docker.io/miniflux/miniflux:2.2.16';
		const c = configOf(ref).config;
		expect(c.User).toBe('65534');
		expect(c.Env).toContain('LISTEN_ADDR=0.0.0.0:8080');
		const mf = container(ref, {
			env: {
				DATABASE_URL: 'postgres://miniflux:pw@127.0.0.1/miniflux?sslmode=disable',
				RUN_MIGRATIONS: '1',
				CREATE_ADMIN: '1',
				ADMIN_USERNAME: 'admin',
				ADMIN_PASSWORD: 'admin-password-1',
				BASE_URL: 'https://news.example.test/'
			},
			log: '/tmp/miniflux.log'
		});
		const version = container(ref, { exec: ['/usr/bin/miniflux', '-version'] }).cmd;
		const r = isolated(
			[
				// a fresh data directory for this run
				`rm -rf ${q(pg.root)}/var/lib/postgresql/data/* ${q(pg.root)}/run/postgresql/.s.PGSQL*`,
				pg.mounts,
				mf.mounts,
				version,
				pg.cmd,
				`for i in $(seq 1 120); do if chroot ${q(pg.root)} pg_isready -q -h 127.0.0.1; then break; fi; sleep 1; done`,
				mf.cmd,
				waitHttp('http://127.0.0.1:8080/healthcheck', 180, ['/tmp/miniflux.log', '/tmp/pg.log']),
				'curl -fsS http://127.0.0.1:8080/healthcheck; echo',
				// the uid it runs as, from the proc of this PID namespace
				`for p in ${q(mf.root)}/proc/[0-9]*; do if [ "$(cat "$p/comm" 2>/dev/null)" = miniflux ]; then echo "uid $(stat -c %u "$p")"; fi; done`
			].join('\n'),
			600
		);
		expect(r.out).toMatch(/^2\.2\.\d+/m);
		expect(r.out).toMatch(/^OK$/m);
		expect(r.out).toMatch(/^uid 65534$/m);
		expect(r.status, r.out).toBe(0);
	});

	it('ntfy: `serve` with NTFY_* variables answers /v1/health on port 80', () => {
		const ref = 'docker.io/binwiederhier/ntfy:v2.16.0';
		expect(configOf(ref).config.Entrypoint).toEqual(['ntfy']);
		const ctr = container(ref, {
			args: ['serve'],
			env: {
				NTFY_BASE_URL: 'https://ntfy.example.test',
				NTFY_BEHIND_PROXY: 'true',
				NTFY_CACHE_FILE: '/var/cache/ntfy/cache.db',
				NTFY_AUTH_FILE: '/var/lib/ntfy/user.db',
				NTFY_AUTH_DEFAULT_ACCESS: 'deny-all',
				NTFY_ENABLE_LOGIN: 'true',
				NTFY_ENABLE_SIGNUP: 'true',
				NTFY_ENABLE_RESERVATIONS: 'true',
				TZ: 'Europe/Berlin'
			},
			log: '/tmp/ntfy.log'
		});
		const r = isolated(
			[
				ctr.mounts,
				ctr.cmd,
				waitHttp('http://127.0.0.1:80/v1/health', 60, ['/tmp/ntfy.log']),
				'curl -fsS http://127.0.0.1:80/v1/health; echo',
				`ls ${q(ctr.root)}/var/lib/ntfy`
			].join('\n')
		);
		expect(r.out).toMatch(/"healthy":\s*true/);
		expect(r.out).toContain('user.db');
		expect(r.status, r.out).toBe(0);
	});

	it('restic: the entrypoint is restic, and it makes and reads a repository', () => {
		const ref = 'docker.io/restic/restic:0.18.0';
		expect(configOf(ref).config.Entrypoint).toEqual(['/usr/bin/restic']);
		const env = { RESTIC_PASSWORD: 'pw', RESTIC_REPOSITORY: '/tmp/repo' };
		const rs = (args: string[]) => container(ref, { args, env }).cmd;
		const r = isolated(
			[
				container(ref, { args: [] }).mounts,
				rs(['version']),
				rs(['init']),
				rs(['backup', '--host', 'stand-in', '/etc/nassella-stand-in']),
				rs(['snapshots', '--json'])
			].join('\n')
		);
		expect(r.out).toMatch(/restic 0\.18\.\d+/);
		expect(r.out).toMatch(/"hostname":"stand-in"/);
		expect(r.status, r.out).toBe(0);
	});

	it('actual-server: node build/app.js under tini keeps its files in /data and answers /health on 5006', () => {
		const ref = 'docker.io/actualbudget/actual-server:25.12.0';
		const c = configOf(ref).config;
		expect(c.Entrypoint).toEqual(['/usr/bin/tini', '-g', '--']);
		expect(Object.keys(c.ExposedPorts ?? {})).toEqual(['5006/tcp']);
		const ctr = container(ref, { log: '/tmp/actual.log' });
		const r = isolated(
			[
				ctr.mounts,
				container(ref, { exec: ['node', '-e', 'console.log("actual", require("/app/package.json").version)'] }).cmd,
				ctr.cmd,
				waitHttp('http://127.0.0.1:5006/health', 120, ['/tmp/actual.log']),
				'curl -fsS http://127.0.0.1:5006/health; echo',
				`ls ${q(ctr.root)}/data`
			].join('\n')
		);
		expect(r.out).toMatch(/^actual 25\.\d+\.\d+$/m);
		expect(r.out).toMatch(/"status":\s*"UP"/);
		expect(r.out).toMatch(/server-files/);
		expect(r.status, r.out).toBe(0);
	});

	it('stand-in-app: answers 200 on any path on $PORT', () => {
		const ref = 'docker.io/nassella/stand-in-app:1';
		const ctr = container(ref, { env: { PORT: '8081' }, log: '/tmp/app.log' });
		const r = isolated(
			[
				ctr.mounts,
				ctr.cmd,
				waitHttp('http://127.0.0.1:8081/', 60, ['/tmp/app.log']),
				'curl -sS -o /dev/null -w "%{http_code}\\n" http://127.0.0.1:8081/any/path?x=1'
			].join('\n')
		);
		expect(r.out).toMatch(/^200$/m);
		expect(r.status, r.out).toBe(0);
	});

	it('the Vikunja stand-in: runs as uid 1000, answers only once it can write its files folder, and redirects what is not for its https address', () => {
		const ref = 'docker.io/vikunja/vikunja:0.24.6';
		expect(configOf(ref).config.User).toBe('1000:1000');
		const ctr = container(ref, {
			env: { VIKUNJA_SERVICE_PUBLICURL: 'https://tasks.example.org/' },
			log: '/tmp/vikunja.log'
		});
		const files = `${q(ctr.root)}/app/vikunja/files`;
		const code = (headers: string) =>
			`curl -sS -o /dev/null -w '%{http_code}' ${headers} http://127.0.0.1:3456/api/v1/info`;
		const asCaddy = `-H 'Host: tasks.example.org' -H 'X-Forwarded-Proto: https'`;
		const r = isolated(
			[
				ctr.mounts,
				`rm -rf ${files}; mkdir -m 0755 ${files}`,
				ctr.cmd,
				`for i in $(seq 1 60); do curl -s -o /dev/null http://127.0.0.1:3456/ && break; sleep 1; done`,
				`echo "plain $(${code('')})"`,
				`echo "root-owned $(${code(asCaddy)})"`,
				`chown 1000:1000 ${files}`,
				`echo "owned $(${code(asCaddy)})"`,
				`stat -c 'written by %u' ${files}/.stand-in-write-check`
			].join('\n')
		);
		expect(r.out).toMatch(/^plain 301$/m);
		expect(r.out).toMatch(/^root-owned 500$/m);
		expect(r.out).toMatch(/^owned 200$/m);
		expect(r.out).toMatch(/^written by 1000$/m);
		expect(r.status, r.out).toBe(0);
	});

	it('the failing stand-in (under Memos’ name) exits at once with status 1', () => {
		const ctr = container('docker.io/neosmemo/memos:0.25.1', {});
		const r = isolated([ctr.mounts, `${ctr.cmd} && echo started || echo "exited $?"`].join('\n'));
		expect(r.out).toMatch(/^exited 1$/m);
		expect(r.out).toMatch(/stands for an app that does not start/);
	});
});
