/** One simulated server: its state, its journal lines, a fresh one as it boots, its status.json and its basic-auth check. */
import type { BackupReport, DrillReport, RequestReport, RestoreReport } from '../../../src/lib/core/server/status.ts';
import type { Bundle } from './bundle.ts';
import type { Ignition } from './ignition.ts';
import { Journal, type LineSource } from './journal.ts';
import type { CloudMachine } from './sim.ts';

export const OS_VERSION = '4230.2.3';
export const SYNC: LineSource = { unit: 'nassella-sync.service', identifier: 'nassella-sync' };
export const BACKUP: LineSource = { unit: 'nassella-backup.service', identifier: 'nassella-backup' };
export const RESTORE: LineSource = { unit: 'nassella-sync.service', identifier: 'nassella-restore' };

export interface Job {
	kind: 'backup' | 'drill';
	id: string;
	startedAt: number;
	doneAt: number;
}

export interface Machine {
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

export const short = (commit: string) => commit.slice(0, 7);
export const iso = (ms: number) => new Date(ms).toISOString();

export function log(m: Machine, at: number, source: LineSource, message: string) {
	m.journal.write(at, source, message);
}

export function newMachine(c: CloudMachine, ign: Ignition): Machine {
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

/** status.json in the ServerStatus shape. */
export function status(m: Machine) {
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

/** Basic auth against the admin hash of the bundle (sealed in its caddy.env); `authOk` keeps the headers already checked, as bcrypt is slow. */
export async function authorized(m: Machine, header: string | undefined, authOk: Set<string>): Promise<boolean> {
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
