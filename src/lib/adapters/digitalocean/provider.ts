/** DigitalOcean: servers (Droplets), volumes, firewalls and DNS, all called directly (its API sends CORS headers). */
import type { ProviderDescriptor, TokenHelp } from '../../core/providers/descriptor.ts';

const token = (summary: string): TokenHelp => ({
	summary,
	url: 'https://cloud.digitalocean.com/account/api/tokens',
	steps: [
		'Open API → Tokens in the DigitalOcean control panel and choose “Generate New Token”.',
		'Give it a name, pick an expiry, and choose “Full Access” (or custom scopes with write access to Droplets, volumes, firewalls, images, SSH keys, tags and domains).',
		'Copy the token now: DigitalOcean shows it only once.'
	]
});

export const digitalocean: ProviderDescriptor = {
	id: 'digitalocean',
	folder: 'digitalocean',
	name: 'DigitalOcean',
	apiOrigins: ['https://api.digitalocean.com'],
	relay: [],
	cloud: {
		name: 'DigitalOcean',
		label: 'DigitalOcean',
		token: /* @__PURE__ */ token('Needs a personal access token with write access.'),
		needsRelay: false,
		sandbox: { base: '/sandbox/digitalocean' },
		// DigitalOcean names a volume's disk after the volume.
		dataDevice: (volume) => `/dev/disk/by-id/scsi-0DO_Volume_${volume.name}`,
		flatcar: {
			route: 'image-from-url',
			summary: 'DigitalOcean imports the official Flatcar image from its web address as a custom image.'
		}
	},
	dns: {
		name: 'DigitalOcean DNS',
		label: 'DigitalOcean DNS',
		token: /* @__PURE__ */ token(
			'Uses a DigitalOcean token with write access. Your domain must already be added under Networking → Domains.'
		),
		needsRelay: false,
		sandbox: { base: '/sandbox/digitalocean' }
	}
};
