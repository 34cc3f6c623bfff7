/** Hetzner pricing, as Hetzner states it for the project. */
import type { HetznerContext } from './common.ts';
import { LOCATIONS } from './locations.ts';
import { TYPES, typeView } from './server-types.ts';

export function pricingRoutes(ctx: HetznerContext): void {
	const { api } = ctx;
	api
		// Prices as Hetzner states them for the project (net and with VAT); the volume price is
		// what the review page adds for the data disk.
		.on('GET', '/v1/pricing', () => {
			const price = (net: string) => ({ net, gross: (Number(net) * 1.19).toFixed(10) });
			return {
				status: 200,
				body: {
					pricing: {
						currency: 'EUR',
						vat_rate: '19.00',
						image: { price_per_gb_month: price('0.0110000000') },
						floating_ip: { price_monthly: price('3.0000000000') },
						floating_ips: [
							{
								type: 'ipv4',
								prices: LOCATIONS.map((l) => ({ location: l.name, price_monthly: price('3.0000000000') }))
							}
						],
						primary_ips: [
							{
								type: 'ipv4',
								prices: LOCATIONS.map((l) => ({
									location: l.name,
									price_hourly: price('0.0010000000'),
									price_monthly: price('0.5000000000')
								}))
							}
						],
						load_balancer_types: [],
						server_backup: { percentage: '20.00' },
						server_types: TYPES.map((t) => ({ id: t.id, name: t.name, prices: typeView(t.name).prices })),
						volume: { price_per_gb_month: price('0.0440000000') }
					}
				}
			};
		});
}
