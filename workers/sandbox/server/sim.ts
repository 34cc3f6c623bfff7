/**
 * SANDBOX STAND-IN FOR A FLATCAR SERVER. A real nassella server is a Flatcar VM that runs
 * Ignition, pulls the signed bundle with git, starts it with Docker Compose, and serves its
 * status and journal through Caddy. None of that can run here, so this module plays the
 * server's part for every running server in the sandbox clouds, from the same inputs:
 *
 * - the Ignition config the app sent as user_data (repo, branch, allowed signers, age
 *   identity, restore-from-backup, update window);
 * - the bundle, read from the sandbox git host in-process; the commit's SSH signature is
 *   checked against the allowed signers and the files against MANIFEST.sha256;
 * - apps "start" a short while after a new commit (every app in services.list becomes
 *   healthy unless a fault is queued; an unhealthy app sends the server back to the last
 *   good commit, "rolled-back");
 * - requests.json (backup, drill), a simulated restic repository per backup target shared
 *   by all sandbox servers, and restore-from-backup on first start before any app starts;
 * - status.json in the ServerStatus shape and a gatewayd-shaped journal, behind basic auth
 *   checked against the bcrypt hash in the bundle's Caddyfile.
 *
 * The admin host is found as a browser would: its A record in the sandbox DNS → the server
 * with that address. Time moves lazily: a server catches up whenever it is asked something.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { identityToRecipient, Decrypter, armor } from 'age-encryption';
import { checkHostName } from '../../../src/lib/core/net/proxy-url.ts';
import { checkManifest, MANIFEST_PATH } from '../../../src/lib/core/server/manifest.ts';
import type { BackupReport, DrillReport, RequestReport, RestoreReport } from '../../../src/lib/core/server/status.ts';
import { readCommit, readTree, signedByAllowed, type ObjectStore } from './git.ts';
import { Journal, serveEntries, type LineSource } from './journal.ts';
import { ResticError, ResticStore } from './restic.ts';

export interface ServerSimTiming {
	/** From fetching a new commit to its apps running. */
	applyMs: number;
	/** How often a server looks for a new commit. */
	syncMs: number;
	/** How long a requested backup or drill takes. */
	backupMs: number;
}

export const DEFAULT_SERVER_TIMING: ServerSimTiming = { applyMs: 1500, syncMs: 1000, backupMs: 1000 };

/** A server as a sandbox cloud fake holds it. */
export interface CloudMachine {
	provider: string;
	id: string;
	name: string;
	ip: string;
	userData: string;
	/** When it counts as booted (ms since epoch). */
	runningSince: number;
	/** Size of its data volume, when known. */
	dataBytes?: number;
}

export interface GitSource {
	objects(fullName: string): ObjectStore | undefined;
	refs(fullName: string): Map<string, string> | undefined;
}

export interface ServerSimDeps {
	machines(): CloudMachine[];
	lookup(name: string, type: string): { values: string[] } | undefined;
	git(): GitSource | undefined;
	timing?: Partial<ServerSimTiming>;
	now?: () => number;
}

export type ServerFault =
	{ fault: 'app-unhealthy'; app: string } | { fault: 'backup-fails' } | { fault: 'restore-fails' };

const APP_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const OS_VERSION = '4230.2.3';
const SYNC: LineSource = { unit: 'nassella-sync.service', identifier: 'nassella-sync' };
const BACKUP: LineSource = { unit: 'nassella-backup.service', identifier: 'nassella-backup' };
const RESTORE: LineSource = { unit: 'nassella-sync.service', identifier: 'nassella-restore' };

interface Ignition {
	repo: string;
	branch: string;
	allowedSigners: string;
	ageIdentity: string;
	restoreFromBackup: boolean;
	rebootWindow?: string;
}

interface Bundle {
	commit: string;
	files: Map<string, string>;
	/** app → its Compose services */
	apps: Map<string, string[]>;
	admin?: { user: string; hash: string };
}

interface Job {
	kind: 'backup' | 'drill';
	id: string;
	startedAt: number;
	doneAt: number;
}

interface Machine {
	key: string;
	cloud: CloudMachine;
	ign: Ignition;
	journal: Journal;
	identity?: string;
	booted: boolean;
	lastSync: number;
	checkedAt: number;
	seenHead?: string;
	emptyNoted?: boolean;
	pending?: { bundle: Bundle; at: number };
	running?: Bundle;
	lastGood?: Bundle;
	commit: string | null;
	appliedAt: number | null;
	result: string;
	lastError: string | null;
	apps: Record<string, string>;
	started: boolean;
	data: Map<string, string>;
	backup: BackupReport | null;
	backupTarget?: { repository: string; password: string };
	requests: { backup?: RequestReport; drill?: DrillReport };
	handled: { backup?: string; drill?: string };
	jobs: Job[];
	restore?: RestoreReport;
	restoreTried: boolean;
}

function dataUrlText(source: string): string {
	const comma = source.indexOf(',');
	if (!source.startsWith('data:') || comma === -1) return '';
	const meta = source.slice(5, comma);
	const body = source.slice(comma + 1);
	return meta.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
}

/** The parts of a nassella Ignition config the server acts on; undefined for anything else. */
export function readIgnition(userData: string): Ignition | undefined {
	let doc: {
		ignition?: { version?: unknown };
		storage?: { files?: { path?: unknown; contents?: { source?: unknown } }[] };
	};
	try {
		doc = JSON.parse(userData) as typeof doc;
	} catch {
		return undefined;
	}
	if (typeof doc?.ignition?.version !== 'string') return undefined;
	const files = new Map<string, string>();
	for (const f of doc.storage?.files ?? [])
		if (typeof f.path === 'string' && typeof f.contents?.source === 'string')
			files.set(f.path, dataUrlText(f.contents.source));
	const sync = files.get('/etc/nassella/sync.conf');
	if (!sync) return undefined;
	const value = (name: string) => new RegExp(`^${name}='([^']*)'$`, 'm').exec(sync)?.[1];
	const remote = value('REMOTE_URL') ?? '';
	const repo = /^(?:ssh:\/\/)?git@[^:/]+[:/]([A-Za-z0-9._-]+\/[A-Za-z0-9._-]+?)(?:\.git)?$/.exec(remote)?.[1];
	if (!repo) return undefined;
	const update = files.get('/etc/flatcar/update.conf') ?? '';
	const start = /LOCKSMITHD_REBOOT_WINDOW_START="?([^"\n]+)"?/.exec(update)?.[1];
	const length = /LOCKSMITHD_REBOOT_WINDOW_LENGTH=(\S+)/.exec(update)?.[1];
	return {
		repo,
		branch: value('BRANCH') ?? 'main',
		allowedSigners: files.get('/etc/nassella/allowed_signers') ?? '',
		ageIdentity: (files.get('/etc/nassella/age-identity') ?? '').trim(),
		restoreFromBackup: files.has('/etc/nassella/restore-from-backup'),
		rebootWindow: start ? `${start}${length ? ` for ${length}` : ''}` : undefined
	};
}

function appsOf(files: Map<string, string>): Map<string, string[]> {
	const apps = new Map<string, string[]>();
	for (const line of (files.get('services.list') ?? '').split('\n')) {
		const [app, service] = line.trim().split(/\s+/);
		if (!app || !service || app === 'nassella' || !APP_NAME.test(app)) continue;
		apps.set(app, [...(apps.get(app) ?? []), service]);
	}
	return apps;
}

function adminOf(files: Map<string, string>): Bundle['admin'] {
	const m = /basicauth \{\s*\n\s*([a-z][a-z0-9_-]{0,31}) (\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53})\s*\n/.exec(
		files.get('Caddyfile') ?? ''
	);
	return m ? { user: m[1]!, hash: m[2]! } : undefined;
}

const short = (commit: string) => commit.slice(0, 7);
const iso = (ms: number) => new Date(ms).toISOString();

/** A few plausible lines an app's containers write when they start. */
function appLines(app: string, services: string[]): string[][] {
	return services.flatMap((s, i) =>
		i === 0
			? [
					[s, `Starting ${app}…`],
					[s, `${app}: configuration loaded from the environment`],
					[s, `${app}: listening for connections`],
					[s, 'GET /health 200']
				]
			: [
					[s, `${s}: ready to accept connections`],
					[s, `${s}: database system is ready`]
				]
	);
}

export function createServerSim(deps: ServerSimDeps) {
	const timing: ServerSimTiming = { ...DEFAULT_SERVER_TIMING, ...deps.timing };
	const now = deps.now ?? (() => Date.now());
	const restic = new ResticStore();
	const machines = new Map<string, Machine>();
	/** Queued faults by server address; "next" waits for the next server to boot. */
	const faults = new Map<string, ServerFault[]>();
	const authOk = new Set<string>();
	let queue: Promise<void> = Promise.resolve();

	function log(m: Machine, at: number, source: LineSource, message: string) {
		m.journal.write(at, source, message);
	}

	function takeFault(m: Machine, match: (f: ServerFault) => boolean): ServerFault | undefined {
		const list = faults.get(m.cloud.ip) ?? [];
		const i = list.findIndex(match);
		if (i === -1) return undefined;
		return list.splice(i, 1)[0];
	}

	function newMachine(c: CloudMachine, ign: Ignition): Machine {
		return {
			key: `${c.provider}:${c.id}`,
			cloud: c,
			ign,
			journal: new Journal(),
			booted: false,
			lastSync: -Infinity,
			checkedAt: c.runningSince,
			commit: null,
			appliedAt: null,
			result: 'starting',
			lastError: null,
			apps: {},
			started: false,
			data: new Map(),
			backup: null,
			requests: {},
			handled: {},
			jobs: [],
			restoreTried: false
		};
	}

	async function boot(m: Machine) {
		m.booted = true;
		const at = m.cloud.runningSince;
		const next = faults.get('next');
		if (next?.length) {
			faults.set(m.cloud.ip, [...(faults.get(m.cloud.ip) ?? []), ...next]);
			faults.delete('next');
		}
		const kernel: LineSource = { identifier: 'kernel', transport: 'kernel', priority: 5 };
		log(m, at, kernel, `Linux version 6.6.60-flatcar (sandbox stand-in for Flatcar Container Linux ${OS_VERSION})`);
		log(m, at, { identifier: 'ignition', unit: 'ignition-files.service' }, 'files: op(1): wrote the nassella settings');
		log(m, at, { identifier: 'systemd', unit: 'init.scope' }, 'Started nassella-format-data.service.');
		log(m, at, { identifier: 'systemd', unit: 'init.scope' }, 'Started nassella-sync.timer.');
		log(m, at, SYNC, `This is a sandbox stand-in for a Flatcar server; it follows ${m.ign.repo} (${m.ign.branch}).`);
		if (m.ign.ageIdentity) {
			try {
				m.identity = await identityToRecipient(m.ign.ageIdentity);
			} catch {
				m.identity = undefined;
			}
		}
	}

	async function backupTarget(m: Machine, files: Map<string, string>) {
		const sealed = files.get('env/backup.env.age');
		if (!sealed || !m.ign.ageIdentity) return undefined;
		const d = new Decrypter();
		d.addIdentity(m.ign.ageIdentity);
		const text = new TextDecoder().decode(await d.decrypt(armor.decode(sealed)));
		const env = new Map<string, string>();
		for (const line of text.split('\n')) {
			const eq = line.indexOf('=');
			if (eq > 0) env.set(line.slice(0, eq).trim(), line.slice(eq + 1).replace(/^['"]|['"]$/g, ''));
		}
		const repository = env.get('RESTIC_REPOSITORY');
		const password = env.get('RESTIC_PASSWORD');
		return repository && password ? { repository, password } : undefined;
	}

	function sync(m: Machine, at: number) {
		m.lastSync = at;
		m.checkedAt = at;
		const git = deps.git();
		const head = git?.refs(m.ign.repo)?.get(`refs/heads/${m.ign.branch}`);
		const objects = git?.objects(m.ign.repo);
		if (!head || !objects) {
			if (!m.emptyNoted) log(m, at, SYNC, 'The settings repository has no commit yet; waiting.');
			m.emptyNoted = true;
			return;
		}
		if (head === m.seenHead || head === m.pending?.bundle.commit) return;
		m.seenHead = head;
		log(m, at, SYNC, `Fetched ${short(head)} from ${m.ign.repo}.`);
		let files: Map<string, string>;
		try {
			const commit = readCommit(objects, head);
			if (!signedByAllowed(commit, m.ign.allowedSigners)) {
				m.result = 'refused';
				m.lastError = `Commit ${short(head)} is not signed by a key this server trusts; it was not applied.`;
				log(m, at, { ...SYNC, priority: 3 }, m.lastError);
				return;
			}
			log(m, at, SYNC, `Good "git" signature on ${short(head)}.`);
			files = readTree(objects, commit.tree);
		} catch (error) {
			m.result = 'error';
			m.lastError = `Commit ${short(head)} could not be read: ${(error as Error).message}.`;
			log(m, at, { ...SYNC, priority: 3 }, m.lastError);
			return;
		}
		const problems = checkManifest(
			files.get(MANIFEST_PATH) ?? '',
			[...files].map(([path, contents]) => ({ path, contents }))
		);
		if (!files.has(MANIFEST_PATH) || problems.length) {
			m.result = 'refused';
			m.lastError = `Commit ${short(head)} does not match its manifest (${problems[0] ?? 'no MANIFEST.sha256'}); it was not applied.`;
			log(m, at, { ...SYNC, priority: 3 }, m.lastError);
			return;
		}
		const bundle: Bundle = { commit: head, files, apps: appsOf(files), admin: adminOf(files) };
		m.pending = { bundle, at: at + timing.applyMs };
		if (!m.running) {
			// Caddy comes up with the first bundle: the status is readable while the apps start.
			m.apps = Object.fromEntries([...bundle.apps.keys()].map((a) => [a, 'starting']));
			if (m.ign.restoreFromBackup && !m.restoreTried)
				m.restore = { state: 'restoring', steps: [{ name: 'Find the newest backup', state: 'running' }] };
		}
		log(m, at, SYNC, `Applying ${short(head)}: ${bundle.apps.size} app(s).`);
	}

	/** Restores the newest snapshot onto the empty data volume; false when it failed. */
	function restore(m: Machine, at: number): boolean {
		m.restoreTried = true;
		const steps: RestoreReport['steps'] = [];
		const fail = (step: string, error: string) => {
			steps.push({ name: step, state: 'failed' });
			m.restore = { state: 'failed', steps, error };
			log(m, at, { ...RESTORE, priority: 3 }, `Restore failed: ${error}`);
			log(m, at, { ...RESTORE, priority: 3 }, 'The apps are not started on an empty data volume.');
			return false;
		};
		log(m, at, RESTORE, 'Restoring the newest backup before any app starts.');
		if (takeFault(m, (f) => f.fault === 'restore-fails'))
			return fail('Find the newest backup', 'restic could not read the backup repository (a queued sandbox fault).');
		if (!m.backupTarget) return fail('Find the newest backup', 'This server has no backup target to restore from.');
		let snap;
		try {
			snap = restic.latest(m.backupTarget.repository, m.backupTarget.password);
		} catch (error) {
			return fail('Find the newest backup', error instanceof ResticError ? error.message : 'restic failed.');
		}
		steps.push({ name: 'Find the newest backup', state: 'done' });
		log(m, at, RESTORE, `restoring snapshot ${snap.id.slice(0, 8)} of ${snap.time} (${snap.host})`);
		m.data = new Map(snap.files);
		steps.push({ name: 'Restore the data volume', state: 'done' });
		log(m, at, RESTORE, `Restored ${snap.files.size} files.`);
		steps.push({ name: "Load the apps' databases", state: 'done' });
		steps.push({ name: 'Start the apps', state: 'done' });
		m.restore = { state: 'done', snapshot: snap.id.slice(0, 8), steps };
		return true;
	}

	function startApps(m: Machine, bundle: Bundle, at: number) {
		const before = new Set(m.running?.apps.keys() ?? []);
		for (const [app, services] of bundle.apps) {
			if (before.has(app)) continue;
			for (const [service, line] of appLines(app, services))
				log(m, at, { container: `nassella-${service}-1`, identifier: service!, unit: 'docker.service' }, line!);
			const file = `data/${app}/${app}.db`;
			if (!m.data.has(file)) m.data.set(file, `${app} data, first started on ${m.cloud.name} at ${iso(at)}\n`);
		}
		for (const app of before)
			if (!bundle.apps.has(app)) log(m, at, SYNC, `Stopped ${app}: it is no longer in the settings.`);
	}

	async function apply(m: Machine, at: number) {
		const { bundle } = m.pending!;
		m.pending = undefined;
		try {
			m.backupTarget = await backupTarget(m, bundle.files);
		} catch {
			m.backupTarget = undefined;
			log(m, at, { ...SYNC, priority: 4 }, 'The backup settings could not be decrypted with this server’s identity.');
		}
		if (!m.started && m.ign.restoreFromBackup && (!m.restoreTried || m.restore?.state === 'failed')) {
			if (!restore(m, at)) {
				m.running = bundle;
				m.result = 'error';
				m.lastError = m.restore?.error ?? 'The restore failed.';
				m.apps = Object.fromEntries([...bundle.apps.keys()].map((a) => [a, 'not started (restore failed)']));
				return;
			}
		}
		const unhealthy = [...bundle.apps.keys()].filter((app) =>
			takeFault(m, (f) => f.fault === 'app-unhealthy' && f.app === app)
		);
		if (unhealthy.length) {
			for (const app of unhealthy)
				log(
					m,
					at,
					{ container: `nassella-${bundle.apps.get(app)![0]}-1`, identifier: app, unit: 'docker.service', priority: 3 },
					`${app}: health check failed (a queued sandbox fault)`
				);
			const names = unhealthy.join(', ');
			if (m.lastGood && m.lastGood.commit !== bundle.commit) {
				const good = m.lastGood;
				m.running = good;
				m.commit = good.commit;
				m.appliedAt = at;
				m.result = 'rolled-back';
				m.lastError = `${names} did not become healthy with ${short(bundle.commit)}; went back to ${short(good.commit)}.`;
				m.apps = Object.fromEntries([...good.apps.keys()].map((a) => [a, 'healthy']));
				log(m, at, { ...SYNC, priority: 3 }, m.lastError);
				handleRequests(m, good, at);
				return;
			}
			m.running = bundle;
			m.started = true;
			m.commit = bundle.commit;
			m.appliedAt = at;
			m.result = 'error';
			m.lastError = `${names} did not become healthy with ${short(bundle.commit)}.`;
			m.apps = Object.fromEntries(
				[...bundle.apps.keys()].map((a) => [a, unhealthy.includes(a) ? 'unhealthy' : 'healthy'])
			);
			log(m, at, { ...SYNC, priority: 3 }, m.lastError);
			return;
		}
		startApps(m, bundle, at);
		m.running = bundle;
		m.lastGood = bundle;
		m.started = true;
		m.commit = bundle.commit;
		m.appliedAt = at;
		m.result = 'ok';
		m.lastError = null;
		m.apps = Object.fromEntries([...bundle.apps.keys()].map((a) => [a, 'healthy']));
		log(m, at, SYNC, `Applied ${short(bundle.commit)}; every app answers its health check.`);
		handleRequests(m, bundle, at);
	}

	function handleRequests(m: Machine, bundle: Bundle, at: number) {
		let asked: Record<string, unknown> = {};
		try {
			const parsed: unknown = JSON.parse(bundle.files.get('requests.json') ?? '{}');
			if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) asked = parsed as Record<string, unknown>;
		} catch {
			log(m, at, { ...SYNC, priority: 4 }, 'requests.json is not valid JSON; ignored.');
		}
		for (const kind of ['backup', 'drill'] as const) {
			const id = asked[kind];
			if (typeof id !== 'string' || !REQUEST_ID.test(id) || m.handled[kind] === id) continue;
			m.handled[kind] = id;
			m.requests[kind] = { id, state: 'running', at: iso(at) };
			m.jobs.push({ kind, id, startedAt: at, doneAt: at + timing.backupMs });
			log(
				m,
				at,
				BACKUP,
				kind === 'backup' ? `Backup ${id} asked for: starting.` : `Restore drill ${id} asked for: starting.`
			);
			if (kind === 'backup') m.backup = { ...(m.backup ?? {}), result: 'running', startedAt: iso(at) };
		}
	}

	function finishJob(m: Machine, job: Job, at: number) {
		const report = (state: 'done' | 'failed', extra: Partial<DrillReport> = {}) => {
			m.requests[job.kind] = { id: job.id, state, at: iso(at), ...extra };
		};
		const target = m.backupTarget;
		if (job.kind === 'backup') {
			const failed = (error: string) => {
				m.backup = { ...(m.backup ?? {}), result: 'failed', startedAt: iso(job.startedAt), finishedAt: iso(at), error };
				report('failed', { error });
				log(m, at, { ...BACKUP, priority: 3 }, `Backup failed: ${error}`);
			};
			if (takeFault(m, (f) => f.fault === 'backup-fails'))
				return failed('restic could not reach the backup storage (a queued sandbox fault).');
			if (!target) return failed('This server has no backup target.');
			try {
				const snap = restic.backup(target.repository, target.password, `nassella-${m.cloud.name}`, m.data, at);
				const list = restic.snapshots(target.repository, target.password).slice(0, 30);
				m.backup = {
					result: 'ok',
					startedAt: iso(job.startedAt),
					finishedAt: iso(at),
					lastSuccess: iso(at),
					sizeBytes: restic.size(target.repository, target.password),
					snapshots: list.map((s) => ({ id: s.id, time: s.time, sizeBytes: s.sizeBytes }))
				};
				report('done');
				log(m, at, BACKUP, `snapshot ${snap.id.slice(0, 8)} saved (${snap.files.size} files)`);
			} catch (error) {
				failed(error instanceof ResticError ? error.message : 'restic failed.');
			}
			return;
		}
		if (!target) {
			report('failed', { error: 'This server has no backup target.' });
			return;
		}
		try {
			const snap = restic.latest(target.repository, target.password);
			report('done', { snapshot: snap.id.slice(0, 8), files: snap.files.size });
			log(
				m,
				at,
				BACKUP,
				`Restore drill: snapshot ${snap.id.slice(0, 8)} restored to a throwaway folder, ${snap.files.size} files.`
			);
		} catch (error) {
			const message = error instanceof ResticError ? error.message : 'restic failed.';
			report('failed', { error: message });
			log(m, at, { ...BACKUP, priority: 3 }, `Restore drill failed: ${message}`);
		}
	}

	async function advanceOne(m: Machine, at: number) {
		if (at < m.cloud.runningSince) return;
		if (!m.booted) await boot(m);
		if (at - m.lastSync >= timing.syncMs) sync(m, at);
		if (m.pending && at >= m.pending.at) await apply(m, at);
		for (const job of m.jobs.filter((j) => at >= j.doneAt)) {
			m.jobs = m.jobs.filter((j) => j !== job);
			finishJob(m, job, at);
		}
	}

	/** Brings every server up to now; calls are serialized. */
	function refresh(): Promise<void> {
		const run = async () => {
			const seen = new Set<string>();
			for (const c of deps.machines()) {
				const key = `${c.provider}:${c.id}`;
				seen.add(key);
				let m = machines.get(key);
				if (!m) {
					const ign = readIgnition(c.userData);
					if (!ign) continue;
					m = newMachine(c, ign);
					machines.set(key, m);
				}
				m.cloud = c;
				await advanceOne(m, now());
			}
			for (const key of machines.keys()) if (!seen.has(key)) machines.delete(key);
		};
		queue = queue.then(run, run);
		return queue;
	}

	function machineAt(host: string): Machine | undefined {
		const ips = deps.lookup(host, 'A')?.values ?? [];
		return [...machines.values()].find((m) => ips.includes(m.cloud.ip) && m.booted);
	}

	function status(m: Machine) {
		let used = 180 * 1024 * 1024;
		for (const [p, c] of m.data) used += p.length + c.length;
		return {
			version: 1,
			commit: m.commit,
			appliedAt: m.appliedAt === null ? null : iso(m.appliedAt),
			checkedAt: iso(m.checkedAt),
			result: m.result,
			lastError: m.lastError,
			apps: m.apps,
			os: { version: OS_VERSION, update: null, ...(m.ign.rebootWindow ? { rebootWindow: m.ign.rebootWindow } : {}) },
			backup: m.backup,
			disk: { data: { usedBytes: used, totalBytes: m.cloud.dataBytes ?? 10 * 1024 ** 3 } },
			...(m.requests.backup || m.requests.drill ? { requests: m.requests } : {}),
			...(m.restore ? { restore: m.restore } : {}),
			...(m.identity ? { identity: m.identity } : {}),
			sandbox: 'This server is a sandbox stand-in for a Flatcar VM.'
		};
	}

	async function authorized(m: Machine, header: string | undefined): Promise<boolean> {
		const admin = (m.running ?? m.pending?.bundle)?.admin;
		if (!admin || !header?.startsWith('Basic ')) return false;
		const key = `${header}\u0000${admin.user}\u0000${admin.hash}`;
		if (authOk.has(key)) return true;
		const decoded = Buffer.from(header.slice(6), 'base64').toString('utf8');
		const colon = decoded.indexOf(':');
		if (colon === -1) return false;
		const user = decoded.slice(0, colon);
		const password = decoded.slice(colon + 1);
		if (user !== admin.user) return false;
		const { compare } = await import('bcryptjs');
		if (!(await compare(password, admin.hash))) return false;
		if (authOk.size > 200) authOk.clear();
		authOk.add(key);
		return true;
	}

	const json = (res: ServerResponse, code: number, body: unknown): void => {
		res
			.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' })
			.end(body === undefined ? '' : JSON.stringify(body));
	};

	/** `/sandbox/server/<host>/status.json` and `/sandbox/server/<host>/journal/entries`. */
	async function handle(
		req: IncomingMessage,
		res: ServerResponse,
		rest: string,
		search: URLSearchParams
	): Promise<void> {
		const slash = rest.indexOf('/');
		const host = slash === -1 ? rest : rest.slice(0, slash);
		const path = slash === -1 ? '/' : rest.slice(slash);
		if (checkHostName(host)) return json(res, 400, { error: 'Not a host name.' });
		if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'Only GET.' });
		await refresh();
		const m = machineAt(host);
		// As a browser would see it: no address, or nothing listening there yet.
		if (!m || !(m.running ?? m.pending?.bundle)?.admin)
			return json(res, 502, { error: `Nothing answers at ${host} yet (sandbox).` });
		if (!(await authorized(m, req.headers.authorization))) return json(res, 401, undefined);
		if (path === '/status.json') return json(res, 200, status(m));
		if (path === '/journal/entries')
			return serveEntries(m.journal, req, res, search, { refresh, followMs: 60_000, pollMs: 250 });
		return json(res, 404, { error: 'Not found.' });
	}

	return {
		timing,
		restic,
		refresh,
		handle,
		/** Queues a fault for the server at `ip` (or "next": the next server to boot). */
		queueFault(ip: string, fault: ServerFault) {
			faults.set(ip, [...(faults.get(ip) ?? []), fault]);
			return faults.get(ip)!.length;
		},
		ipOf(host: string): string | undefined {
			return deps.lookup(host, 'A')?.values[0];
		},
		state() {
			return {
				label: 'Sandbox stand-ins for Flatcar servers',
				timing,
				servers: [...machines.values()].map((m) => ({
					key: m.key,
					name: m.cloud.name,
					ip: m.cloud.ip,
					repo: m.ign.repo,
					restoreFromBackup: m.ign.restoreFromBackup,
					status: m.booted ? status(m) : undefined,
					journalEntries: m.journal.entries.length,
					/** The simulated data volume (paths and contents), to compare after a restore. */
					data: Object.fromEntries(m.data)
				})),
				faults: Object.fromEntries(faults),
				restic: restic.summary()
			};
		}
	};
}

export type ServerSim = ReturnType<typeof createServerSim>;
