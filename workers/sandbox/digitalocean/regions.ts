/** DigitalOcean regions. */
import { page, type DigitalOceanContext } from './common.ts';
import { SIZES } from './sizes.ts';

export const REGIONS = [
	{ slug: 'nyc3', name: 'New York 3' },
	{ slug: 'ams3', name: 'Amsterdam 3' },
	{ slug: 'fra1', name: 'Frankfurt 1' },
	{ slug: 'lon1', name: 'London 1' },
	{ slug: 'sfo3', name: 'San Francisco 3' }
];

export const region = (slug: string) => {
	const r = REGIONS.find((x) => x.slug === slug) ?? { slug, name: slug };
	return { ...r, features: ['metadata', 'install_agent'], available: true, sizes: SIZES.map((s) => s.slug) };
};

export function regionRoutes(ctx: DigitalOceanContext): void {
	const { api } = ctx;
	api.on('GET', '/v2/regions', (req) =>
		page(
			req,
			'regions',
			REGIONS.map((r) => region(r.slug))
		)
	);
}
