/** The data disk's price for the review page: from Hetzner's /pricing, and DigitalOcean's published price. */
import { expect, it } from 'vitest';
import { DIGITALOCEAN_VOLUME_PRICE, DigitalOceanCloud } from '../../src/lib/adapters/digitalocean/cloud.ts';
import { HetznerCloud } from '../../src/lib/adapters/hetzner/cloud.ts';
import { monthlyCost } from '../../src/lib/core/deploy/setup.ts';
import { createDigitalOceanFake } from '../../workers/sandbox/digitalocean/fake.ts';
import { createHetznerFake } from '../../workers/sandbox/hetzner/fake.ts';
import { recorder, testOptions, TOKEN } from './harness.ts';

it('Hetzner states the volume price per GB and month in /pricing (with VAT), validated against its OpenAPI document', async () => {
	const fake = createHetznerFake({ tokens: [TOKEN] });
	const rec = recorder();
	const cloud = new HetznerCloud({ ...testOptions(fake.api, rec), baseUrl: 'https://api.hetzner.cloud/v1' });
	const price = await cloud.volumePrice('fsn1');
	expect(price).toEqual({ monthlyPerGiB: 0.05236, currency: 'EUR', source: 'provider' });
	expect(fake.api.violations).toEqual([]);
	const size = (await cloud.sizes()).find((s) => s.id === 'cx22')!;
	const cost = monthlyCost({ ...size, fits: true } as never, { giB: 20, price });
	expect(cost.diskPriced).toBe(true);
	expect(cost.lines.find((l) => l.what === 'Data disk (20 GB)')?.monthly).toBe(1.05);
	expect(cost.total).toBe(Math.round((size.monthlyPrice + 1.05) * 100) / 100);
});

it('a broken price from Hetzner is an error, never a made-up figure', async () => {
	const fake = createHetznerFake({ tokens: [TOKEN], validate: false } as never);
	const rec = recorder();
	const cloud = new HetznerCloud({
		...testOptions(fake.api, rec),
		baseUrl: 'https://api.hetzner.cloud/v1',
		http: async () =>
			new Response(JSON.stringify({ pricing: { currency: 'EUR', volume: { price_per_gb_month: { gross: 'n/a' } } } }), {
				status: 200,
				headers: { 'content-type': 'application/json' }
			})
	});
	await expect(cloud.volumePrice('fsn1')).rejects.toMatchObject({ code: 'unexpected' });
});

it('DigitalOcean: no API states it, so the published price is used and labelled as such', async () => {
	const fake = createDigitalOceanFake({ tokens: [TOKEN] });
	const cloud = new DigitalOceanCloud(testOptions(fake.api, recorder()));
	const price = await cloud.volumePrice('fra1');
	expect(price).toEqual(DIGITALOCEAN_VOLUME_PRICE);
	expect(price).toMatchObject({ monthlyPerGiB: 0.1, currency: 'USD', source: 'published' });
	expect(price.note).toMatch(/digitalocean\.com\/pricing\/volumes.*2026-11-25/);
});
