/** Hetzner server types, with their prices in every location. */
import { listOf, type HetznerContext } from './common.ts';
import { LOCATIONS } from './locations.ts';

export const TYPES = [
	{ id: 104, name: 'cx22', cores: 2, memory: 4, disk: 40, architecture: 'x86', monthly: '4.5100000000' },
	{ id: 105, name: 'cx32', cores: 4, memory: 8, disk: 80, architecture: 'x86', monthly: '8.2400000000' },
	{ id: 45, name: 'cax11', cores: 2, memory: 4, disk: 40, architecture: 'arm', monthly: '4.5100000000' }
];

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
		prices: LOCATIONS.map((l) => ({
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
		locations: LOCATIONS.map((l) => ({ id: l.id, name: l.name, deprecation: null }))
	};
}

export function serverTypeRoutes({ api }: HetznerContext): void {
	api.on('GET', '/v1/server_types', listOf('server_types', TYPES, serverTypeView));
}
