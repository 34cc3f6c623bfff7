/** DigitalOcean regions. */
import { listOf, type DigitalOceanContext } from './common.ts';
import { SIZES } from './sizes.ts';

export const REGIONS = [
	{ slug: 'nyc3', name: 'New York 3' },
	{ slug: 'ams3', name: 'Amsterdam 3' },
	{ slug: 'fra1', name: 'Frankfurt 1' },
	{ slug: 'lon1', name: 'London 1' },
	{ slug: 'sfo3', name: 'San Francisco 3' }
];

export const region = (slug: string) => regionView(REGIONS.find((x) => x.slug === slug) ?? { slug, name: slug });

function regionView(r: { slug: string; name: string }) {
	return { ...r, features: ['metadata', 'install_agent'], available: true, sizes: SIZES.map((s) => s.slug) };
}

export function regionRoutes({ api }: DigitalOceanContext): void {
	api.on('GET', '/v2/regions', listOf('regions', REGIONS, regionView));
}
