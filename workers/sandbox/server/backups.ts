/** Backups, restore drills and restore-from-backup on a simulated server, against the shared simulated restic repositories. */
import { Decrypter, armor } from 'age-encryption';
import type { DrillReport, RestoreReport } from '../../../src/lib/core/server/status.ts';
import type { Bundle } from './bundle.ts';
import { BACKUP, iso, log, RESTORE, SYNC, type Job, type Machine } from './machine.ts';
import { ResticError, type ResticStore } from './restic.ts';
import type { ServerFault, ServerSimTiming } from './sim.ts';

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** What the backup jobs use of the simulator: the restic repositories, the timing and the queued faults. */
export interface BackupContext {
	restic: ResticStore;
	timing: ServerSimTiming;
	takeFault(m: Machine, match: (f: ServerFault) => boolean): ServerFault | undefined;
}

/** An env file of the bundle sealed to this server (`env/<name>.age`), decrypted with its identity. */
export async function sealedEnv(m: Machine, files: Map<string, string>, path: string) {
	const sealed = files.get(path);
	if (!sealed || !m.ign.ageIdentity) return undefined;
	const d = new Decrypter();
	d.addIdentity(m.ign.ageIdentity);
	const text = new TextDecoder().decode(await d.decrypt(armor.decode(sealed)));
	const env = new Map<string, string>();
	for (const line of text.split('\n')) {
		const eq = line.indexOf('=');
		if (eq > 0) env.set(line.slice(0, eq).trim(), line.slice(eq + 1).replace(/^['"]|['"]$/g, ''));
	}
	return env;
}

/** The backup target (restic repository and password) sealed to this server in the bundle. */
export async function backupTarget(m: Machine, files: Map<string, string>) {
	const env = await sealedEnv(m, files, 'env/backup.env.age');
	if (!env) return undefined;
	const repository = env.get('RESTIC_REPOSITORY');
	const password = env.get('RESTIC_PASSWORD');
	return repository && password ? { repository, password } : undefined;
}

/** Restores the newest snapshot onto the empty data volume; false when it failed. */
export function restore(ctx: BackupContext, m: Machine, at: number): boolean {
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
	if (ctx.takeFault(m, (f) => f.fault === 'restore-fails'))
		return fail('Find the newest backup', 'restic could not read the backup repository (a queued sandbox fault).');
	if (!m.backupTarget) return fail('Find the newest backup', 'This server has no backup target to restore from.');
	let snap;
	try {
		snap = ctx.restic.latest(m.backupTarget.repository, m.backupTarget.password);
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

/** Starts the backups and drills that requests.json asks for and this server has not handled yet. */
export function handleRequests(ctx: BackupContext, m: Machine, bundle: Bundle, at: number) {
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
		m.jobs.push({ kind, id, startedAt: at, doneAt: at + ctx.timing.backupMs });
		log(
			m,
			at,
			BACKUP,
			kind === 'backup' ? `Backup ${id} asked for: starting.` : `Restore drill ${id} asked for: starting.`
		);
		if (kind === 'backup') m.backup = { ...(m.backup ?? {}), result: 'running', startedAt: iso(at) };
	}
}

export function finishJob(ctx: BackupContext, m: Machine, job: Job, at: number) {
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
		if (ctx.takeFault(m, (f) => f.fault === 'backup-fails'))
			return failed('restic could not reach the backup storage (a queued sandbox fault).');
		if (!target) return failed('This server has no backup target.');
		try {
			const snap = ctx.restic.backup(target.repository, target.password, `nassella-${m.cloud.name}`, m.data, at);
			const list = ctx.restic.snapshots(target.repository, target.password).slice(0, 30);
			m.backup = {
				result: 'ok',
				startedAt: iso(job.startedAt),
				finishedAt: iso(at),
				lastSuccess: iso(at),
				sizeBytes: ctx.restic.size(target.repository, target.password),
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
		const snap = ctx.restic.latest(target.repository, target.password);
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
