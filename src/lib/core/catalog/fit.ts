/** Does a set of apps fit a server? Pure sums and a plain verdict. */
import type { InputSpec, LighterResources, Resources } from './types.ts';

export interface ServerSize {
	id: string;
	label: string;
	ramMiB: number;
	diskMiB: number;
}

/** Typical sizes of small cloud servers, until providers supply their own list. */
export const TYPICAL_SIZES: readonly ServerSize[] = [
	{ id: '1gb', label: '1 GB memory, 25 GB disk', ramMiB: 1024, diskMiB: 25 * 1024 },
	{ id: '2gb', label: '2 GB memory, 50 GB disk', ramMiB: 2048, diskMiB: 50 * 1024 },
	{ id: '4gb', label: '4 GB memory, 80 GB disk', ramMiB: 4096, diskMiB: 80 * 1024 },
	{ id: '8gb', label: '8 GB memory, 160 GB disk', ramMiB: 8192, diskMiB: 160 * 1024 },
	{ id: '16gb', label: '16 GB memory, 320 GB disk', ramMiB: 16384, diskMiB: 320 * 1024 }
];

/**
 * What the server needs before any app. Memory: the part of a cloud server's nominal memory the
 * kernel keeps for itself (about 100–200 MiB on a 2–4 GB server), Flatcar's systemd and
 * journal, containerd and dockerd, Caddy, and the sync and backup jobs (restic's index grows
 * with the backup: the recommended figure leaves it room). Disk: the operating system's
 * partitions plus the container images.
 *
 * There is no swap: the server does not set any up, so nothing here counts on it.
 * Upstream figures for a whole machine are turned into an app's own share by taking these
 * off (see `AppResources`).
 */
export const BASE_OVERHEAD: Resources = { ramMinMiB: 512, ramRecommendedMiB: 1024, diskMiB: 8 * 1024 };

/** What the fit check needs to know about an app (a catalog app satisfies it). */
export interface FitApp {
	name?: string;
	resources: Resources & { lighter?: LighterResources };
	inputs?: readonly Pick<InputSpec, 'id' | 'default' | 'label'>[];
}

/** Whether the person's values choose the app's lighter variant. */
export function usesLighter(app: FitApp, values: Record<string, string> = {}): boolean {
	const l = app.resources.lighter;
	if (!l) return false;
	const value = values[l.input] ?? app.inputs?.find((i) => i.id === l.input)?.default;
	return value === l.value;
}

/** The app's figures for the values the person chose. */
export function resourcesFor(app: FitApp, values: Record<string, string> = {}): Resources {
	const { ramMinMiB, ramRecommendedMiB, diskMiB } = app.resources;
	const l = app.resources.lighter;
	if (l && usesLighter(app, values)) return { ramMinMiB: l.ramMinMiB, ramRecommendedMiB: l.ramRecommendedMiB, diskMiB };
	return { ramMinMiB, ramRecommendedMiB, diskMiB };
}

export type Verdict = 'empty' | 'fits' | 'tight' | 'wont-fit';

export interface Fit {
	/** Totals including the base overhead. */
	ramMinMiB: number;
	ramRecommendedMiB: number;
	diskMiB: number;
	verdict: Verdict;
	/** One or two plain sentences for the person. */
	message: string;
	/** Per resource: does the minimum fit? */
	ramFits: boolean;
	diskFits: boolean;
}

export function sumResources(apps: readonly { resources: Resources }[]): Resources {
	return apps.reduce<Resources>(
		(t, a) => ({
			ramMinMiB: t.ramMinMiB + a.resources.ramMinMiB,
			ramRecommendedMiB: t.ramRecommendedMiB + a.resources.ramRecommendedMiB,
			diskMiB: t.diskMiB + a.resources.diskMiB
		}),
		{ ramMinMiB: 0, ramRecommendedMiB: 0, diskMiB: 0 }
	);
}

/**
 * The verdict for these apps on this server. `values` holds the person's input values per app
 * (by position, like `apps`), so an app run in its lighter variant counts with its lighter
 * figures; when the apps only fit in their lighter variants, the message says which.
 */
export function fitApps(
	apps: readonly FitApp[],
	size: ServerSize,
	values: readonly (Record<string, string> | undefined)[] = []
): Fit {
	const sum = sumResources(apps.map((a, i) => ({ resources: resourcesFor(a, values[i]) })));
	const ramMinMiB = sum.ramMinMiB + BASE_OVERHEAD.ramMinMiB;
	const ramRecommendedMiB = sum.ramRecommendedMiB + BASE_OVERHEAD.ramRecommendedMiB;
	const diskMiB = sum.diskMiB + BASE_OVERHEAD.diskMiB;
	const ramFits = ramMinMiB <= size.ramMiB;
	const diskFits = diskMiB <= size.diskMiB;
	const base = { ramMinMiB, ramRecommendedMiB, diskMiB, ramFits, diskFits };
	if (apps.length === 0)
		return { ...base, verdict: 'empty', message: 'Pick the apps you want; their needs add up here.' };
	if (!ramFits || !diskFits) {
		const short = [!ramFits && 'memory', !diskFits && 'disk space'].filter(Boolean).join(' and ');
		let hint = '';
		const heavy = apps.filter((a, i) => a.resources.lighter && !usesLighter(a, values[i]));
		if (!ramFits && diskFits && heavy.length > 0) {
			const saved = heavy.reduce((n, a) => n + a.resources.ramMinMiB - a.resources.lighter!.ramMinMiB, 0);
			if (ramMinMiB - saved <= size.ramMiB) {
				const switches = heavy.map((a) => {
					const input = a.inputs?.find((i) => i.id === a.resources.lighter!.input);
					return `${a.name ?? 'the app'} without “${input?.label ?? a.resources.lighter!.input}”`;
				});
				hint = ` It would fit with ${switches.join(' and ')}.`;
			}
		}
		return {
			...base,
			verdict: 'wont-fit',
			message: `Won't fit: these apps need more ${short} than this server has.${hint} Choose a bigger server or fewer apps.`
		};
	}
	if (ramRecommendedMiB > size.ramMiB) {
		return {
			...base,
			verdict: 'tight',
			message:
				'Fits, but tightly: the apps will run, and may be slow when several are busy. A bigger server gives them room.'
		};
	}
	return { ...base, verdict: 'fits', message: 'Fits comfortably on this server.' };
}

/** `1536` → `1.5 GB`, `512` → `512 MB` (binary units, written the way people read them). */
export function formatMiB(mib: number): string {
	if (mib < 1024) return `${mib} MB`;
	const gb = mib / 1024;
	return `${gb >= 10 ? Math.round(gb) : Math.round(gb * 10) / 10} GB`;
}
