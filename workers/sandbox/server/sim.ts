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
 *   checked against the bcrypt hash in the bundle's caddy.env (the Caddyfile names the user).
 *
 * The admin host is found as a browser would: its A record in the sandbox DNS → the server
 * with that address. Time moves lazily: a server catches up whenever it is asked something.
 *
 * This file holds the simulator's state and the server's life (boot, sync, apply, the HTTP
 * answers); beside it: ignition.ts (what it reads from user_data), bundle.ts (what it reads
 * from a bundle), machine.ts (one server's state and status.json), backups.ts (backups,
 * drills and restore), git.ts, journal.ts and restic.ts.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { identityToRecipient } from 'age-encryption';
import { checkHostName } from '../../../src/lib/core/net/proxy-url.ts';
import { checkManifest, MANIFEST_PATH } from '../../../src/lib/core/server/manifest.ts';
import { backupTarget, finishJob, handleRequests, restore, sealedEnv, type BackupContext } from './backups.ts';
import { adminOf, appLines, appsOf, type Bundle } from './bundle.ts';
import { readCommit, readTree, signedByAllowed, type ObjectStore } from './git.ts';
import { readIgnition } from './ignition.ts';
import { serveEntries, type LineSource } from './journal.ts';
import { authorized, iso, log, newMachine, OS_VERSION, short, status, SYNC, type Machine } from './machine.ts';
import { ResticStore } from './restic.ts';

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

export { readIgnition };

export function createServerSim(deps: ServerSimDeps) {
	const timing: ServerSimTiming = { ...DEFAULT_SERVER_TIMING, ...deps.timing };
	const now = deps.now ?? (() => Date.now());
	const restic = new ResticStore();
	const machines = new Map<string, Machine>();
	/** Queued faults by server address; "next" waits for the next server to boot. */
	const faults = new Map<string, ServerFault[]>();
	const authOk = new Set<string>();
	let queue: Promise<void> = Promise.resolve();

	function takeFault(m: Machine, match: (f: ServerFault) => boolean): ServerFault | undefined {
		const list = faults.get(m.cloud.ip) ?? [];
		const i = list.findIndex(match);
		if (i === -1) return undefined;
		return list.splice(i, 1)[0];
	}

	const backups: BackupContext = { restic, timing, takeFault };

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
		// The admin login is read from the sealed caddy.env when the status is first asked for.
		const bundle: Bundle = { commit: head, files, apps: appsOf(files) };
		m.pending = { bundle, at: at + timing.applyMs };
		if (!m.running) {
			// Caddy comes up with the first bundle: the status is readable while the apps start.
			m.apps = Object.fromEntries([...bundle.apps.keys()].map((a) => [a, 'starting']));
			if (m.ign.restoreFromBackup && !m.restoreTried)
				m.restore = { state: 'restoring', steps: [{ name: 'Find the newest backup', state: 'running' }] };
		}
		log(m, at, SYNC, `Applying ${short(head)}: ${bundle.apps.size} app(s).`);
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
			if (!restore(backups, m, at)) {
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
				handleRequests(backups, m, good, at);
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
		handleRequests(backups, m, bundle, at);
	}

	async function advanceOne(m: Machine, at: number) {
		if (at < m.cloud.runningSince) return;
		if (!m.booted) await boot(m);
		if (at - m.lastSync >= timing.syncMs) sync(m, at);
		if (m.pending && at >= m.pending.at) await apply(m, at);
		for (const job of m.jobs.filter((j) => at >= j.doneAt)) {
			m.jobs = m.jobs.filter((j) => j !== job);
			finishJob(backups, m, job, at);
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

	const json = (res: ServerResponse, code: number, body: unknown): void => {
		res
			.writeHead(code, { 'content-type': 'application/json', 'cache-control': 'no-store' })
			.end(body === undefined ? '' : JSON.stringify(body));
	};

	/** The admin login of the bundle Caddy serves: the user in its Caddyfile, the hash in its sealed caddy.env. */
	async function adminOfBundle(m: Machine): Promise<Bundle['admin']> {
		const b = m.running ?? m.pending?.bundle;
		if (!b) return undefined;
		if (!b.adminRead) {
			b.admin = adminOf(b.files, await sealedEnv(m, b.files, 'env/caddy.env.age').catch(() => undefined));
			b.adminRead = true;
		}
		return b.admin;
	}

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
		if (!m || !(await adminOfBundle(m))) return json(res, 502, { error: `Nothing answers at ${host} yet (sandbox).` });
		if (!(await authorized(m, req.headers.authorization, authOk))) return json(res, 401, undefined);
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
