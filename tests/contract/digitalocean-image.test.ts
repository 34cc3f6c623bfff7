/** DigitalOcean's Flatcar custom image: imported once per region from Flatcar's URL, then reused. */
import { expect, it } from 'vitest';
import { DigitalOceanCloud, FLATCAR_DIGITALOCEAN_IMAGE } from '../../src/lib/adapters/digitalocean/cloud.ts';
import { ProviderError } from '../../src/lib/core/errors.ts';
import { deploymentLabels } from '../../src/lib/core/labels.ts';
import { createDigitalOceanFake } from '../../workers/sandbox/digitalocean/fake.ts';
import { recorder, testOptions, TOKEN } from './harness.ts';

it('imports once per region, reuses it, and survives a lost answer to the import', async () => {
	const fake = createDigitalOceanFake({ tokens: [TOKEN], importMs: 30 });
	const cloud = new DigitalOceanCloud(testOptions(fake.api, recorder()));
	fake.api.faults.push({ kind: 'lost', method: 'POST', path: '/v2/images' });
	const fra = await cloud.ensureImage('fra1', deploymentLabels('first0001'));
	expect(fra.status).toBe('available');
	expect(await cloud.ensureImage('fra1', deploymentLabels('second001'))).toMatchObject({ id: fra.id });
	const ams = await cloud.ensureImage('ams3', deploymentLabels('first0001'));
	expect(ams.id).not.toBe(fra.id);
	expect(fake.state.images.map((i) => [i.region, i.url])).toEqual([
		['fra1', FLATCAR_DIGITALOCEAN_IMAGE],
		['ams3', FLATCAR_DIGITALOCEAN_IMAGE]
	]);
	// Shared images carry only the managed-by tag, never one deployment's.
	expect(fake.state.images.every((i) => i.tags.join() === 'managed-by:nassella')).toBe(true);
	expect(fake.api.violations).toEqual([]);
});

it("imports Flatcar's image made for DigitalOcean: a raw disk, gzip-compressed", () => {
	// flatcar_production_<oem>_image.bin is Flatcar's raw disk image for one cloud; DigitalOcean
	// takes raw disks compressed with gzip or bzip2 (see the constant for the sources).
	expect(FLATCAR_DIGITALOCEAN_IMAGE).toBe(
		'https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_digitalocean_image.bin.gz'
	);
});

it('reports a failed import at once, with DigitalOcean’s reason, instead of waiting for the timeout', async () => {
	const fake = createDigitalOceanFake({ tokens: [TOKEN], importMs: 20 });
	const rec = recorder();
	const cloud = new DigitalOceanCloud({
		...testOptions(fake.api, rec),
		flatcarImageUrl:
			'https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_digitalocean_image.bin.xz'
	});
	const error = await cloud.ensureImage('fra1', deploymentLabels('first0001')).catch((e: unknown) => e);
	expect(error).toBeInstanceOf(ProviderError);
	expect(error).toMatchObject({ provider: 'DigitalOcean', code: 'unavailable' });
	expect((error as ProviderError).message).toMatch(/could not import Flatcar.*gzip or bzip2/);
	// A few polls of a 10 ms import, not the 20 s the wait allows.
	expect(rec.requests.filter((r) => r.method === 'GET' && /^\/v2\/images\/\d+$/.test(r.path)).length).toBeLessThan(50);
	expect(fake.state.images).toHaveLength(1);
	// The failed import is not taken for the region's image: the next try imports again.
	expect(await cloud.findImage('fra1')).toBeUndefined();
	expect(fake.api.violations).toEqual([]);
});
