/**
 * The lab: everything a booted stand-in server talks to, started on the host's loopback, plus
 * the deployment the server is booted from. A scenario starts one lab, then boots machines
 * from configs rendered by the project's own generator (the same code the browser runs).
 *
 * Nothing here leaves the machine: the VM's network is `restrict=on` and reaches only the
 * guestfwd rules below, each a real server on 127.0.0.1 (PLAN.md has the table).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from '../../catalog/load.ts';
import { ageEncrypt } from '../../src/lib/adapters/age/encrypt.ts';
import { writeOutput } from '../../src/cli/nassella.ts';
import { renderServer } from '../../src/lib/core/server/render.ts';
import { parseServerStatus, type ServerStatus } from '../../src/lib/core/server/status.ts';
import { ensureSecrets } from '../../src/lib/core/catalog/secrets.ts';
import { bcryptDeriver } from '../../src/lib/adapters/deploy/keys.ts';
import { getRandomValues } from 'node:crypto';
import type { AppManifest } from '../../src/lib/core/catalog/types.ts';
import { ensureCa, issueCert, type Ca } from './lib/ca.ts';
import { ensureVmImage } from './image/build.ts';
import { ensureImages } from './images/build.ts';
import { pushImages, startRegistry } from './images/registry.ts';
import { commitBundle, startGitSsh } from './net/git-ssh.ts';
import { startAcme } from './net/acme.ts';
import { startS3 } from './net/s3.ts';
import { startSink } from './net/https-sink.ts';
import { startMirror } from './net/mirror.ts';
import { startVm, type Vm } from './vm.ts';
import { freePort } from './net/proc.ts';

export const ROOT = join(import.meta.dirname, '../..');
const FIXTURE_KEYS = join(ROOT, 'tests/fixtures/keys');

/** The stand-in internet's addresses inside the guest (PLAN.md). */
export const NET = {
	git: '10.0.2.100',
	registry: '10.0.2.101',
	acme: '10.0.2.102',
	s3: '10.0.2.103',
	mirror: '10.0.2.104',
	ntfy: '10.0.2.105'
} as const;

export const REGISTRY_NAMES = ['registry-1.docker.io', 'docker.io', 'index.docker.io', 'ghcr.io', 'quay.io', 'lscr.io'];
export const S3_HOST = 's3.eu-central-003.backblazeb2.com';
export const ADMIN = { user: 'nassella', password: 'fixture-password' };
export const DOMAIN = 'example.org';
export const S3_KEYS = { accessKeyId: 'machineKeyId0001', secretAccessKey: 'machine-secret-access-key-0001' };

let catalogCache: AppManifest[] | undefined;
function catalog(): AppManifest[] {
	if (!catalogCache) {
		const c = loadCatalog();
		if (c.problems.length) throw new Error(c.problems.join('\n'));
		catalogCache = c.apps;
	}
	return catalogCache;
}

export function log(message: string): void {
	process.stderr.write(`[machine ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}

/** Records a measured figure (seconds) for `npm run bench -- machine` and prints it. */
export function figure(name: string, seconds: number): void {
	const file = join(ROOT, 'tests/.tmp/reports/machine-figures.json');
	mkdirSync(join(ROOT, 'tests/.tmp/reports'), { recursive: true });
	let all: Record<string, number> = {};
	try {
		all = JSON.parse(readFileSync(file, 'utf8'));
	} catch {
		// first figure of this run
	}
	all[name] = Math.round(seconds);
	writeFileSync(file, `${JSON.stringify(all, null, 2)}\n`);
	log(`${name}: ${Math.round(seconds)} s`);
}

/** Polls `check` until it returns a value other than undefined, or fails with the last reason. */
/** The longest one check of a wait may take (a guest command, an HTTPS request). */
const CHECK_MS = 330_000;

export async function waitFor<T>(
	what: string,
	check: () => Promise<T | undefined> | T | undefined,
	timeoutMs: number,
	intervalMs = 3000
): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	for (;;) {
		// One check never holds the wait: a check that hangs counts as failed after CHECK_MS.
		let timer: NodeJS.Timeout | undefined;
		try {
			const v = await Promise.race([
				Promise.resolve().then(check),
				new Promise<never>((_, reject) => {
					timer = setTimeout(() => reject(new Error(`the check gave no answer in ${CHECK_MS / 1000} s`)), CHECK_MS);
				})
			]);
			if (v !== undefined) return v;
		} catch (e) {
			last = e;
		} finally {
			clearTimeout(timer);
		}
		if (Date.now() > deadline)
			throw new Error(
				`Timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${last ? `: ${String(last)}` : ''}`
			);
		await new Promise((r) => setTimeout(r, intervalMs));
	}
}

export interface HttpsAnswer {
	status: number;
	headers: Record<string, string | string[] | undefined>;
	body: string;
	/** The certificate's issuer common name, as the client saw it. */
	issuer?: string;
}

/** An HTTPS request to a host name served by the VM, through its hostfwd port, checked against `ca`. */
export function httpsGet(
	port: number,
	host: string,
	path: string,
	opts: { ca?: string; auth?: string; method?: string; body?: string; headers?: Record<string, string> } = {}
): Promise<HttpsAnswer> {
	return new Promise((resolve, reject) => {
		const req = request(
			{
				host: '127.0.0.1',
				port,
				path,
				method: opts.method ?? 'GET',
				servername: host,
				headers: { host, ...(opts.headers ?? {}), ...(opts.body ? { 'content-type': 'application/json' } : {}) },
				...(opts.auth ? { auth: opts.auth } : {}),
				...(opts.ca ? { ca: opts.ca } : { rejectUnauthorized: false }),
				timeout: 30_000
			},
			(res) => {
				// The certificate is read now: by the end of the answer the socket may be gone.
				const cert = (res.socket as import('node:tls').TLSSocket | null)?.getPeerCertificate?.();
				const chunks: Buffer[] = [];
				res.on('error', reject);
				res.on('aborted', () => reject(new Error('the answer was cut off')));
				res.on('data', (c: Buffer) => chunks.push(c));
				res.on('end', () => {
					resolve({
						status: res.statusCode ?? 0,
						headers: res.headers,
						body: Buffer.concat(chunks).toString('utf8'),
						...(cert?.issuer?.CN ? { issuer: String(cert.issuer.CN) } : {})
					});
				});
			}
		);
		req.on('timeout', () => req.destroy(new Error('timed out')));
		req.on('error', reject);
		// The whole exchange, not only each idle stretch, has a limit.
		const whole = setTimeout(() => req.destroy(new Error('no complete answer in 60 s')), 60_000);
		req.on('close', () => clearTimeout(whole));
		if (opts.body) req.write(opts.body);
		req.end();
	});
}

export interface MachineConfigOptions {
	apps: { id: string; inputs?: Record<string, string> }[];
	appSecrets: Record<string, Record<string, string>>;
	restoreFromBackup?: boolean;
	requests?: { backup?: string; drill?: string };
}

export type Lab = Awaited<ReturnType<typeof startLab>>;

export async function startLab(opts: { skipImages?: string[] } = {}) {
	const work = mkdtempSync(join(tmpdir(), 'nassella-machine-'));
	const ca: Ca = ensureCa();
	log('preparing the VM image and the container images (cached after the first build)');
	const vmImage = await ensureVmImage();
	const images = await ensureImages();
	const certs = join(work, 'certs');
	const regCert = issueCert(ca, certs, 'registry', [...REGISTRY_NAMES, 'localhost'], ['127.0.0.1']);
	const registry = await startRegistry({
		workDir: join(work, 'registry'),
		certFile: regCert.cert,
		keyFile: regCert.key
	});
	await pushImages(registry.url, images.dir, { caFile: ca.cert, skip: opts.skipImages ?? [] });
	const git = await startGitSsh({ workDir: join(work, 'git') });
	const deployPublic = execFileSync('ssh-keygen', ['-y', '-f', deployKeyFile(work)], { encoding: 'utf8' }).trim();
	git.addDeployKey(deployPublic);
	const s3 = await startS3({ workDir: join(work, 's3'), ca, ...S3_KEYS });
	const ntfy = await startSink({ ca, names: ['ntfy.sh'] });
	const mirror = await startMirror({ ca, names: ['mirror.nassella.test'], dir: join(work, 'mirror') });
	mirror.addFile(vmImage.sysextFile);
	mirror.addFile(vmImage.ageTarball);
	const repo = git.repoPath('person/nassella-server.git');
	const derive = await bcryptDeriver();
	// Each app's secrets are made once per lab (as the browser makes them once per deployment).
	const madeSecrets = new Map<string, Record<string, string>>();
	const appSecretsFor = (id: string, given: Record<string, string> = {}) => {
		if (!madeSecrets.has(id)) {
			const manifest = catalog().find((a) => a.id === id);
			if (!manifest) throw new Error(`no app ${id} in the catalog`);
			madeSecrets.set(
				id,
				ensureSecrets(manifest, given, (b) => getRandomValues(b), derive)
			);
		}
		return madeSecrets.get(id)!;
	};
	const labState = { vms: [] as Vm[], acmes: [] as { stop(): Promise<void> | void }[] };

	const lab = {
		/** The secrets the lab made for an app (its generated passwords, the setup gate's cookie value). */
		appSecrets: (id: string): Readonly<Record<string, string>> => appSecretsFor(id),
		work,
		ca,
		vmImage,
		images,
		registry,
		git,
		s3,
		ntfy,
		mirror,
		repo,
		/** ACME is per VM: pebble validates through that VM's forwarded ports. */
		async startAcmeFor(ports: { http: number; https: number }) {
			return startAcme({
				workDir: mkdtempSync(join(work, 'acme-')),
				ca,
				validationHttpPort: ports.http,
				validationTlsPort: ports.https
			});
		},
		/** The deployment a machine boots from, in the shape the browser saves it. */
		deployment(o: MachineConfigOptions): { config: Record<string, unknown>; secrets: Record<string, unknown> } {
			const base = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/configs/one-app.json'), 'utf8'));
			const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');
			const config = {
				...base.config,
				id: 'machine01',
				domain: DOMAIN,
				apps: o.apps,
				dataDevice: '/dev/disk/by-id/virtio-nassella-data',
				backup: { ...base.config.backup, endpoint: S3_HOST, bucket: 'nassella-machine01' },
				git: { url: 'git@github.com:person/nassella-server.git', branch: 'main', hostKeys: [git.hostPublicKey] },
				ntfyTopic: 'https://ntfy.sh/nassella-machine-test',
				composeSysext: {
					version: vmImage.composeVersion,
					sha256: sha(vmImage.sysextFile),
					url: `https://mirror.nassella.test/${basename(vmImage.sysextFile)}`
				},
				age: {
					version: vmImage.ageVersion,
					sha256: sha(vmImage.ageTarball),
					url: `https://mirror.nassella.test/${basename(vmImage.ageTarball)}`
				},
				...(o.restoreFromBackup ? { restoreFromBackup: true } : {}),
				...(o.requests ? { requests: o.requests } : {})
			};
			const secrets = {
				...base.secrets,
				backup: { ...base.secrets.backup, ...S3_KEYS },
				apps: Object.fromEntries(o.apps.map((a) => [a.id, appSecretsFor(a.id, o.appSecrets[a.id])]))
			};
			return { config, secrets };
		},
		/** Renders the deployment without committing (a second machine of the same deployment). */
		async render(d: { config: Record<string, unknown>; secrets: Record<string, unknown> }) {
			const result = await renderServer(d, catalog(), { encrypt: ageEncrypt });
			const out = mkdtempSync(join(work, 'render-'));
			writeOutput(out, result.files, result.ignition);
			return { ignitionPath: join(out, 'ignition.json'), dir: out };
		},
		/** Renders the deployment and commits the bundle, signed by the fixture signer. Returns the Ignition path and commit. */
		async publish(
			d: { config: Record<string, unknown>; secrets: Record<string, unknown> },
			commit: { unsigned?: boolean; message?: string } = {}
		) {
			const result = await renderServer(d, catalog(), { encrypt: ageEncrypt });
			const out = mkdtempSync(join(work, 'render-'));
			writeOutput(out, result.files, result.ignition);
			const sha = commitBundle(repo, join(out, 'bundle'), {
				signingKey: join(FIXTURE_KEYS, 'signer'),
				message: commit.message ?? 'nassella: update the server',
				...(commit.unsigned ? { unsigned: true } : {})
			});
			return { ignitionPath: join(out, 'ignition.json'), commit: sha, dir: out };
		},
		async boot(name: string, ignitionPath: string, opts: { dataDisk?: string; firstBoot?: boolean } = {}) {
			// Pebble validates through the VM's forwarded ports, and the VM reaches pebble through
			// a guestfwd rule: the ports are chosen first, then ACME, then the VM.
			const ports = { http: await freePort(), https: await freePort() };
			const acme = await lab.startAcmeFor(ports);
			const vmWork = mkdtempSync(join(work, `vm-${name}-`));
			const vm = await startVm({
				image: vmImage,
				ignitionPath,
				name,
				workDir: vmWork,
				hostPorts: ports,
				// The data volume: a blank disk of its own unless the scenario hands one over.
				dataDisk: opts.dataDisk ?? join(vmWork, 'data.img'),
				dataDiskSize: 8 * 1024 ** 3,
				guestfwd: [
					{ ip: NET.git, port: 22, hostPort: git.port },
					{ ip: NET.registry, port: 443, hostPort: registry.port },
					{ ip: NET.acme, port: 443, hostPort: acme.port },
					{ ip: NET.s3, port: 443, hostPort: s3.port },
					{ ip: NET.mirror, port: 443, hostPort: mirror.port },
					{ ip: NET.ntfy, port: 443, hostPort: ntfy.port }
				]
			});
			labState.vms.push(vm);
			labState.acmes.push(acme);
			return { vm, acme };
		},
		/** status.json from the admin host, through the VM's HTTPS port, parsed as the app parses it. */
		async status(vm: Vm): Promise<ServerStatus> {
			const a = await httpsGet(vm.ports.https, `nassella.${DOMAIN}`, '/status.json', {
				auth: `${ADMIN.user}:${ADMIN.password}`
			});
			if (a.status !== 200) throw new Error(`status.json answered ${a.status}`);
			return parseServerStatus(JSON.parse(a.body));
		},
		async stop() {
			for (const vm of labState.vms) await Promise.resolve(vm.kill()).catch(() => undefined);
			for (const s of [...labState.acmes, ntfy, mirror, s3, git, registry])
				await Promise.resolve(s.stop()).catch(() => undefined);
			if (!process.env.NASSELLA_MACHINE_KEEP) rmSync(work, { recursive: true, force: true });
		}
	};
	return lab;
}

function basename(p: string): string {
	return p.slice(p.lastIndexOf('/') + 1);
}

/** The fixtures' deploy key, written to a file ssh-keygen can read. */
function deployKeyFile(work: string): string {
	const base = JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/configs/one-app.json'), 'utf8'));
	const dir = join(work, 'keys');
	mkdirSync(dir, { recursive: true });
	const file = join(dir, 'deploy_key');
	writeFileSync(file, base.secrets.deployKey, { mode: 0o600 });
	return file;
}
