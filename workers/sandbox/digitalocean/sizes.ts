/** DigitalOcean droplet sizes and their prices. */
import { listOf, type DigitalOceanContext } from './common.ts';
import { REGIONS } from './regions.ts';

export const SIZES = [
	{ slug: 's-1vcpu-512mb-10gb', memory: 512, vcpus: 1, disk: 10, price_monthly: 4 },
	{ slug: 's-1vcpu-1gb', memory: 1024, vcpus: 1, disk: 25, price_monthly: 6 },
	{ slug: 's-1vcpu-2gb', memory: 2048, vcpus: 1, disk: 50, price_monthly: 12 },
	{ slug: 's-2vcpu-4gb', memory: 4096, vcpus: 2, disk: 80, price_monthly: 24 }
];

export const size = (slug: string) => sizeView(SIZES.find((x) => x.slug === slug) ?? SIZES[0]!);

function sizeView(s: (typeof SIZES)[number]) {
	return {
		...s,
		transfer: 1,
		price_hourly: Math.round((s.price_monthly / 672) * 100000) / 100000,
		regions: REGIONS.map((r) => r.slug),
		available: true,
		description: 'Basic'
	};
}

export function sizeRoutes({ api }: DigitalOceanContext): void {
	api.on('GET', '/v2/sizes', listOf('sizes', SIZES, sizeView));
}
