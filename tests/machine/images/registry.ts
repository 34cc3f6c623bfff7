/**
 * The stand-in container registry: Debian's `docker-registry` (distribution 2.8) over TLS on
 * 127.0.0.1, filesystem storage, no auth, deletes enabled. Inside the guest every registry host
 * name (registry-1.docker.io, ghcr.io, quay.io, …) resolves to this one server, so images are
 * pushed under their repository path without the host (`library/caddy`, `miniflux/miniflux`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createReadStream, mkdirSync, openSync, closeSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { join } from 'node:path';
import { ensureCa } from '../lib/ca.ts';
import { readImages, splitRef } from './build.ts';
import { freePort } from '../net/proc.ts';

export interface Registry {
	port: number;
	/** `https://127.0.0.1:<port>` */
	url: string;
	/** Stops the registry (its storage stays); `start()` brings it back on the same port. */
	stop(): Promise<void>;
	start(): Promise<void>;
	/** Makes `repository:tag` answer 404 (see deleteTag below). */
	deleteTag(repository: string, tag: string): Promise<void>;
}

export interface TlsOptions {
	/** The CA that signed the registry's certificate (default: the test CA). */
	caFile?: string;
	/**
	 * The name the certificate is checked against (default: the URL's host). Set it, e.g. to
	 * `registry-1.docker.io`, when the certificate does not name 127.0.0.1.
	 */
	serverName?: string;
}

/** Accept header of a client that takes OCI and Docker v2 manifests, as dockerd sends. */
export const MANIFEST_ACCEPT = [
	'application/vnd.oci.image.manifest.v1+json',
	'application/vnd.docker.distribution.manifest.v2+json',
	'application/vnd.oci.image.index.v1+json',
	'application/vnd.docker.distribution.manifest.list.v2+json'
].join(', ');

function ensureDockerRegistry(): string {
	const found = spawnSync('sh', ['-c', 'command -v docker-registry'], { encoding: 'utf8' });
	if (found.status === 0) return found.stdout.trim();
	const r = spawnSync('apt-get', ['install', '-y', '-q', 'docker-registry'], {
		stdio: 'inherit',
		env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }
	});
	if (r.status !== 0) throw new Error('docker-registry is not installed and apt-get could not install it');
	return '/usr/bin/docker-registry';
}

export interface Response {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	body: Buffer;
}

/** One HTTPS request; `body` is a Buffer or a file to stream. */
export function httpsRequest(
	url: string,
	opts: {
		method?: string;
		headers?: Record<string, string | number>;
		body?: Buffer | { file: string };
		ca: string | Buffer;
		serverName?: string;
		/** Checks the chain but not the name (readiness probes only). */
		anyName?: boolean;
		timeoutMs?: number;
	}
): Promise<Response> {
	return new Promise((resolve, reject) => {
		const u = new URL(url);
		const req = request(
			{
				method: opts.method ?? 'GET',
				hostname: u.hostname,
				port: u.port,
				path: u.pathname + u.search,
				headers: opts.headers,
				ca: opts.ca,
				servername: opts.serverName,
				agent: new Agent({ ca: opts.ca, keepAlive: false }),
				...(opts.anyName ? { checkServerIdentity: () => undefined } : {})
			},
			(res) => {
				const chunks: Buffer[] = [];
				res.on('data', (c: Buffer) => chunks.push(c));
				res.on('end', () =>
					resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
				);
				res.on('error', reject);
			}
		);
		req.setTimeout(opts.timeoutMs ?? 120_000, () => req.destroy(new Error(`timeout: ${opts.method ?? 'GET'} ${url}`)));
		req.on('error', reject);
		const body = opts.body;
		if (body === undefined) req.end();
		else if (Buffer.isBuffer(body)) req.end(body);
		else {
			const s = createReadStream(body.file);
			s.on('error', reject);
			s.pipe(req);
		}
	});
}

function registryConfig(workDir: string, port: number, certFile: string, keyFile: string): string {
	const config = join(workDir, 'config.yml');
	// JSON is YAML: no YAML library needed for the registry's config file.
	writeFileSync(
		config,
		JSON.stringify(
			{
				version: 0.1,
				log: { level: 'info', formatter: 'text', accesslog: { disabled: false } },
				storage: {
					filesystem: { rootdirectory: join(workDir, 'storage') },
					delete: { enabled: true },
					maintenance: { uploadpurging: { enabled: false } }
				},
				http: {
					addr: `127.0.0.1:${port}`,
					tls: { certificate: certFile, key: keyFile },
					headers: { 'X-Content-Type-Options': ['nosniff'] }
				}
			},
			null,
			1
		)
	);
	return config;
}

/** Runs docker-registry with a config until `/v2/` answers; rejects if it exits or stays silent. */
async function launch(bin: string, config: string, url: string, logFile: string, ca: Buffer): Promise<ChildProcess> {
	const fd = openSync(logFile, 'a');
	const child = spawn(bin, ['serve', config], { stdio: ['ignore', fd, fd] });
	closeSync(fd);
	let exited = false;
	child.on('exit', () => (exited = true));
	const deadline = Date.now() + 60_000;
	while (!exited && Date.now() < deadline) {
		try {
			const r = await httpsRequest(`${url}/v2/`, { ca, anyName: true, timeoutMs: 5_000 });
			if (r.status === 200) return child;
		} catch {
			/* not up yet */
		}
		await new Promise((r) => setTimeout(r, 200));
	}
	if (!exited) child.kill('SIGKILL');
	const tail = readFileSync(logFile, 'utf8').split('\n').slice(-20).join('\n');
	throw new Error(`docker-registry did not answer on ${url}:\n${tail}`);
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
	return new Promise<void>((resolve) => {
		if (!child || child.exitCode !== null || child.signalCode !== null) return resolve();
		// docker-registry waits on open connections (the guest's Docker keeps them alive) after
		// SIGTERM: what is still there after 5 s is killed.
		const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
		child.once('exit', () => {
			clearTimeout(kill);
			resolve();
		});
		child.kill('SIGTERM');
	});
}

/**
 * Starts Debian's docker-registry on 127.0.0.1:<free port> with TLS from certFile/keyFile
 * (issued for the registry names and 127.0.0.1) and storage in workDir; resolves once `/v2/`
 * answers. caFile (default: the test CA) is used to talk to it.
 */
export async function startRegistry(opts: {
	workDir: string;
	certFile: string;
	keyFile: string;
	caFile?: string;
}): Promise<Registry> {
	const bin = ensureDockerRegistry();
	mkdirSync(join(opts.workDir, 'storage'), { recursive: true });
	const caFile = opts.caFile ?? ensureCa().cert;
	const ca = readFileSync(caFile);
	const logFile = join(opts.workDir, 'registry.log');
	let child: ChildProcess | undefined;
	let port = 0;
	for (let attempt = 1; !child; attempt++) {
		port = await freePort();
		try {
			child = await launch(
				bin,
				registryConfig(opts.workDir, port, opts.certFile, opts.keyFile),
				`https://127.0.0.1:${port}`,
				logFile,
				ca
			);
		} catch (e) {
			if (attempt >= 3) throw e; // else the port was taken in between: another one
		}
	}
	const url = `https://127.0.0.1:${port}`;
	const config = join(opts.workDir, 'config.yml');
	return {
		port,
		url,
		stop: async () => {
			await stopChild(child);
			child = undefined;
		},
		start: async () => {
			if (child && child.exitCode === null && child.signalCode === null) return;
			const deadline = Date.now() + 30_000;
			for (;;) {
				try {
					child = await launch(bin, config, url, logFile, ca);
					return;
				} catch (e) {
					// the port may still be held for a moment after the stop
					if (Date.now() > deadline) throw e;
				}
			}
		},
		deleteTag: (repository, tag) => deleteTag(url, `${repository}:${tag}`, { caFile })
	};
}

function tls(opts: TlsOptions): { ca: Buffer; serverName?: string } {
	return { ca: readFileSync(opts.caFile ?? ensureCa().cert), serverName: opts.serverName };
}

function expectStatus(r: Response, ok: number[], what: string): void {
	if (!ok.includes(r.status)) throw new Error(`${what}: HTTP ${r.status} ${r.body.toString('utf8').slice(0, 500)}`);
}

/**
 * Pushes the images of an images folder (ensureImages().dir) by tag: blobs first (HEAD check,
 * cross-repository mount of a blob already pushed, else POST + monolithic PUT), then the
 * manifest. `only` / `skip` pick images by full reference (`docker.io/binwiederhier/ntfy:v2.16.0`),
 * repository and tag (`binwiederhier/ntfy:v2.16.0`) or repository (`binwiederhier/ntfy`); an
 * image left out answers 404.
 */
export async function pushImages(
	registryUrl: string,
	imagesDir: string,
	opts: TlsOptions & { only?: string[]; skip?: string[] } = {}
): Promise<{ ref: string; repository: string; tag: string; manifestDigest: string }[]> {
	const t = tls(opts);
	const blobs = join(imagesDir, 'blobs', 'sha256');
	const pushedIn = new Map<string, string>(); // digest -> a repository that has it
	const done = [];
	for (const img of readImages(imagesDir)) {
		const names = [img.ref, `${img.repository}:${img.tag}`, img.repository];
		if (opts.only && !opts.only.some((n) => names.includes(n))) continue;
		if (opts.skip?.some((n) => names.includes(n))) continue;
		const { repository, tag } = img;
		for (const digest of [...img.layers, img.config]) {
			const file = join(blobs, digest.slice('sha256:'.length));
			const blobUrl = `${registryUrl}/v2/${repository}/blobs/${digest}`;
			const head = await httpsRequest(blobUrl, { ...t, method: 'HEAD' });
			if (head.status === 200) {
				pushedIn.set(digest, repository);
				continue;
			}
			const from = pushedIn.get(digest);
			const start = await httpsRequest(
				`${registryUrl}/v2/${repository}/blobs/uploads/` +
					(from ? `?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}` : ''),
				{ ...t, method: 'POST', headers: { 'Content-Length': 0 } }
			);
			expectStatus(start, [201, 202], `start upload of ${digest} to ${repository}`);
			if (start.status === 202) {
				const location = new URL(String(start.headers.location), registryUrl);
				location.searchParams.set('digest', digest);
				const put = await httpsRequest(location.toString(), {
					...t,
					method: 'PUT',
					headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': statSync(file).size },
					body: { file },
					timeoutMs: 30 * 60_000
				});
				expectStatus(put, [201], `upload of ${digest} to ${repository}`);
			}
			pushedIn.set(digest, repository);
		}
		const manifest = readFileSync(join(blobs, img.manifestDigest.slice('sha256:'.length)));
		const put = await httpsRequest(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
			...t,
			method: 'PUT',
			headers: { 'Content-Type': img.mediaType, 'Content-Length': manifest.length },
			body: manifest
		});
		expectStatus(put, [201], `manifest of ${img.ref}`);
		const got = put.headers['docker-content-digest'];
		if (got !== img.manifestDigest) throw new Error(`${img.ref}: the registry stored ${String(got)}`);
		done.push({ ref: img.ref, repository, tag, manifestDigest: img.manifestDigest });
	}
	return done;
}

/**
 * Makes one image answer 404: deletes its manifest by digest, which removes the tag too
 * (storage.delete is enabled). `ref` is a full reference (`docker.io/library/caddy:2.10`) or a
 * repository path with tag (`library/caddy:2.10`). Push it again to bring it back.
 */
export async function deleteTag(registryUrl: string, ref: string, opts: TlsOptions = {}): Promise<void> {
	const t = tls(opts);
	const { repository, tag } = /^[^/]*[.:][^/]*\//.test(ref) ? splitRef(ref) : splitLocal(ref);
	const head = await httpsRequest(`${registryUrl}/v2/${repository}/manifests/${tag}`, {
		...t,
		method: 'HEAD',
		headers: { Accept: MANIFEST_ACCEPT }
	});
	expectStatus(head, [200], `look-up of ${ref}`);
	const digest = String(head.headers['docker-content-digest']);
	const del = await httpsRequest(`${registryUrl}/v2/${repository}/manifests/${digest}`, { ...t, method: 'DELETE' });
	expectStatus(del, [202], `delete of ${ref}`);
}

function splitLocal(ref: string): { repository: string; tag: string } {
	const i = ref.lastIndexOf(':');
	if (i < 0) throw new Error(`no tag in ${ref}`);
	return { repository: ref.slice(0, i), tag: ref.slice(i + 1) };
}
