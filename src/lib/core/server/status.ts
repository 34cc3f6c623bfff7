/**
 * What a server reports about itself in `status.json` (written by nassella-sync and the
 * backup script, served by Caddy behind basic auth on the admin host). The file comes
 * from the network, so `parseServerStatus` treats it as hostile: unknown fields are
 * dropped, strings are bounded, and anything malformed becomes a clear error.
 *
 * Version 1. Every field beyond `version` and `checkedAt` is optional, so an older server
 * (or one that has not applied anything yet) still parses.
 */

export type RequestState = 'running' | 'done' | 'failed';

/** A one-off job the app asked for in a commit (`requests.json` in the bundle). */
export interface RequestReport {
	/** The id the app put in `requests.json`; the server handles each id once. */
	id: string;
	state: RequestState;
	at?: string;
	error?: string;
}

export interface SnapshotInfo {
	id: string;
	time: string;
	sizeBytes?: number;
}

export interface BackupReport {
	/** Outcome of the last run. */
	result?: 'ok' | 'failed' | 'running';
	startedAt?: string;
	finishedAt?: string;
	lastSuccess?: string;
	error?: string;
	/** Size of the repository's data, as restic reports it. */
	sizeBytes?: number;
	/** Newest first, at most a few dozen. */
	snapshots?: SnapshotInfo[];
}

export interface DrillReport extends RequestReport {
	/** The snapshot the drill restored. */
	snapshot?: string;
	/** How many files came back, and whether the hooks' dumps were present. */
	files?: number;
}

export interface RestoreReport {
	state: 'restoring' | 'done' | 'failed';
	snapshot?: string;
	/** Plain-language steps with their state, in order. */
	steps?: { name: string; state: RequestState }[];
	error?: string;
}

export interface ServerStatus {
	version: 1;
	/** The commit the server runs (full hex id), or null before the first apply. */
	commit: string | null;
	appliedAt: string | null;
	checkedAt: string;
	/** ok | refused (bad signature, history) | error (apply failed) | rolled-back */
	result: string;
	lastError: string | null;
	/** Per app: "healthy", or a short reason ("not answering (502)", "starting", "unhealthy"). */
	apps: Record<string, string>;
	os: { version: string; update: string | null; rebootWindow?: string };
	backup: BackupReport | null;
	disk?: { data?: { usedBytes: number; totalBytes: number } };
	requests?: { backup?: RequestReport; drill?: DrillReport };
	restore?: RestoreReport;
	/** The server's age public key (its identity); the same after a restore-with-identity. */
	identity?: string;
	/** A plain note when the data volume was not there at start-up: when it was first missed, and when it was mounted. */
	dataVolume?: string;
	/**
	 * Apps that did not start with the applied commit (result "partial"): each runs its previous
	 * version again (`from`, a commit) or is stopped (`from` empty), for the reason given.
	 */
	failedApps?: Record<string, FailedApp>;
}

export interface FailedApp {
	/** Why: the health verdict when its deadline passed ("not answering (502)", "unhealthy", "exited"). */
	reason: string;
	/** The commit whose version it runs again, or "" when it is stopped. */
	from: string;
	/** The commit it did not start with. */
	commit?: string;
	at?: string;
}

export class StatusFormatError extends Error {
	constructor(detail: string) {
		super(`The server's status report could not be read (${detail}).`);
		this.name = 'StatusFormatError';
	}
}

const MAX_TEXT = 500;
const TIME = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})$/;
const HEX = /^[0-9a-f]{7,64}$/;
const NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
const ID = /^[A-Za-z0-9._-]{1,64}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function text(v: unknown, max = MAX_TEXT): string | undefined {
	if (typeof v !== 'string' || v === '') return undefined;
	// Control characters other than tab are dropped; the text is shown as text, never HTML.
	// eslint-disable-next-line no-control-regex
	const clean = v.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
	return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
function time(v: unknown): string | undefined {
	return typeof v === 'string' && TIME.test(v) && !Number.isNaN(Date.parse(v)) ? v : undefined;
}
function count(v: unknown): number | undefined {
	return typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER
		? Math.floor(v)
		: undefined;
}
function state(v: unknown): RequestState | undefined {
	return v === 'running' || v === 'done' || v === 'failed' ? v : undefined;
}
function strip<T extends Obj>(o: T): T {
	for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
	return o;
}

function request(v: unknown): RequestReport | undefined {
	if (!isObj(v) || typeof v.id !== 'string' || !ID.test(v.id)) return undefined;
	const s = state(v.state);
	if (!s) return undefined;
	return strip({ id: v.id, state: s, at: time(v.at), error: text(v.error) });
}

function backup(v: unknown): BackupReport | null {
	if (!isObj(v)) return null;
	const result: BackupReport['result'] =
		v.result === 'ok' || v.result === 'failed' || v.result === 'running' ? v.result : undefined;
	const snapshots = Array.isArray(v.snapshots)
		? v.snapshots
				.slice(0, 100)
				.filter(isObj)
				.map((s) => ({
					id: typeof s.id === 'string' && HEX.test(s.id) ? s.id : '',
					time: time(s.time) ?? '',
					sizeBytes: count(s.sizeBytes)
				}))
				.filter((s) => s.id && s.time)
				.map((s) => strip(s))
		: undefined;
	return strip({
		result,
		startedAt: time(v.startedAt),
		finishedAt: time(v.finishedAt),
		lastSuccess: time(v.lastSuccess),
		error: text(v.error),
		sizeBytes: count(v.sizeBytes),
		snapshots
	});
}

function restore(v: unknown): RestoreReport | undefined {
	if (!isObj(v)) return undefined;
	const s: RestoreReport['state'] | undefined =
		v.state === 'restoring' || v.state === 'done' || v.state === 'failed' ? v.state : undefined;
	if (!s) return undefined;
	const steps = Array.isArray(v.steps)
		? v.steps
				.slice(0, 50)
				.filter(isObj)
				.map((x) => ({ name: text(x.name, 120) ?? '', state: state(x.state) }))
				.filter((x): x is { name: string; state: RequestState } => x.name !== '' && x.state !== undefined)
		: undefined;
	return strip({ state: s, snapshot: text(v.snapshot, 64), steps, error: text(v.error) });
}

function failedApps(v: unknown): Record<string, FailedApp> | undefined {
	if (!isObj(v)) return undefined;
	const out: Record<string, FailedApp> = {};
	for (const [name, x] of Object.entries(v).slice(0, 200)) {
		if (!NAME.test(name) || !isObj(x)) continue;
		const from = typeof x.from === 'string' && (x.from === '' || HEX.test(x.from)) ? x.from : undefined;
		if (from === undefined) continue;
		out[name] = strip({
			reason: text(x.reason, 120) ?? 'not healthy',
			from,
			commit: typeof x.commit === 'string' && HEX.test(x.commit) ? x.commit : undefined,
			at: time(x.at)
		});
	}
	return Object.keys(out).length > 0 ? out : undefined;
}

/** Parses `status.json` text or an already parsed value. Throws StatusFormatError. */
export function parseServerStatus(input: unknown): ServerStatus {
	let v = input;
	if (typeof v === 'string') {
		if (v.length > 1_000_000) throw new StatusFormatError('it is too large');
		try {
			v = JSON.parse(v);
		} catch {
			throw new StatusFormatError('it is not JSON');
		}
	}
	if (!isObj(v)) throw new StatusFormatError('it is not an object');
	if (v.version !== 1) throw new StatusFormatError(`unknown version ${JSON.stringify(v.version)?.slice(0, 20)}`);
	const checkedAt = time(v.checkedAt);
	if (!checkedAt) throw new StatusFormatError('it has no check time');
	const apps: Record<string, string> = {};
	if (isObj(v.apps)) {
		for (const [name, verdict] of Object.entries(v.apps).slice(0, 200)) {
			const t = text(verdict, 120);
			if (NAME.test(name) && t) apps[name] = t;
		}
	}
	const os = isObj(v.os) ? v.os : {};
	const disk = isObj(v.disk) && isObj(v.disk.data) ? v.disk.data : undefined;
	const used = disk ? count(disk.usedBytes) : undefined;
	const total = disk ? count(disk.totalBytes) : undefined;
	const req = isObj(v.requests) ? v.requests : undefined;
	const drill = req ? request(req.drill) : undefined;
	const drillObj = req && isObj(req.drill) ? req.drill : undefined;
	return strip({
		version: 1 as const,
		commit: typeof v.commit === 'string' && HEX.test(v.commit) ? v.commit : null,
		appliedAt: time(v.appliedAt) ?? null,
		checkedAt,
		result: text(v.result, 40) ?? 'unknown',
		lastError: text(v.lastError) ?? null,
		apps,
		os: strip({
			version: text(os.version, 60) ?? 'unknown',
			update: text(os.update, 60) ?? null,
			rebootWindow: text(os.rebootWindow, 120)
		}),
		backup: backup(v.backup),
		disk:
			used !== undefined && total !== undefined && total > 0
				? { data: { usedBytes: used, totalBytes: total } }
				: undefined,
		requests: req
			? strip({
					backup: request(req.backup),
					drill:
						drill && drillObj
							? strip({ ...drill, snapshot: text(drillObj.snapshot, 64), files: count(drillObj.files) })
							: undefined
				})
			: undefined,
		restore: restore(v.restore),
		identity: typeof v.identity === 'string' && /^age1[0-9a-z]{58}$/.test(v.identity) ? v.identity : undefined,
		dataVolume: text(v.dataVolume),
		failedApps: failedApps(v.failedApps)
	}) as ServerStatus;
}

/** The apps among `apps` that did not start with commit `sha` (status "partial"), in plain words each. */
export function failedWith(status: ServerStatus, sha: string, apps: readonly string[]): string[] {
	if (status.commit !== sha || !status.failedApps) return [];
	return apps.flatMap((id) => {
		const f = status.failedApps?.[id];
		if (!f) return [];
		const what = f.from === '' ? 'it is stopped' : 'it runs its previous version again';
		return [`${id} did not start (${f.reason}); ${what}`];
	});
}

/** True when every app the bundle runs reports "healthy". */
export function allHealthy(status: ServerStatus, apps: readonly string[]): boolean {
	return apps.length > 0 ? apps.every((a) => status.apps[a] === 'healthy') : Object.keys(status.apps).length > 0;
}
