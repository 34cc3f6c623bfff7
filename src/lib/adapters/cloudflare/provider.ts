/** Cloudflare DNS, through the relay (its API sends no CORS headers). */
import type { ProviderDescriptor } from '../../core/providers/descriptor.ts';
import { ID32 } from '../../core/net/relay-rules.ts';

export const cloudflare: ProviderDescriptor = {
	id: 'cloudflare',
	folder: 'cloudflare',
	name: 'Cloudflare',
	apiOrigins: ['https://api.cloudflare.com'],
	relay: [
		{
			host: 'api.cloudflare.com',
			provider: 'Cloudflare',
			routes: [
				{ methods: ['GET'], path: /^\/client\/v4\/user\/tokens\/verify$/ },
				{ methods: ['GET'], path: /^\/client\/v4\/accounts$/ },
				{ methods: ['GET', 'POST'], path: /^\/client\/v4\/zones$/ },
				{ methods: ['GET'], path: new RegExp(`^/client/v4/zones/${ID32}$`) },
				{ methods: ['GET', 'POST'], path: new RegExp(`^/client/v4/zones/${ID32}/dns_records$`) },
				{ methods: ['POST'], path: new RegExp(`^/client/v4/zones/${ID32}/dns_records/batch$`) },
				{
					methods: ['GET', 'PUT', 'PATCH', 'DELETE'],
					path: new RegExp(`^/client/v4/zones/${ID32}/dns_records/${ID32}$`)
				}
			]
		}
	],
	dns: {
		name: 'Cloudflare',
		label: 'Cloudflare',
		token: {
			summary: 'Needs an API token with "Zone: DNS: Edit" for your domain. Goes through your relay.',
			url: 'https://dash.cloudflare.com/profile/api-tokens',
			steps: [
				'In Cloudflare, open My Profile → API Tokens and choose “Create Token”.',
				'Start from the “Edit zone DNS” template and pick your domain under Zone Resources.',
				'Create the token and copy it: Cloudflare shows it only once.'
			]
		},
		needsRelay: true,
		sandbox: { base: '/sandbox/cloudflare/client/v4' }
	}
};
