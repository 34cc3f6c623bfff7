/** PowerDNS: a person's own DNS server, through its HTTP API at the address they give. */
import type { ProviderDescriptor } from '../../core/providers/descriptor.ts';

export const powerdns: ProviderDescriptor = {
	id: 'powerdns',
	folder: 'powerdns',
	name: 'PowerDNS',
	// The person's own server: its address is known only when they give it.
	apiOrigins: [],
	relay: [],
	dns: {
		name: 'PowerDNS',
		label: 'PowerDNS (your own server)',
		token: {
			summary: 'Needs the address of its HTTP API and its API key.',
			url: 'https://doc.powerdns.com/authoritative/http-api/index.html',
			steps: [
				'Turn on the API in pdns.conf (api=yes) and set an api-key.',
				'Make the API reachable over https (PowerDNS 5.1 or later answers web pages itself).',
				'Enter the API’s address and the api-key here.'
			]
		},
		needsRelay: false,
		asksApiAddress: true
	}
};
