/** Hetzner Cloud: servers, volumes, firewalls and DNS zones, through the relay (its API sends no CORS headers). */
import type { ProviderDescriptor, TokenHelp } from '../../core/providers/descriptor.ts';
import { SEG } from '../../core/net/relay-rules.ts';

const token = (summary: string): TokenHelp => ({
	summary,
	url: 'https://console.hetzner.cloud/projects',
	steps: [
		'Open your project in the Hetzner Cloud Console (or create one for nassella).',
		'Go to Security → API tokens and choose “Generate API token”.',
		'Choose “Read & Write”, then copy the token: Hetzner shows it only once.'
	]
});

/** The collections nassella reads or changes. */
const RESOURCES = [
	'actions',
	'datacenters',
	'firewalls',
	'floating_ips',
	'images',
	'isos',
	'locations',
	'placement_groups',
	'pricing',
	'primary_ips',
	'server_types',
	'servers',
	'ssh_keys',
	'volumes',
	'zones'
].join('|');

const METRIC_TYPE = '(?:cpu|disk|network)';
const RFC3339 = '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}(?:%3A|:)[0-9]{2}(?:%3A|:)[0-9]{2}(?:\\.[0-9]{1,9})?Z';
const METRICS_QUERY = new RegExp(
	`^\\?type=${METRIC_TYPE}(?:(?:%2C|,)${METRIC_TYPE}){0,2}&start=${RFC3339}&end=${RFC3339}(?:&step=[0-9]{1,8})?$`
);

export const hetzner: ProviderDescriptor = {
	id: 'hetzner',
	folder: 'hetzner',
	name: 'Hetzner Cloud',
	apiOrigins: ['https://api.hetzner.cloud'],
	relay: [
		{
			host: 'api.hetzner.cloud',
			provider: 'Hetzner Cloud',
			routes: [
				{
					methods: ['GET', 'POST', 'PUT', 'DELETE'],
					path: new RegExp(`^/v1/(?!servers/${SEG}/metrics$)(?:${RESOURCES})(?:/${SEG})*$`)
				},
				// Server metrics: read only, with the query the app sends (kinds, RFC 3339 range, step).
				{ methods: ['GET'], path: /^\/v1\/servers\/[0-9]{1,20}\/metrics$/, query: METRICS_QUERY }
			]
		}
	],
	cloud: {
		name: 'Hetzner Cloud',
		label: 'Hetzner Cloud (experimental)',
		token: /* @__PURE__ */ token('Needs a project API token with “Read & Write”. Goes through your relay.'),
		needsRelay: true,
		experimental: true,
		sandbox: { base: '/sandbox/hetzner/v1' },
		// Hetzner names a volume's disk after the volume's id.
		dataDevice: (volume) => `/dev/disk/by-id/scsi-0HC_Volume_${volume.id}`,
		flatcar: {
			route: 'snapshot-built-on-a-temporary-server',
			summary:
				'Experimental: nassella builds a Flatcar snapshot in your project with a temporary server (a few minutes and a few cents, once).'
		}
	},
	dns: {
		name: 'Hetzner DNS',
		label: 'Hetzner DNS',
		token: /* @__PURE__ */ token(
			'Uses a Hetzner Cloud project token; the zone must be in the same project. Goes through your relay.'
		),
		needsRelay: true,
		sandbox: { base: '/sandbox/hetzner/v1' }
	}
};
