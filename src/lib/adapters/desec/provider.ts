/** deSEC: free DNS hosting and free dedyn.io names, called directly (its API sends CORS headers). */
import type { ProviderDescriptor } from '../../core/providers/descriptor.ts';

export const desec: ProviderDescriptor = {
	id: 'desec',
	folder: 'desec',
	name: 'deSEC',
	// update.dedyn.io: deSEC's dynamic DNS service, on the same account.
	apiOrigins: ['https://desec.io', 'https://update.dedyn.io'],
	relay: [],
	dns: {
		name: 'deSEC',
		label: 'deSEC (free, also gives free dedyn.io names)',
		token: {
			summary:
				'Needs a deSEC token. For a free dedyn.io name, create it at desec.io (Token Management) with "Can create domains" turned on.',
			url: 'https://desec.io/tokens',
			steps: [
				'Sign up or log in at desec.io and open Token Management.',
				'Create a new token. For a free dedyn.io name, turn on “Can create domains”.',
				'Copy the token: deSEC shows it only once.'
			]
		},
		needsRelay: false,
		freeNames: 'dedyn.io',
		sandbox: { base: '/sandbox/desec' }
	}
};
