/**
 * Versions: no app is pinned to a release its upstream no longer fixes, and an app that
 * cannot skip a major version (Nextcloud) records the releases to go through, one major at a
 * time, in `upgrades.path`.
 */
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../catalog/load.ts';
import { checkManifest } from '../../src/lib/core/catalog/check.ts';

const catalog = loadCatalog();
const app = (id: string) => catalog.apps.find((a) => a.id === id)!;
const major = (v: string) => Number(v.split('.')[0]);

/**
 * The oldest major version each upstream still fixes (August 2026): Nextcloud maintains 32 to
 * 34 (the official image's tags); Forgejo 15 is the long-term release until July 2027 and 16
 * the stable one (its release schedule). 31 and 12 get no security fixes.
 */
const OLDEST_SUPPORTED: Record<string, number> = { nextcloud: 32, forgejo: 15 };

describe('supported releases', () => {
	it.each(Object.entries(OLDEST_SUPPORTED))('%s is on a release its upstream still fixes', (id, oldest) => {
		expect(major(app(id).version)).toBeGreaterThanOrEqual(oldest);
		for (const s of Object.values(app(id).services))
			if (s.image.includes(id)) expect(s.image, s.image).toContain(app(id).version);
	});
});

describe('stepwise upgrades', () => {
	it('Nextcloud goes one major version at a time: 32, then 33, then the catalog version', () => {
		const nc = app('nextcloud');
		expect(nc.upgrades?.stepwise).toBe('major');
		const path = nc.upgrades!.path!.map((s) => s.version);
		expect(path.map(major)).toEqual([32, 33]);
		expect(major(nc.version)).toBe(34);
		for (const step of nc.upgrades!.path!) {
			expect(Object.keys(step.images).sort()).toEqual(['nextcloud', 'nextcloud-cron']);
			for (const image of Object.values(step.images)) expect(image).toBe(`nextcloud:${step.version}-apache`);
		}
	});
	it('Forgejo upgrades straight to the newest release, as its upgrade guide says', () => {
		expect(app('forgejo').upgrades).toMatchObject({ stepwise: 'none' });
		expect(app('forgejo').upgrades?.path).toBeUndefined();
	});
	it('refuses a path that skips a major version, goes backwards or names an unpinned image', () => {
		const nc = app('nextcloud');
		const skip = { ...nc, upgrades: { ...nc.upgrades!, path: [nc.upgrades!.path![0]!] } };
		expect(checkManifest(skip)).toContain(
			'upgrades: the last step 32.0.14 must be the major version just before 34.0.3'
		);
		const backwards = { ...nc, upgrades: { ...nc.upgrades!, path: [...nc.upgrades!.path!].reverse() } };
		expect(checkManifest(backwards).join('\n')).toMatch(/is not after the step before it/);
		const latest = {
			...nc,
			upgrades: {
				...nc.upgrades!,
				path: [{ version: '32.0.14', images: { nextcloud: 'nextcloud:latest' } }, nc.upgrades!.path![1]!]
			}
		};
		expect(checkManifest(latest).join('\n')).toMatch(/must be pinned to an exact version/);
	});
});
