/** The DigitalOcean account (its droplet limit). */
import type { DigitalOceanContext } from './common.ts';

export function accountRoutes(ctx: DigitalOceanContext): void {
	const { api, dropletLimit } = ctx;
	api.on('GET', '/v2/account', () => ({
		status: 200,
		body: {
			account: {
				droplet_limit: dropletLimit,
				floating_ip_limit: 3,
				email: 'sandbox@example.org',
				name: 'Sandbox',
				uuid: '7d2e3a1c-4a43-4b0e-9c3f-0a4d2f0c1a11',
				email_verified: true,
				status: 'active',
				status_message: ''
			}
		}
	}));
}
