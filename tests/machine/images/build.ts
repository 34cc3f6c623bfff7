/**
 * Stand-in container images for the booted stand-in server. There is no Docker engine on the
 * host and no internet, so the images the bundle names are built here from Debian trixie
 * packages (and npm for Actual), as OCI images, and pushed into a local docker-registry under
 * their real references (registry.ts).
 *
 * One shared root file system (rootfs.sh, mmdebstrap --variant=minbase) holds every program;
 * it becomes ONE layer that all images share, so the VM downloads it once. Each image adds a
 * small layer of its own (entrypoint, config files, users, directories) and an image config that
 * reproduces the upstream image's environment, ports, volumes, user and entrypoint. Every image
 * is labelled `org.nassella.stand-in=true`.
 *
 * Output (cache rules of PLAN.md): `<cache>/images-<hash>/`, an OCI image layout
 * (`oci-layout`, `index.json` with `org.opencontainers.image.ref.name` annotations,
 * `blobs/sha256/…`) plus `images.json` (what registry.ts pushes) and `build.log`. The hash covers
 * every file of this folder and the test CA, which the images trust.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
	chmodSync,
	chownSync,
	copyFileSync,
	createWriteStream,
	existsSync,
	lstatSync,
	mkdirSync,
	openSync,
	closeSync,
	readFileSync,
	readdirSync,
	renameSync,
	rmSync,
	statSync,
	symlinkSync,
	writeFileSync
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import { cacheRoot, ensureCa } from '../lib/ca.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
/** 2025-01-01T00:00:00Z: the time of every file in every layer, and the images' `created`. */
const EPOCH = 1735689600;
const CREATED = new Date(EPOCH * 1000).toISOString();
const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export const MEDIA_TYPES = {
	manifest: 'application/vnd.oci.image.manifest.v1+json',
	config: 'application/vnd.oci.image.config.v1+json',
	layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
	index: 'application/vnd.oci.image.index.v1+json'
} as const;

export interface StandInImage {
	/** The full reference the bundle pulls, e.g. `docker.io/library/caddy:2.10`. */
	ref: string;
	/** `sha256:…` of the image manifest. */
	manifestDigest: string;
}

export interface BuiltImages {
	/** The OCI image layout with `images.json`. */
	dir: string;
	images: StandInImage[];
}

/** One entry of `images.json`. */
export interface ImageEntry extends StandInImage {
	/** Repository path without the registry host, e.g. `library/caddy`. */
	repository: string;
	tag: string;
	manifestSize: number;
	mediaType: string;
	/** `sha256:…` of the config and of each layer (the first one is the shared layer). */
	config: string;
	layers: string[];
	/** Command lines that show the image's main program works (used by images.test.ts). */
	versionCommand: string[];
}

interface Layer {
	digest: string;
	diffId: string;
	size: number;
	uncompressedSize: number;
}

interface ImageConfig {
	Env: string[];
	Entrypoint?: string[];
	Cmd?: string[];
	User?: string;
	ExposedPorts?: Record<string, object>;
	Volumes?: Record<string, object>;
	WorkingDir?: string;
	StopSignal?: string;
}

interface ImageDef {
	ref: string;
	title: string;
	/** What it reproduces, for the description label. */
	standsFor: string;
	/** Debian packages of the main program, for the labels. */
	packages: string[];
	config: ImageConfig;
	versionCommand: string[];
	/** Fills the image's own layer; `root` is the shared root file system (read only). */
	layer: (stage: Stage) => void;
}

/** The image's own layer, staged in a directory; parent directories copy the shared root's. */
class Stage {
	readonly dir: string;
	readonly root: string;

	constructor(dir: string, root: string) {
		this.dir = dir;
		this.root = root;
		mkdirSync(dir, { recursive: true });
		chmodSync(dir, 0o755);
	}

	private parents(path: string): void {
		const parts = path.split('/').filter(Boolean).slice(0, -1);
		let rel = '';
		for (const part of parts) {
			rel = `${rel}/${part}`;
			this.dir_(rel);
		}
	}

	private dir_(rel: string): void {
		const at = join(this.dir, rel);
		if (existsSync(at)) return;
		mkdirSync(at);
		const base = join(this.root, rel);
		let st: { mode: number; uid: number; gid: number } = { mode: 0o755, uid: 0, gid: 0 };
		try {
			const s = lstatSync(base);
			if (s.isDirectory()) st = s;
			else if (s.isSymbolicLink()) throw new Error(`${rel} is a symbolic link in the shared root; stage its target`);
		} catch (e) {
			if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
		}
		chownSync(at, st.uid, st.gid);
		chmodSync(at, st.mode & 0o7777);
	}

	mkdir(path: string, mode = 0o755, uid = 0, gid = 0): void {
		this.parents(path);
		const at = join(this.dir, path);
		mkdirSync(at, { recursive: true });
		chownSync(at, uid, gid);
		chmodSync(at, mode);
	}

	file(path: string, content: string | Buffer, mode = 0o644, uid = 0, gid = 0): void {
		this.parents(path);
		const at = join(this.dir, path);
		writeFileSync(at, content);
		chownSync(at, uid, gid);
		chmodSync(at, mode);
	}

	symlink(path: string, target: string): void {
		this.parents(path);
		symlinkSync(target, join(this.dir, path));
	}

	/** Copies a tree from the host (numeric owners set to uid:gid). */
	tree(path: string, from: string, uid = 0, gid = 0): void {
		this.parents(path);
		run('cp', ['-a', '--no-preserve=ownership', from, join(this.dir, path)]);
		run('chown', ['-R', '-h', `${uid}:${gid}`, join(this.dir, path)]);
	}

	read(path: string): string {
		return readFileSync(join(this.root, path), 'utf8');
	}

	/**
	 * Adds or changes a user (and its group of the same name) in /etc/passwd, /etc/group and
	 * /etc/shadow, as this image's own copies of those files.
	 */
	user(name: string, uid: number, gid: number, home: string, shell = '/usr/sbin/nologin'): void {
		const edit = (file: string, line: string) => {
			const path = existsSync(join(this.dir, file)) ? join(this.dir, file) : join(this.root, file);
			const st = statSync(join(this.root, file));
			const lines = readFileSync(path, 'utf8').split('\n').filter(Boolean);
			const id = line.split(':')[2];
			for (const l of lines) {
				const f = l.split(':');
				if (f[0] !== name && file !== '/etc/shadow' && f[2] === id)
					throw new Error(`${file}: id ${id} is already taken by ${f[0]}`);
			}
			const kept = lines.filter((l) => l.split(':')[0] !== name);
			this.file(file, [...kept, line].join('\n') + '\n', st.mode & 0o7777, st.uid, st.gid);
		};
		edit('/etc/passwd', `${name}:x:${uid}:${gid}:${name}:${home}:${shell}`);
		edit('/etc/group', `${name}:x:${gid}:`);
		edit('/etc/shadow', `${name}:!:20089::::::`);
	}
}

function run(cmd: string, args: string[], opts: { log?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): void {
	const fd = opts.log ? openSync(opts.log, 'a') : undefined;
	try {
		const r = spawnSyncChecked(cmd, args, fd, opts.cwd, opts.env);
		if (r !== 0) {
			const tail = opts.log ? readFileSync(opts.log, 'utf8').split('\n').slice(-40).join('\n') : '';
			throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r})${tail ? `:\n${tail}` : ''}`);
		}
	} finally {
		if (fd !== undefined) closeSync(fd);
	}
}

function spawnSyncChecked(
	cmd: string,
	args: string[],
	fd: number | undefined,
	cwd?: string,
	env?: NodeJS.ProcessEnv
): number {
	const r = spawnSync(cmd, args, {
		stdio: ['ignore', fd ?? 'pipe', fd ?? 'pipe'],
		cwd,
		env: env ?? process.env,
		maxBuffer: 64 * 1024 * 1024
	});
	if (r.error) throw r.error;
	if (fd === undefined && r.status !== 0) process.stderr.write(r.stderr ?? '');
	return r.status ?? 1;
}

/** Runs a long command asynchronously (the event loop stays free), its output to the log. */
function runAsync(cmd: string, args: string[], log: string, env?: NodeJS.ProcessEnv): Promise<void> {
	return new Promise((resolve, reject) => {
		const fd = openSync(log, 'a');
		const child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: env ?? process.env });
		child.on('error', (e) => {
			closeSync(fd);
			reject(e);
		});
		child.on('close', (code) => {
			closeSync(fd);
			if (code === 0) resolve();
			else {
				const tail = readFileSync(log, 'utf8').split('\n').slice(-60).join('\n');
				reject(new Error(`${cmd} ${args.join(' ')} failed (exit ${code}); end of ${log}:\n${tail}`));
			}
		});
	});
}

function sha256File(path: string): string {
	return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every file of this folder (sorted by path) and the CA's hash. */
export function imagesHash(caHash: string): string {
	const h = createHash('sha256');
	const walk = (dir: string): string[] =>
		readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
			e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]
		);
	for (const f of walk(HERE)
		.map((p) => relative(HERE, p))
		.sort())
		h.update(`${f}\0${sha256File(join(HERE, f))}\n`);
	h.update(`ca ${caHash}\n`);
	return h.digest('hex').slice(0, 16);
}

function counting(hash: ReturnType<typeof createHash>, count: { n: number }): Transform {
	return new Transform({
		transform(chunk: Buffer, _enc, cb) {
			hash.update(chunk);
			count.n += chunk.length;
			cb(null, chunk);
		}
	});
}

/** A deterministic layer: sorted names, fixed times, numeric owners; gzip without name or time. */
async function writeLayer(srcDir: string, blobs: string, excludes: string[] = []): Promise<Layer> {
	const args = [
		'--create',
		'--file=-',
		`--directory=${srcDir}`,
		'--sort=name',
		`--mtime=@${EPOCH}`,
		'--numeric-owner',
		'--format=posix',
		'--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
		...excludes.map((e) => `--exclude=${e}`),
		'.'
	];
	const tar = spawn('tar', args, { stdio: ['ignore', 'pipe', 'pipe'] });
	let stderr = '';
	tar.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
	const exited = new Promise<number>((resolve, reject) => {
		tar.on('error', reject);
		tar.on('close', (code) => resolve(code ?? 1));
	});
	const diff = createHash('sha256');
	const gz = createHash('sha256');
	const u = { n: 0 };
	const c = { n: 0 };
	const tmp = join(blobs, `.layer-${randomBytes(6).toString('hex')}`);
	await pipeline(tar.stdout, counting(diff, u), createGzip({ level: 6 }), counting(gz, c), createWriteStream(tmp));
	const code = await exited;
	if (code !== 0) throw new Error(`tar of ${srcDir} failed (exit ${code}): ${stderr.slice(-2000)}`);
	const digest = gz.digest('hex');
	renameSync(tmp, join(blobs, digest));
	return { digest: `sha256:${digest}`, diffId: `sha256:${diff.digest('hex')}`, size: c.n, uncompressedSize: u.n };
}

function writeBlob(blobs: string, content: Buffer): { digest: string; size: number } {
	const hex = createHash('sha256').update(content).digest('hex');
	writeFileSync(join(blobs, hex), content);
	return { digest: `sha256:${hex}`, size: content.length };
}

function debVersion(root: string, pkg: string): string {
	const status = readFileSync(join(root, 'var/lib/dpkg/status'), 'utf8');
	for (const para of status.split('\n\n')) {
		if (new RegExp(`^Package: ${pkg.replace(/[.+]/g, '\\$&')}$`, 'm').test(para)) {
			const v = /^Version: (.+)$/m.exec(para);
			if (v) return v[1]!;
		}
	}
	throw new Error(`Debian package ${pkg} is not installed in the shared root`);
}

const marker = (def: ImageDef) =>
	`This is a nassella stand-in for ${def.ref} (${def.standsFor}),\n` +
	`built from Debian trixie packages for tests; it is not the upstream image.\n`;

/** The images, each reproducing what the bundle relies on in the upstream image it names. */
function imageDefs(actualApp: string): ImageDef[] {
	return [
		{
			// docker-library/caddy 2.10/alpine/Dockerfile: alpine + ca-certificates + mailcap,
			// XDG_CONFIG_HOME=/config, XDG_DATA_HOME=/data, EXPOSE 80 443 443/udp 2019, WORKDIR /srv,
			// CMD caddy run --config /etc/caddy/Caddyfile --adapter caddyfile; runs as root.
			// busybox's wget is there as in the alpine image (the probes use `wget -S -q -T 5`).
			ref: 'docker.io/library/caddy:2.10',
			title: 'Caddy',
			standsFor: 'the official Caddy image; Debian caddy 2.6 stands in for 2.10',
			packages: ['caddy', 'busybox'],
			config: {
				Env: [DEFAULT_PATH, 'XDG_CONFIG_HOME=/config', 'XDG_DATA_HOME=/data'],
				Cmd: ['caddy', 'run', '--config', '/etc/caddy/Caddyfile', '--adapter', 'caddyfile'],
				ExposedPorts: { '80/tcp': {}, '443/tcp': {}, '443/udp': {}, '2019/tcp': {} },
				WorkingDir: '/srv'
			},
			versionCommand: ['caddy', 'version'],
			layer: (s) => {
				s.mkdir('/config/caddy');
				s.mkdir('/data/caddy');
				s.mkdir('/srv');
			}
		},
		{
			// docker-library/postgres 17/alpine3.22/Dockerfile: postgres is uid/gid 70,
			// PGDATA=/var/lib/postgresql/data (VOLUME, 1777), /var/run/postgresql 3777,
			// LANG=en_US.utf8, listen_addresses='*' in postgresql.conf.sample, EXPOSE 5432,
			// STOPSIGNAL SIGINT, ENTRYPOINT docker-entrypoint.sh, CMD postgres; runs as root and
			// the entrypoint drops to postgres (see postgres-entrypoint.sh).
			ref: 'docker.io/library/postgres:17.6-alpine',
			title: 'PostgreSQL',
			standsFor: 'the official PostgreSQL image; Debian PostgreSQL 17 stands in for 17.6',
			packages: ['postgresql-17'],
			config: {
				Env: [DEFAULT_PATH, 'LANG=en_US.utf8', 'PG_MAJOR=17', 'PGDATA=/var/lib/postgresql/data'],
				Entrypoint: ['docker-entrypoint.sh'],
				Cmd: ['postgres'],
				ExposedPorts: { '5432/tcp': {} },
				Volumes: { '/var/lib/postgresql/data': {} },
				StopSignal: 'SIGINT'
			},
			versionCommand: ['postgres', '--version'],
			layer: (s) => {
				s.user('postgres', 70, 70, '/var/lib/postgresql', '/bin/sh');
				const bin = '/usr/lib/postgresql/17/bin';
				for (const b of readdirSync(join(s.root, bin)).sort()) s.symlink(`/usr/local/bin/${b}`, `${bin}/${b}`);
				s.file('/usr/local/bin/docker-entrypoint.sh', readFileSync(join(HERE, 'postgres-entrypoint.sh')), 0o755);
				s.symlink('/docker-entrypoint.sh', 'usr/local/bin/docker-entrypoint.sh');
				s.mkdir('/docker-entrypoint-initdb.d');
				const sample = '/usr/share/postgresql/17/postgresql.conf.sample';
				const conf = s.read(sample).replace(/^#?(listen_addresses)\s*=\s*\S+.*$/m, "$1 = '*'");
				if (!conf.includes("listen_addresses = '*'")) throw new Error('postgresql.conf.sample has no listen_addresses');
				s.file(sample, conf);
				s.mkdir('/var/lib/postgresql', 0o755, 70, 70);
				s.mkdir('/var/lib/postgresql/data', 0o1777, 70, 70);
				s.mkdir('/run/postgresql', 0o3777, 70, 70);
			}
		},
		{
			// miniflux/v2 packaging/docker/alpine/Dockerfile: alpine + ca-certificates + tzdata,
			// EXPOSE 8080, LISTEN_ADDR=0.0.0.0:8080, USER 65534, CMD /usr/bin/miniflux; configured by
			// environment (DATABASE_URL, RUN_MIGRATIONS, CREATE_ADMIN, ADMIN_USERNAME, ADMIN_PASSWORD,
			// BASE_URL); /healthcheck answers "OK".
			ref: 'docker.io/miniflux/miniflux:2.2.16',
			title: 'Miniflux',
			standsFor: 'the official Miniflux image; Debian miniflux 2.2.6 stands in for 2.2.16',
			packages: ['miniflux'],
			config: {
				Env: [DEFAULT_PATH, 'LISTEN_ADDR=0.0.0.0:8080'],
				Cmd: ['/usr/bin/miniflux'],
				User: '65534',
				ExposedPorts: { '8080/tcp': {} }
			},
			versionCommand: ['/usr/bin/miniflux', '-version'],
			layer: () => {}
		},
		{
			// binwiederhier/ntfy Dockerfile (goreleaser): alpine + tzdata, COPY ntfy /usr/bin,
			// EXPOSE 80/tcp, ENTRYPOINT ["ntfy"]; runs as root, configured by NTFY_* variables (or
			// /etc/ntfy/server.yml, which upstream does not ship: Debian's is replaced by an empty one).
			ref: 'docker.io/binwiederhier/ntfy:v2.16.0',
			title: 'ntfy',
			standsFor: 'the official ntfy image; Debian ntfy 2.11 stands in for 2.16',
			packages: ['ntfy'],
			config: {
				Env: [DEFAULT_PATH],
				Entrypoint: ['ntfy'],
				ExposedPorts: { '80/tcp': {} }
			},
			versionCommand: ['ntfy', '--help'],
			layer: (s) => {
				s.file(
					'/etc/ntfy/server.yml',
					'# ntfy server config: empty, as in the upstream image (set NTFY_* variables)\n'
				);
				s.mkdir('/var/cache/ntfy');
				s.mkdir('/var/lib/ntfy');
			}
		},
		{
			// restic/restic docker/Dockerfile: alpine + ca-certificates fuse openssh-client tzdata jq,
			// ENTRYPOINT ["/usr/bin/restic"]; runs as root (cache in /root/.cache/restic).
			ref: 'docker.io/restic/restic:0.18.0',
			title: 'restic',
			standsFor: 'the official restic image; Debian restic 0.18.0',
			packages: ['restic'],
			config: {
				Env: [DEFAULT_PATH],
				Entrypoint: ['/usr/bin/restic']
			},
			versionCommand: ['/usr/bin/restic', 'version'],
			layer: (s) => s.mkdir('/root/.cache', 0o700)
		},
		{
			// actualbudget/actual sync-server.Dockerfile: node bookworm-slim + tini, user actual
			// (1001:1001) owns /data but the server runs as root, WORKDIR /app, NODE_ENV=production,
			// EXPOSE 5006, ENTRYPOINT ["/usr/bin/tini","-g","--"], CMD ["node","build/app.js"]; it keeps
			// its files under /data (server-files, user-files) and answers /health; ACTUAL_* variables
			// configure it.
			ref: 'docker.io/actualbudget/actual-server:25.12.0',
			title: 'Actual sync server',
			standsFor: 'the official Actual server image; @actual-app/sync-server 25.6.0 from npm on Debian nodejs 20',
			packages: ['nodejs', 'tini'],
			config: {
				Env: [DEFAULT_PATH, 'NODE_ENV=production'],
				Entrypoint: ['/usr/bin/tini', '-g', '--'],
				Cmd: ['node', 'build/app.js'],
				ExposedPorts: { '5006/tcp': {} },
				WorkingDir: '/app'
			},
			versionCommand: ['node', '-e', 'console.log(require("/app/package.json").version)'],
			layer: (s) => {
				s.user('actual', 1001, 1001, '/home/actual', '/bin/sh');
				s.mkdir('/home/actual', 0o755, 1001, 1001);
				s.mkdir('/data', 0o755, 1001, 1001);
				s.tree('/app', actualApp);
			}
		},
		{
			// Not an upstream image: a generic web app for catalog apps whose software is not packaged.
			ref: 'docker.io/nassella/stand-in-app:1',
			title: 'Generic stand-in app',
			standsFor: 'any web app: answers 200 on every path, on $PORT (default 80)',
			packages: ['nodejs'],
			config: {
				Env: [DEFAULT_PATH],
				Entrypoint: ['node', '/usr/local/lib/stand-in-app/server.mjs'],
				ExposedPorts: { '80/tcp': {} }
			},
			versionCommand: ['node', '--check', '/usr/local/lib/stand-in-app/server.mjs'],
			layer: (s) => s.file('/usr/local/lib/stand-in-app/server.mjs', readFileSync(join(HERE, 'stand-in-app.mjs')))
		},
		{
			// The generic stand-in under Vikunja's name, with what the server must get right for it:
			// upstream's image runs as uid 1000 and cannot take over a folder Docker made for root.
			ref: 'docker.io/vikunja/vikunja:0.24.6',
			title: 'Vikunja (generic stand-in)',
			standsFor:
				'Vikunja 0.24.6 as the server meets it: port 3456, runs as uid 1000, answers only when it can write to /app/vikunja/files, and redirects a request that is not for its https address (as Ghost does)',
			packages: ['nodejs'],
			config: {
				Env: [
					DEFAULT_PATH,
					'PORT=3456',
					'STAND_IN_NAME=Vikunja stand-in',
					'STAND_IN_WRITE_DIR=/app/vikunja/files',
					'STAND_IN_PUBLIC_URL_FROM=VIKUNJA_SERVICE_PUBLICURL'
				],
				Entrypoint: ['node', '/usr/local/lib/stand-in-app/server.mjs'],
				ExposedPorts: { '3456/tcp': {} },
				User: '1000:1000',
				WorkingDir: '/app/vikunja'
			},
			versionCommand: ['node', '--check', '/usr/local/lib/stand-in-app/server.mjs'],
			layer: (s) => {
				s.mkdir('/app', 0o755, 0, 0);
				s.mkdir('/app/vikunja', 0o755, 1000, 1000);
				s.file('/usr/local/lib/stand-in-app/server.mjs', readFileSync(join(HERE, 'stand-in-app.mjs')));
			}
		},
		{
			// Not Memos: an app that does not start, under Memos' name, so one failing app can be shown
			// not to disturb the others.
			ref: 'docker.io/neosmemo/memos:0.25.1',
			title: 'An app that does not start (under Memos’ name)',
			standsFor: 'an app that exits at once with status 1: it never becomes healthy',
			packages: ['nodejs'],
			config: {
				Env: [DEFAULT_PATH, 'PORT=5230', 'STAND_IN_NAME=failing stand-in', 'STAND_IN_EXIT=1'],
				Entrypoint: ['node', '/usr/local/lib/stand-in-app/server.mjs'],
				ExposedPorts: { '5230/tcp': {} }
			},
			versionCommand: ['node', '--check', '/usr/local/lib/stand-in-app/server.mjs'],
			layer: (s) => s.file('/usr/local/lib/stand-in-app/server.mjs', readFileSync(join(HERE, 'stand-in-app.mjs')))
		}
	];
}

/** The registry path and tag of a full reference such as `docker.io/library/caddy:2.10`. */
export function splitRef(ref: string): { host: string; repository: string; tag: string } {
	const m = /^([^/]+)\/(.+):([^:/]+)$/.exec(ref);
	if (!m) throw new Error(`not a full image reference: ${ref}`);
	return { host: m[1]!, repository: m[2]!, tag: m[3]! };
}

function log(msg: string): void {
	process.stderr.write(`[stand-in images] ${msg}\n`);
}

/** Installs the Actual sync server from npm (no scripts) in the /app layout of upstream's image. */
function fetchActual(work: string, logFile: string): string {
	const npmDir = join(work, 'actual-npm');
	mkdirSync(npmDir, { recursive: true });
	for (const f of ['package.json', 'package-lock.json']) copyFileSync(join(HERE, 'actual', f), join(npmDir, f));
	run('npm', ['ci', '--ignore-scripts', '--omit=dev', '--no-audit', '--no-fund'], { cwd: npmDir, log: logFile });
	const app = join(work, 'actual-src');
	mkdirSync(app);
	renameSync(join(npmDir, 'node_modules'), join(app, 'node_modules'));
	const pkg = join(app, 'node_modules', '@actual-app', 'sync-server');
	for (const f of readdirSync(pkg)) renameSync(join(pkg, f), join(app, f));
	rmSync(pkg, { recursive: true });
	rmSync(join(app, 'node_modules', '.bin', 'actual-server'), { force: true });
	rmSync(join(app, 'node_modules', '.package-lock.json'), { force: true });
	return app;
}

async function build(out: string, caCert: string): Promise<ImageEntry[]> {
	const started = Date.now();
	const work = join(out, 'work');
	mkdirSync(work, { recursive: true });
	const logFile = join(out, 'build.log');

	log('npm: @actual-app/sync-server');
	const actualSrc = fetchActual(work, logFile);
	const root = join(work, 'rootfs');
	const actualApp = join(work, 'actual-app');
	log(`mmdebstrap trixie (log: ${logFile})`);
	await runAsync('bash', [join(HERE, 'rootfs.sh'), root, caCert, actualSrc, actualApp], logFile);
	log(`shared rootfs done after ${Math.round((Date.now() - started) / 1000)} s; packing the layers`);
	const entries = await packImages(out, root, actualApp);
	writeFileSync(
		join(out, 'build.json'),
		JSON.stringify({ seconds: Math.round((Date.now() - started) / 1000) }, null, 1)
	);
	rmSync(work, { recursive: true, force: true });
	return entries;
}

/** The layers, configs and manifests of every image, from the shared root and the built Actual app. */
export async function packImages(out: string, root: string, actualApp: string): Promise<ImageEntry[]> {
	const blobs = join(out, 'blobs', 'sha256');
	mkdirSync(blobs, { recursive: true });
	const work = join(out, 'work');

	const base = await writeLayer(root, blobs, ['./dev/*', './proc/*', './sys/*']);
	log(`shared layer ${base.digest}: ${base.size} bytes (${base.uncompressedSize} uncompressed)`);

	const entries: ImageEntry[] = [];
	const index: object[] = [];
	for (const def of imageDefs(actualApp)) {
		const stage = new Stage(join(work, 'layers', def.ref.replace(/[^A-Za-z0-9.-]/g, '_')), root);
		def.layer(stage);
		stage.file('/etc/nassella-stand-in', marker(def));
		const own = await writeLayer(stage.dir, blobs);
		const versions = def.packages.map((p) => `${p} ${debVersion(root, p)}`).join(', ');
		const { repository, tag } = splitRef(def.ref);
		const config = {
			created: CREATED,
			architecture: 'amd64',
			os: 'linux',
			config: {
				...def.config,
				Labels: {
					'org.nassella.stand-in': 'true',
					'org.nassella.stand-in.debian-packages': versions,
					'org.opencontainers.image.title': `${def.title} (nassella stand-in)`,
					'org.opencontainers.image.description':
						`Stand-in for ${def.ref} built from Debian trixie packages for nassella's machine tests ` +
						`(${def.standsFor}); not the upstream image.`
				}
			},
			rootfs: { type: 'layers', diff_ids: [base.diffId, own.diffId] },
			history: [
				{ created: CREATED, created_by: 'mmdebstrap --variant=minbase trixie (the shared nassella stand-in root)' },
				{ created: CREATED, created_by: `nassella stand-in layer of ${def.ref}` }
			]
		};
		const cfg = writeBlob(blobs, Buffer.from(JSON.stringify(config)));
		const manifest = {
			schemaVersion: 2,
			mediaType: MEDIA_TYPES.manifest,
			config: { mediaType: MEDIA_TYPES.config, digest: cfg.digest, size: cfg.size },
			layers: [base, own].map((l) => ({ mediaType: MEDIA_TYPES.layer, digest: l.digest, size: l.size }))
		};
		const man = writeBlob(blobs, Buffer.from(JSON.stringify(manifest)));
		index.push({
			mediaType: MEDIA_TYPES.manifest,
			digest: man.digest,
			size: man.size,
			annotations: { 'org.opencontainers.image.ref.name': def.ref }
		});
		entries.push({
			ref: def.ref,
			manifestDigest: man.digest,
			repository,
			tag,
			manifestSize: man.size,
			mediaType: MEDIA_TYPES.manifest,
			config: cfg.digest,
			layers: [base.digest, own.digest],
			versionCommand: def.versionCommand
		});
		log(`${def.ref}: ${man.digest} (own layer ${own.size} bytes)`);
	}
	writeFileSync(join(out, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
	writeFileSync(
		join(out, 'index.json'),
		JSON.stringify({ schemaVersion: 2, mediaType: MEDIA_TYPES.index, manifests: index }, null, 1)
	);
	writeFileSync(join(out, 'images.json'), JSON.stringify(entries, null, 1));
	writeFileSync(join(out, 'shared-layer.json'), JSON.stringify(base, null, 1));
	return entries;
}

/** Reads a finished images folder. */
export function readImages(dir: string): ImageEntry[] {
	return JSON.parse(readFileSync(join(dir, 'images.json'), 'utf8')) as ImageEntry[];
}

/**
 * Builds the stand-in images once (as root; needs mmdebstrap, Debian's mirror and npm) and
 * returns the cached OCI image layout.
 */
export async function ensureImages(): Promise<BuiltImages> {
	const ca = ensureCa();
	const dir = join(cacheRoot(), `images-${imagesHash(ca.hash)}`);
	if (!existsSync(join(dir, 'images.json'))) {
		const tmp = `${dir}.tmp-${process.pid}`;
		rmSync(tmp, { recursive: true, force: true });
		mkdirSync(tmp, { recursive: true });
		try {
			await build(tmp, ca.cert);
			try {
				renameSync(tmp, dir);
			} catch (e) {
				if (!existsSync(join(dir, 'images.json'))) throw e; // another process finished first
				rmSync(tmp, { recursive: true, force: true });
			}
		} catch (e) {
			// keep the log next to the cache for a look; drop the rest
			try {
				copyFileSync(join(tmp, 'build.log'), `${dir}.failed.log`);
			} catch {
				/* no log yet */
			}
			rmSync(tmp, { recursive: true, force: true });
			throw e;
		}
	}
	return { dir, images: readImages(dir).map(({ ref, manifestDigest }) => ({ ref, manifestDigest })) };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
	const built = await ensureImages();
	console.log(JSON.stringify(built, null, 1));
}
