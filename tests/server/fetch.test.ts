/**
 * nassella-fetch, run for real (the script from the rendered Ignition, real curl, sha256sum,
 * tar and the real age program packed as a release tarball) against a loopback HTTPS server
 * standing in for the download mirror, reached through a loopback CONNECT proxy (as the
 * ntfy stand-in in lifecycle.test.ts). The server answers what each test asks: a file, a
 * 404, a few 503s first, or the wrong bytes.
 *
 * Stand-ins, for what cannot run here: `systemd-sysext` (it would change this machine's
 * /usr) records its call and marks the extension merged; `docker` answers `compose version`
 * only once it is merged. The extension directory, its link and /opt/nassella/bin are
 * temporary folders (sync.conf's EXT_DIR, EXT_LINK and BIN).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	chmodSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	readdirSync,
	readlinkSync,
	rmSync,
	writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { catalog, fixture, goldenEncrypt, ignitionFile, run, type IgnitionDoc } from './helpers.ts';
import { renderServer } from '../../src/lib/core/server/render.ts';

const T = mkdtempSync(join(tmpdir(), 'nassella-fetch-'));
const BIN = join(T, 'stubs');
const RUN = join(T, 'run');
const OPT = join(T, 'opt-bin');
const EXT = join(T, 'extensions');
const LINK = join(T, 'etc-extensions/docker-compose.raw');
const MERGED = join(T, 'merged');
const REFRESHES = join(T, 'refreshes');
const HOST = 'mirror.nassella.test';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

// What the mirror serves, and how: a path maps to its bytes, or a status to answer a number of times first.
const files = new Map<string, Buffer>();
const failFirst = new Map<string, { status: number; times: number }>();
const requests: string[] = [];
let tls: HttpsServer;
let proxy: Server;
let proxyEnv: Record<string, string> = {};
let reachable = true;

const sysext = randomBytes(300_000);
let ageTarball: Buffer;
let script = '';
let conf = '';

function fetchRun(): Promise<{ code: number | null; stderr: string }> {
	return new Promise((resolve) => {
		const p = spawn('bash', [join(T, 'nassella-fetch')], {
			env: { ...process.env, ...proxyEnv, PATH: `${BIN}:${process.env.PATH}`, NASSELLA_CONF: join(T, 'sync.conf') }
		});
		let stderr = '';
		p.stderr.on('data', (d) => (stderr += d));
		const timer = setTimeout(() => p.kill('SIGKILL'), 120_000);
		p.on('close', (code) => {
			clearTimeout(timer);
			resolve({ code, stderr });
		});
	});
}
const refreshes = () =>
	existsSync(REFRESHES) ? readFileSync(REFRESHES, 'utf8').split('\n').filter(Boolean).length : 0;
const errorFile = (name: string) => join(RUN, `${name}.error`);
const target = join(EXT, 'docker-compose-2.34.0-x86-64.raw');

beforeAll(async () => {
	mkdirSync(BIN, { recursive: true });
	writeFileSync(
		join(BIN, 'systemd-sysext'),
		`#!/bin/bash\n# Stand-in for systemd-sysext refresh (see the test's header).\necho "$*" >>"${REFRESHES}"\n[ -f "$(readlink -f "${LINK}")" ] && touch "${MERGED}"\n`
	);
	writeFileSync(
		join(BIN, 'docker'),
		`#!/bin/bash\n# Stand-in for docker: compose runs once the extension is merged.\n[ "$1 $2" = "compose version" ] && [ -f "${MERGED}" ] && echo "Docker Compose version v2.34.0" && exit 0\nexit 1\n`
	);
	for (const f of ['systemd-sysext', 'docker']) chmodSync(join(BIN, f), 0o755);

	// A release tarball of the real age program, laid out as upstream's: age/age.
	const pack = join(T, 'pack');
	mkdirSync(join(pack, 'age'), { recursive: true });
	const ageBin = run('bash', ['-c', 'command -v age']).stdout.trim();
	expect(ageBin).not.toBe('');
	run('cp', [ageBin, join(pack, 'age/age')]);
	expect(run('tar', ['-czf', join(T, 'age.tar.gz'), '-C', pack, 'age']).code).toBe(0);
	ageTarball = readFileSync(join(T, 'age.tar.gz'));

	// The mirror: TLS for its name only, with a certificate this test trusts (CURL_CA_BUNDLE).
	const ssl = run('openssl', [
		'req',
		'-x509',
		'-newkey',
		'ec',
		'-pkeyopt',
		'ec_paramgen_curve:P-256',
		'-nodes',
		'-keyout',
		join(T, 'mirror.key'),
		'-out',
		join(T, 'mirror.pem'),
		'-days',
		'1',
		'-subj',
		`/CN=${HOST}`,
		'-addext',
		`subjectAltName=DNS:${HOST}`
	]);
	expect(ssl.code, ssl.stderr).toBe(0);
	tls = createHttpsServer(
		{ key: readFileSync(join(T, 'mirror.key')), cert: readFileSync(join(T, 'mirror.pem')) },
		(req, res) => {
			const path = req.url ?? '';
			requests.push(path);
			const fail = failFirst.get(path);
			if (fail && fail.times > 0) {
				fail.times--;
				res.writeHead(fail.status).end('not now');
				return;
			}
			const body = files.get(path);
			if (!body) res.writeHead(404).end('not found');
			else res.writeHead(200, { 'content-length': body.length }).end(body);
		}
	);
	proxy = createServer((_, res) => res.writeHead(403).end());
	proxy.on('connect', (req, socket) => {
		if (!reachable || req.url !== `${HOST}:443`) {
			socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
			return;
		}
		socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
		tls.emit('connection', socket);
	});
	await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
	const port = (proxy.address() as { port: number }).port;
	proxyEnv = {
		HTTPS_PROXY: `http://127.0.0.1:${port}`,
		https_proxy: `http://127.0.0.1:${port}`,
		NO_PROXY: '',
		CURL_CA_BUNDLE: join(T, 'mirror.pem')
	};

	const input = fixture('one-app');
	input.config.composeSysext = {
		version: '2.34.0',
		sha256: sha(sysext),
		url: `https://${HOST}/sysext/docker-compose-2.34.0-x86-64.raw`
	};
	input.config.age = {
		version: '1.2.1',
		sha256: sha(ageTarball),
		url: `https://${HOST}/age/age-v1.2.1-linux-amd64.tar.gz`
	};
	const ign = JSON.parse((await renderServer(input, catalog(), { encrypt: goldenEncrypt })).ignition) as IgnitionDoc;
	script = ignitionFile(ign, '/opt/nassella/bin/nassella-fetch');
	writeFileSync(join(T, 'nassella-fetch'), script);
	conf = ignitionFile(ign, '/etc/nassella/sync.conf').replace(/^RUN=.*$/m, `RUN='${RUN}'`);
	writeFileSync(
		join(T, 'sync.conf'),
		`${conf}BIN='${OPT}'\nEXT_DIR='${EXT}'\nEXT_LINK='${LINK}'\nSYSEXT_REFRESH='${join(BIN, 'systemd-sysext')} refresh'\n`
	);
});

afterAll(() => {
	proxy?.close();
	tls?.close();
});

describe('nassella-fetch', () => {
	it('a missing file (404): says so in plain words, in the journal and for status.json, and installs nothing', async () => {
		const r = await fetchRun();
		expect(r.code).toBe(1);
		const compose = `the Docker Compose extension could not be downloaded: the download server answered HTTP 404 for https://${HOST}/sysext/docker-compose-2.34.0-x86-64.raw`;
		expect(r.stderr).toContain(`nassella-fetch: ${compose}`);
		expect(readFileSync(errorFile('compose'), 'utf8')).toBe(`${compose}; the server tries again at its next check\n`);
		expect(readFileSync(errorFile('age'), 'utf8')).toMatch(
			/^age \(which decrypts the app settings\) could not be downloaded: the download server answered HTTP 404/
		);
		// No half-written file anywhere, no link, nothing merged.
		expect(readdirSync(EXT)).toEqual([]);
		expect(existsSync(LINK)).toBe(false);
		expect(existsSync(join(OPT, 'age'))).toBe(false);
		expect(readdirSync(OPT)).toEqual([]);
		expect(refreshes()).toBe(0);
	});

	it('the wrong bytes: refused by their sha256, and nothing installed', async () => {
		files.set('/sysext/docker-compose-2.34.0-x86-64.raw', Buffer.concat([sysext, Buffer.from('x')]));
		files.set('/age/age-v1.2.1-linux-amd64.tar.gz', Buffer.from('not a tarball'));
		const r = await fetchRun();
		expect(r.code).toBe(1);
		expect(readFileSync(errorFile('compose'), 'utf8')).toMatch(
			new RegExp(
				`^the Docker Compose extension could not be downloaded: the file from https://${HOST}/sysext/docker-compose-2\\.34\\.0-x86-64\\.raw is not the expected one \\(its sha256 is [0-9a-f]{64}; the settings pin ${sha(sysext)}\\)`
			)
		);
		expect(readFileSync(errorFile('age'), 'utf8')).toContain('is not the expected one');
		expect(readdirSync(EXT)).toEqual([]);
		expect(existsSync(LINK)).toBe(false);
		expect(readdirSync(OPT)).toEqual([]);
	});

	it('an unreachable mirror: says so, and fails without waiting long', async () => {
		reachable = false;
		const started = Date.now();
		const r = await fetchRun();
		reachable = true;
		expect(r.code).toBe(1);
		expect(readFileSync(errorFile('compose'), 'utf8')).toMatch(
			new RegExp(`^the Docker Compose extension could not be downloaded: https://${HOST}/\\S+ could not be reached \\(`)
		);
		expect(Date.now() - started).toBeLessThan(60_000);
	});

	it('retries a server that is briefly unavailable, checks the hashes, installs, links and merges', async () => {
		files.set('/sysext/docker-compose-2.34.0-x86-64.raw', sysext);
		files.set('/age/age-v1.2.1-linux-amd64.tar.gz', ageTarball);
		failFirst.set('/sysext/docker-compose-2.34.0-x86-64.raw', { status: 503, times: 2 });
		requests.length = 0;
		const r = await fetchRun();
		expect(r.code, r.stderr).toBe(0);
		expect(requests.filter((p) => p.startsWith('/sysext/'))).toHaveLength(3);
		expect(readFileSync(target)).toEqual(sysext);
		expect(readlinkSync(LINK)).toBe(target);
		expect(refreshes()).toBe(1);
		expect(existsSync(errorFile('compose'))).toBe(false);
		expect(existsSync(errorFile('age'))).toBe(false);
		// The real age program, unpacked from the tarball, runs.
		const version = run(join(OPT, 'age'), ['--version']);
		expect(version.code).toBe(0);
		expect(readdirSync(EXT)).toEqual(['docker-compose-2.34.0-x86-64.raw']);
	});

	it('at the next boot: checks what is installed and downloads nothing', async () => {
		requests.length = 0;
		const r = await fetchRun();
		expect(r.code, r.stderr).toBe(0);
		expect(requests).toEqual([]);
		expect(refreshes()).toBe(1);
	});

	it('a damaged installed file is downloaded again', async () => {
		writeFileSync(target, 'damaged');
		writeFileSync(join(OPT, 'age'), '#!/bin/sh\necho tampered\n');
		requests.length = 0;
		const r = await fetchRun();
		expect(r.code, r.stderr).toBe(0);
		expect(requests.sort()).toEqual(['/age/age-v1.2.1-linux-amd64.tar.gz', '/sysext/docker-compose-2.34.0-x86-64.raw']);
		expect(readFileSync(target)).toEqual(sysext);
		expect(run(join(OPT, 'age'), ['--version']).stdout).not.toContain('tampered');
		rmSync(errorFile('compose'), { force: true });
	});

	it('a Docker Compose extension with no known hash: taken over HTTPS alone, and the journal says so', async () => {
		const unpinned = join(T, 'sync-unpinned.conf');
		writeFileSync(
			unpinned,
			readFileSync(join(T, 'sync.conf'), 'utf8').replace(/^COMPOSE_SHA256=.*$/m, 'COMPOSE_SHA256=')
		);
		rmSync(target, { force: true });
		requests.length = 0;
		const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
			const child = spawn('bash', [join(T, 'nassella-fetch')], {
				env: { ...process.env, ...proxyEnv, PATH: `${BIN}:${process.env.PATH}`, NASSELLA_CONF: unpinned }
			});
			let stderr = '';
			child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
			child.on('close', (code) => resolve({ code, stderr }));
		});
		expect(r.code, r.stderr).toBe(0);
		expect(requests).toEqual(['/sysext/docker-compose-2.34.0-x86-64.raw']);
		expect(readFileSync(target)).toEqual(sysext);
		expect(r.stderr).toContain(`has no pinned sha256; it was checked by HTTPS alone (its sha256 is ${sha(sysext)})`);
		// Installed once, it is not downloaded again at every start.
		requests.length = 0;
		expect((await fetchRun()).code).toBe(0);
	});
});
