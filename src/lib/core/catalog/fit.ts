/** Does a set of apps fit a server? Pure sums and a plain verdict. */
import type { Resources } from './types.ts';

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
 * What the server needs before any app: Flatcar, Docker, Caddy, the journal and the timers
 * (memory), and the operating system plus container images (disk).
 */
export const BASE_OVERHEAD: Resources = { ramMinMiB: 384, ramRecommendedMiB: 512, diskMiB: 8 * 1024 };

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

export function fitApps(apps: readonly { resources: Resources }[], size: ServerSize): Fit {
	const sum = sumResources(apps);
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
		return {
			...base,
			verdict: 'wont-fit',
			message: `Won't fit: these apps need more ${short} than this server has. Choose a bigger server or fewer apps.`
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
