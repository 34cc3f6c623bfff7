/**
 * Changing a running server: the settings the dashboard manages (apps, their inputs, the
 * ntfy topic, one-off requests) are kept per deployment in the vault with the commits
 * made from them. A change regenerates the bundle and commits it signed through the git
 * host port, on top of the head it has just read; the server then applies it by itself.
 *
 * Nothing is lost when a commit fails: the wanted settings stay in the record as a draft
 * with the error, and "try again" commits the same draft.
 */
import { describeError, isProviderError } from '../../core/errors.ts';
import { failedWith, type ServerStatus } from '../../core/server/status.ts';
import type { BundleFile, CommitSigner, GitHost, RepoRef } from '../../ports/git-host.ts';
import type { ServerLink } from '../../ports/server.ts';
import type { AppliedCommit, Draft, ServerSettings, SettingsRecord } from '../../core/deploy/stored.ts';
import type { RecordVault } from '../../ports/vault.ts';

export type { AppliedCommit, Draft, ServerSettings, SettingsRecord };
const HISTORY_MAX = 30;
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;
const NTFY_MAX = 300;

export function checkNtfyTopic(value: string): { ok: true; url: string | undefined } | { ok: false; reason: string } {
	const v = value.trim();
	if (v === '') return { ok: true, url: undefined };
	if (v.length > NTFY_MAX) return { ok: false, reason: 'This address is too long.' };
	let url: URL;
	try {
		url = new URL(v);
	} catch {
		return { ok: false, reason: 'Enter the full address, for example https://ntfy.sh/a-long-secret-name.' };
	}
	if (url.protocol !== 'https:')
		return { ok: false, reason: 'The address must start with https:// so messages travel encrypted.' };
	if (url.port) return { ok: false, reason: 'The address cannot carry a port number.' };
	if (url.username || url.password || url.search || url.hash)
		return { ok: false, reason: 'Enter only the topic address, without a password, “?” or “#” part.' };
	const topic = url.pathname.replace(/^\/+|\/+$/g, '');
	if (!/^[A-Za-z0-9_-]{1,64}$/.test(topic))
		return { ok: false, reason: 'The address must end with the topic name (letters, digits, - and _ only).' };
	return { ok: true, url: `${url.origin}/${topic}` };
}

/** A fresh id for `requests.json`, e.g. `backup-20261125T2301-k3j9`. */
export function requestId(kind: string, now: number, random: () => number): string {
	const stamp = new Date(now).toISOString().replace(/[-:]/g, '').slice(0, 13);
	const tail = Math.floor(random() * 36 ** 4)
		.toString(36)
		.padStart(4, '0');
	const id = `${kind}-${stamp}-${tail}`;
	if (!REQUEST_ID.test(id)) throw new Error('Bad request id.');
	return id;
}

function cloneSettings(s: ServerSettings): ServerSettings {
	return structuredClone(s);
}

function looksLikeRecord(v: unknown, id: string): v is SettingsRecord {
	if (!v || typeof v !== 'object') return false;
	const r = v as Partial<SettingsRecord>;
	return (
		r.version === 1 && r.deploymentId === id && !!r.current && Array.isArray(r.current.apps) && Array.isArray(r.commits)
	);
}

export interface SettingsStore {
	load(id: string): Promise<SettingsRecord | undefined>;
	save(record: SettingsRecord): Promise<void>;
}

export function vaultSettingsStore(vault: RecordVault): SettingsStore {
	return {
		async load(id) {
			const v: unknown = await vault.get('dashboardSettings', id);
			return looksLikeRecord(v, id) ? v : undefined;
		},
		async save(record) {
			await vault.put('dashboardSettings', record.deploymentId, record);
		}
	};
}

/** What a change needs: the repo, the git host, the generator and the signer. */
export interface ChangePorts {
	git: GitHost;
	repo: RepoRef;
	/** The bundle for these settings, rendered by the server generator. */
	bundle(settings: ServerSettings): Promise<BundleFile[]>;
	sign: CommitSigner;
	/** Catalog versions of these apps. */
	versions(apps: readonly string[]): Promise<Record<string, string>>;
	store: SettingsStore;
	now(): number;
	/** Runs before the commit, e.g. DNS records for the addresses of added apps. */
	prepare?(settings: ServerSettings): Promise<void>;
}

export class ChangeError extends Error {
	readonly action: string;
	constructor(message: string, action: string) {
		super(message);
		this.name = 'ChangeError';
		this.action = action;
	}
}

function shownError(e: unknown): { message: string; action: string } {
	if (isProviderError(e)) {
		if (e.code === 'conflict')
			return {
				message: 'Your settings repository changed while nassella was saving (another device?).',
				action: 'Press “Try again”: nassella saves the change on top of the newest settings.'
			};
	}
	if (e instanceof Error && e.name === 'ConfigError')
		return {
			message: `These settings cannot be used: ${e.message}`,
			action: 'Correct the highlighted value and try again.'
		};
	const { message, action } = describeError(e, {
		message: 'The change could not be saved.',
		action: 'Try again. Your change is kept.'
	});
	return { message, action };
}

/**
 * Commits `settings` (regenerated bundle, signed) on top of the current head. The draft is
 * saved first, so a failure keeps the change; success moves it into `current` and history.
 */
export async function commitSettings(
	ports: ChangePorts,
	record: SettingsRecord,
	settings: ServerSettings,
	message: string
): Promise<{ record: SettingsRecord; sha: string; at: number }> {
	const wanted = cloneSettings(settings);
	const drafted: SettingsRecord = { ...record, draft: { settings: wanted, message, at: ports.now() } };
	await ports.store.save(drafted);
	try {
		const files = await ports.bundle(wanted);
		await ports.prepare?.(wanted);
		const head = await ports.git.head(ports.repo);
		const { sha } = await ports.git.commit(ports.repo, files, message, head, ports.sign);
		const at = ports.now();
		const versions = await ports.versions(wanted.apps);
		const next: SettingsRecord = {
			version: 1,
			deploymentId: record.deploymentId,
			current: wanted,
			commits: [{ sha, at, message, settings: wanted, versions }, ...record.commits].slice(0, HISTORY_MAX)
		};
		await ports.store.save(next);
		return { record: next, sha, at };
	} catch (e) {
		const error = shownError(e);
		const failed: SettingsRecord = { ...drafted, draft: { ...drafted.draft!, error } };
		await ports.store.save(failed).catch(() => undefined);
		throw new ChangeError(error.message, error.action);
	}
}

/**
 * A rollback: a new signed commit with the apps and inputs of an earlier one (the server
 * refuses history that goes backwards). The ntfy topic and requests stay as they are now.
 */
export function rollbackSettings(record: SettingsRecord, sha: string): ServerSettings {
	const target = record.commits.find((c) => c.sha === sha);
	if (!target)
		throw new ChangeError(
			'nassella has no record of the settings in that commit.',
			'Only changes made from this vault can be rolled back here.'
		);
	return {
		...cloneSettings(record.current),
		apps: [...target.settings.apps],
		inputs: structuredClone(target.settings.inputs)
	};
}

export type WatchOutcome =
	| { kind: 'applied'; status: ServerStatus }
	| { kind: 'refused' | 'rolled-back' | 'error'; status: ServerStatus; reason: string }
	/** The commit runs, but some apps did not start with it: each is back on its previous version or stopped. */
	| { kind: 'partial'; status: ServerStatus; reason: string }
	| { kind: 'timeout'; status?: ServerStatus };

export interface WatchOptions {
	sleep(ms: number, signal?: AbortSignal): Promise<void>;
	now(): number;
	intervalMs: number;
	timeoutMs: number;
	signal?: AbortSignal;
	/** Each status read, for the page to show progress. */
	onStatus?(status: ServerStatus): void;
	/** A read that failed (the page keeps waiting). */
	onError?(error: unknown): void;
}

/**
 * Reads the status until the server runs `sha` with every app in `apps` healthy, or says
 * it would not (refused, rolled back, failed) in a check made after the commit.
 */
export async function watchApply(
	link: ServerLink,
	sha: string,
	committedAt: number,
	apps: readonly string[],
	o: WatchOptions
): Promise<WatchOutcome> {
	const deadline = o.now() + o.timeoutMs;
	let last: ServerStatus | undefined;
	for (let i = 0; i < 10_000; i++) {
		if (o.signal?.aborted) throw new DOMException('Aborted', 'AbortError');
		try {
			const s = await link.status(o.signal);
			last = s;
			o.onStatus?.(s);
			if (s.commit === sha && apps.every((a) => s.apps[a] === 'healthy')) return { kind: 'applied', status: s };
			const failed = failedWith(s, sha, apps);
			if (failed.length > 0) return { kind: 'partial', status: s, reason: failed.join('; ') };
			const checked = Date.parse(s.checkedAt);
			// Checks before the commit (minus a little clock skew) say nothing about it.
			if (s.commit !== sha && checked >= committedAt - 5_000 && s.result !== 'ok' && s.result !== 'unknown') {
				const kind = s.result === 'refused' || s.result === 'rolled-back' ? s.result : 'error';
				return { kind, status: s, reason: s.lastError ?? '' };
			}
		} catch (e) {
			if (e instanceof DOMException && e.name === 'AbortError') throw e;
			o.onError?.(e);
		}
		if (o.now() >= deadline) break;
		await o.sleep(o.intervalMs, o.signal);
	}
	return { kind: 'timeout', status: last };
}

export type RequestOutcome =
	| { kind: 'done'; status: ServerStatus }
	| { kind: 'failed'; status: ServerStatus; reason: string }
	| { kind: 'timeout'; status?: ServerStatus };

/** Reads the status until the server reports request `id` of `kind` as done or failed. */
export async function watchRequest(
	link: ServerLink,
	kind: 'backup' | 'drill',
	id: string,
	o: WatchOptions
): Promise<RequestOutcome> {
	const deadline = o.now() + o.timeoutMs;
	let last: ServerStatus | undefined;
	for (let i = 0; i < 10_000; i++) {
		if (o.signal?.aborted) throw new DOMException('Aborted', 'AbortError');
		try {
			const s = await link.status(o.signal);
			last = s;
			o.onStatus?.(s);
			const r = s.requests?.[kind];
			if (r?.id === id && r.state === 'done') return { kind: 'done', status: s };
			if (r?.id === id && r.state === 'failed') return { kind: 'failed', status: s, reason: r.error ?? '' };
		} catch (e) {
			if (e instanceof DOMException && e.name === 'AbortError') throw e;
			o.onError?.(e);
		}
		if (o.now() >= deadline) break;
		await o.sleep(o.intervalMs, o.signal);
	}
	return { kind: 'timeout', status: last };
}

/** A plain sentence for an error reading the status. */
export function statusProblem(e: unknown): { message: string; action: string; kind: 'auth' | 'unreachable' | 'other' } {
	if (isProviderError(e)) {
		if (e.code === 'unauthorized' || e.code === 'forbidden')
			return {
				kind: 'auth',
				message: 'Your server did not accept nassella’s admin password.',
				action:
					'The password kept in your vault does not match the server’s. If you restored an older vault, import the newest one; otherwise apply a change so the server gets the password again.'
			};
		if (e.code === 'network' || e.code === 'unavailable' || e.code === 'not-found')
			return {
				kind: 'unreachable',
				message: 'Your server does not answer right now.',
				action:
					'It may be restarting for an update, or still starting. nassella keeps trying; what is shown is the last known state.'
			};
		return { kind: 'other', message: e.message, action: e.action };
	}
	if (e instanceof Error && e.name === 'StatusFormatError')
		return { kind: 'other', message: e.message, action: 'nassella tries again by itself.' };
	return {
		kind: 'other',
		message: 'The server’s status could not be read.',
		action: 'nassella tries again by itself.'
	};
}
