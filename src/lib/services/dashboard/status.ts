/**
 * What the dashboard says about a server's status report, in plain words, and the
 * encrypted cache of the last report (in the vault, so the first paint needs no network).
 * Pure apart from the cache, which goes through the vault's record methods only.
 */
import { parseServerStatus, type ServerStatus } from '../../core/server/status.ts';
import type { CachedStatus } from '../../core/deploy/stored.ts';
import type { RecordVault } from '../../ports/vault.ts';

export type { CachedStatus };

/** A daily backup older than this is "stale": something stopped it. */
export const BACKUP_STALE_MS = 36 * 3600_000;

export interface StatusCache {
	load(deploymentId: string): Promise<CachedStatus | undefined>;
	save(entry: CachedStatus): Promise<void>;
}

export function vaultStatusCache(vault: RecordVault): StatusCache {
	return {
		async load(id) {
			const v: unknown = await vault.get('dashboardStatus', id);
			if (!v || typeof v !== 'object') return undefined;
			const e = v as Partial<CachedStatus>;
			if (e.version !== 1 || e.deploymentId !== id || typeof e.fetchedAt !== 'number') return undefined;
			try {
				// Parsed again: the record could come from an imported (older) vault.
				const status = parseServerStatus(e.status);
				return {
					version: 1,
					deploymentId: id,
					status,
					fetchedAt: e.fetchedAt,
					...(typeof e.head === 'string' ? { head: e.head } : {})
				};
			} catch {
				return undefined;
			}
		},
		async save(entry) {
			await vault.put('dashboardStatus', entry.deploymentId, entry);
		}
	};
}

export type Level = 'ok' | 'info' | 'warn' | 'bad';

export interface Verdict {
	level: Level;
	title: string;
	detail?: string;
}

export function formatBytes(n: number): string {
	const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
	let v = n;
	let i = 0;
	while (v >= 1000 && i < units.length - 1) {
		v /= 1000;
		i++;
	}
	return i === 0 ? `${v} bytes` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

/** "just now", "5 minutes ago", "3 hours ago", "2 days ago". */
export function formatAge(ms: number): string {
	if (!Number.isFinite(ms)) return 'at an unknown time';
	if (ms < 0) ms = 0;
	const min = Math.floor(ms / 60_000);
	if (min < 1) return 'just now';
	if (min < 60) return `${min} minute${min === 1 ? '' : 's'} ago`;
	const h = Math.floor(min / 60);
	if (h < 48) return `${h} hour${h === 1 ? '' : 's'} ago`;
	const d = Math.floor(h / 24);
	return `${d} days ago`;
}

export function shortCommit(sha: string | null | undefined): string {
	return sha ? sha.slice(0, 7) : 'none';
}

/** The last backup, loud when it failed or is too old. */
export function backupVerdict(status: ServerStatus, now: number, staleMs = BACKUP_STALE_MS): Verdict {
	const b = status.backup;
	if (!b) {
		return {
			level: 'warn',
			title: 'No backup has run yet.',
			detail: 'The first backup runs during the night after setup. You can also start one now.'
		};
	}
	const last = b.lastSuccess ? Date.parse(b.lastSuccess) : NaN;
	const size = b.sizeBytes !== undefined ? ` Backups take ${formatBytes(b.sizeBytes)}.` : '';
	if (b.result === 'failed') {
		return {
			level: 'bad',
			title: 'The last backup failed.',
			detail:
				`${b.error ? `The server said: “${b.error}”. ` : ''}` +
				(Number.isFinite(last)
					? `The last good backup is from ${formatAge(now - last)}.`
					: 'There is no good backup yet.') +
				' Your data is not protected until a backup succeeds. Check the backup storage account (is it full, or was its key removed?), then press “Back up now”.'
		};
	}
	if (b.result === 'running')
		return { level: 'info', title: 'A backup is running now.', detail: size.trim() || undefined };
	if (!Number.isFinite(last)) {
		return {
			level: 'warn',
			title: 'No backup has succeeded yet.',
			detail: 'Press “Back up now” to make the first one.'
		};
	}
	if (now - last > staleMs) {
		return {
			level: 'bad',
			title: `The last backup is old: ${formatAge(now - last)}.`,
			detail:
				'Backups should run every night, so something stops them: the server may be off, or the backup storage may refuse it. Press “Back up now”, and look at the server’s messages if it fails again.'
		};
	}
	return { level: 'ok', title: `Last backup ${formatAge(now - last)}.`, detail: size.trim() || undefined };
}

/** How full the data disk is. */
export function diskVerdict(status: ServerStatus): (Verdict & { percent: number }) | undefined {
	const d = status.disk?.data;
	if (!d) return undefined;
	const percent = Math.min(100, Math.round((d.usedBytes / d.totalBytes) * 100));
	const text = `${formatBytes(d.usedBytes)} of ${formatBytes(d.totalBytes)} used (${percent}%).`;
	if (percent >= 95)
		return {
			level: 'bad',
			percent,
			title: 'The data disk is almost full.',
			detail: `${text} Apps will fail to save soon: make the disk bigger at your cloud provider, or remove data.`
		};
	if (percent >= 80) return { level: 'warn', percent, title: 'The data disk is filling up.', detail: text };
	return { level: 'ok', percent, title: text };
}

export interface AppHealth {
	id: string;
	healthy: boolean;
	/** "Working", or the server's short reason. */
	text: string;
}

/** One row per app: the ones the settings run, plus any the server still reports. */
export function appHealth(status: ServerStatus, expected: readonly string[]): AppHealth[] {
	const ids = [...new Set([...expected, ...Object.keys(status.apps)])];
	return ids.map((id) => {
		const v = status.apps[id];
		const failed = status.failedApps?.[id];
		if (failed)
			return {
				id,
				healthy: false,
				text:
					failed.from === ''
						? `Did not start with your latest settings (${failed.reason}), so it is stopped.`
						: `Did not start with your latest settings (${failed.reason}), so it runs its earlier version.`
			};
		if (v === 'healthy') return { id, healthy: true, text: 'Working' };
		if (v === undefined) return { id, healthy: false, text: 'Not reported yet' };
		return { id, healthy: false, text: v };
	});
}

/** Whether the server runs what the repository holds. */
export function pendingVerdict(status: ServerStatus, head: string | undefined): Verdict {
	if (!head) return { level: 'info', title: 'Could not compare with your settings repository.' };
	if (status.commit === head) return { level: 'ok', title: 'The server runs your latest settings.' };
	return {
		level: 'info',
		title: 'The server has not applied your latest settings yet.',
		detail: `It runs ${shortCommit(status.commit)}; your settings are at ${shortCommit(head)}. The server checks for changes every few minutes.`
	};
}

/** The server's own last sync result, when it is not plain "ok". */
export function syncVerdict(status: ServerStatus): Verdict | undefined {
	const reason = status.lastError ? ` The server said: “${status.lastError}”.` : '';
	switch (status.result) {
		case 'ok':
		case 'unknown':
			return undefined;
		case 'starting':
		case 'applying':
			return {
				level: 'info',
				title: 'The server is starting your apps.',
				detail: 'This takes a few minutes after a change or a restart.'
			};
		case 'refused':
			return {
				level: 'bad',
				title: 'The server refused the latest settings.',
				detail: `It only accepts changes signed by nassella that follow the earlier ones; it keeps running what it had.${reason}`
			};
		case 'rolled-back':
			return {
				level: 'bad',
				title: 'The latest settings did not start, so the server went back to the earlier ones.',
				detail: `Your apps keep running as before.${reason}`
			};
		case 'partial':
			return {
				level: 'warn',
				title: 'Some apps did not start with the latest settings.',
				detail: `Your other apps run the latest settings. Each app that did not start is back on its earlier version, or stopped if it is new; see it in the list below. Change its settings, remove it, or roll back the change.${reason}`
			};
		case 'error':
			return {
				level: 'bad',
				title: 'The server could not apply the latest settings.',
				detail: reason.trim() || undefined
			};
		default:
			return { level: 'info', title: `The server reports “${status.result}”.`, detail: reason.trim() || undefined };
	}
}

/**
 * One line for the whole server. `name` gives an app's display name; `head` is the settings
 * repository's latest commit, when known: a server that has not reached it yet is applying a
 * change, and an app it has not started yet is starting, not failing.
 */
export function overallVerdict(
	status: ServerStatus,
	expected: readonly string[],
	now: number,
	name: (id: string) => string = (id) => id,
	head?: string
): Verdict {
	const apps = appHealth(status, expected);
	const sick = apps.filter((a) => !a.healthy);
	const backup = backupVerdict(status, now);
	const sync = syncVerdict(status);
	const starting = (a: AppHealth) => a.text === 'starting' || a.text === 'Not reported yet';
	const changing = head !== undefined && status.commit !== null && status.commit !== head;
	if (sick.length > 0 && (sync?.level === 'info' || status.commit === null || changing) && sick.every(starting)) {
		if (sick.length === apps.length) return { level: 'info', title: 'Your apps are starting.' };
		const names = sick.map((a) => name(a.id));
		const working = apps.length - sick.length;
		return {
			level: 'info',
			title: names.length <= 3 ? `Starting ${listOf(names)}…` : `Starting ${names.length} apps…`,
			detail: `${working} of ${apps.length} apps are working; the others start within a few minutes of a change.`
		};
	}
	if (sick.length > 0)
		return {
			level: 'bad',
			title: sick.length === 1 ? `${name(sick[0]!.id)} needs attention.` : `${sick.length} apps need attention.`
		};
	if (sync?.level === 'bad') return { level: 'bad', title: sync.title };
	if (backup.level === 'bad') return { level: 'bad', title: backup.title };
	return { level: backup.level === 'warn' ? 'warn' : 'ok', title: 'Everything is working.' };
}

/** "A", "A and B", "A, B and C". */
function listOf(names: readonly string[]): string {
	return names.length < 2 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}
