/** Hetzner server types, with their prices in every location. */
import { listOf, type HetznerContext } from './common.ts';
import { LOCATIONS } from './locations.ts';

const EU = ['fsn1', 'nbg1', 'hel1'];

/**
 * `sold`: the locations a type is sold in. Hetzner's cost-optimised CX and CAX types are sold in
 * its European locations only; the US ones sell the CPX line (a type is "only supported in the
 * Locations that are listed": server type `locations` in the API reference).
 */
export const TYPES = [
	{ id: 104, name: 'cx22', cores: 2, memory: 4, disk: 40, architecture: 'x86', monthly: '4.5100000000', sold: EU },
	{ id: 105, name: 'cx32', cores: 4, memory: 8, disk: 80, architecture: 'x86', monthly: '8.2400000000', sold: EU },
	{ id: 45, name: 'cax11', cores: 2, memory: 4, disk: 40, architecture: 'arm', monthly: '4.5100000000', sold: EU },
	{
		id: 22,
		name: 'cpx11',
		cores: 2,
		memory: 2,
		disk: 40,
		architecture: 'x86',
		monthly: '5.1900000000',
		sold: [...EU, 'ash']
	}
];

export const soldIn = (type: string, location: string) =>
	TYPES.some((t) => t.name === type && t.sold.includes(location));

export const typeView = (name: string) => serverTypeView(TYPES.find((x) => x.name === name) ?? TYPES[0]!);

function serverTypeView(t: (typeof TYPES)[number]) {
	return {
		id: t.id,
		name: t.name,
		description: t.name.toUpperCase(),
		cores: t.cores,
		memory: t.memory,
		disk: t.disk,
		deprecated: false,
		prices: LOCATIONS.filter((l) => t.sold.includes(l.name)).map((l) => ({
			location: l.name,
			price_hourly: { net: '0.0060000000', gross: '0.0071400000' },
			price_monthly: { net: t.monthly, gross: (Number(t.monthly) * 1.19).toFixed(10) },
			included_traffic: 21990232555520,
			price_per_tb_traffic: { net: '1.0000000000', gross: '1.1900000000' }
		})),
		storage_type: 'local',
		cpu_type: 'shared',
		category: 'cost_optimized',
		architecture: t.architecture,
		locations: LOCATIONS.filter((l) => t.sold.includes(l.name)).map((l) => ({
			id: l.id,
			name: l.name,
			deprecation: null
		}))
	};
}

export function serverTypeRoutes({ api }: HetznerContext): void {
	api.on('GET', '/v1/server_types', listOf('server_types', TYPES, serverTypeView));
}
