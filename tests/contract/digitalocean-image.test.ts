/** DigitalOcean's Flatcar custom image: imported once per region from Flatcar's URL, then reused. */
import { expect, it } from 'vitest';
import { DigitalOceanCloud, FLATCAR_DIGITALOCEAN_IMAGE } from '../../src/lib/adapters/digitalocean/cloud.ts';
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
