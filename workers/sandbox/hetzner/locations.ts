/** Hetzner locations (four of them: three in Europe, one in the United States). */
import { listOf, type HetznerContext } from './common.ts';

export const LOCATIONS = [
	{
		id: 1,
		name: 'fsn1',
		description: 'Falkenstein DC Park 1',
		country: 'DE',
		city: 'Falkenstein',
		latitude: 50.47612,
		longitude: 12.370071,
		network_zone: 'eu-central'
	},
	{
		id: 2,
		name: 'nbg1',
		description: 'Nuremberg DC Park 1',
		country: 'DE',
		city: 'Nuremberg',
		latitude: 49.452102,
		longitude: 11.076665,
		network_zone: 'eu-central'
	},
	{
		id: 3,
		name: 'hel1',
		description: 'Helsinki DC Park 1',
		country: 'FI',
		city: 'Helsinki',
		latitude: 60.169855,
		longitude: 24.938379,
		network_zone: 'eu-central'
	},
	{
		id: 4,
		name: 'ash',
		description: 'Ashburn, VA',
		country: 'US',
		city: 'Ashburn, VA',
		latitude: 39.045821,
		longitude: -77.487073,
		network_zone: 'us-east'
	}
];

export const location = (name: string) => LOCATIONS.find((l) => l.name === name) ?? LOCATIONS[0]!;

export function locationRoutes(ctx: HetznerContext): void {
	const { api } = ctx;
	api.on('GET', '/v1/locations', listOf('locations', LOCATIONS));
}
