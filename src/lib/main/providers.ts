/**
 * The cloud and DNS providers the app offers, real and sandbox, and how to build each from
 * the person's credentials. Adapters load on demand (dynamic import), so none of this weighs
 * on the first page. Sandbox choices use the same adapters against the fakes `npm start`
 * serves on the app's own origin.
 */
import type { CloudProvider } from '../ports/cloud.ts';
import type { DnsProvider } from '../ports/dns.ts';
import type { DohEndpoint } from '../adapters/doh/propagation.ts';

export const SANDBOX_LABEL = 'Sandbox (practice, nothing is created)';

export interface Credentials {
	/** API token (PowerDNS: the API key). */
	token: string;
	/** The proxy base URL from the settings, for providers reached through it. */
	proxyBase?: string;
	/** PowerDNS: the server's API address. */
	baseUrl?: string;
}

interface Choice<T> {
	id: string;
	label: string;
	/** One plain sentence shown under the choice. */
	note: string;
	sandbox: boolean;
	experimental: boolean;
	needsProxy: boolean;
	create(credentials: Credentials): Promise<T>;
}

export type CloudChoice = Choice<CloudProvider>;
export type DnsChoice = Choice<DnsProvider>;

const SANDBOX_NOTE = 'Try the whole setup with stand-in providers. Any token works; nothing is created or billed.';
const HETZNER_NOTE =
	'Experimental: nassella builds a Flatcar snapshot in your project with a temporary server (a few minutes and a few cents, once).';

export const cloudChoices: readonly CloudChoice[] = [
	{
		id: 'digitalocean',
		label: 'DigitalOcean',
		note: 'Needs a personal access token with write access.',
		sandbox: false,
		experimental: false,
		needsProxy: false,
		create: async (c) => new (await import('../adapters/digitalocean/cloud.ts')).DigitalOceanCloud({ token: c.token })
	},
	{
		id: 'hetzner',
		label: 'Hetzner Cloud (experimental)',
		note: HETZNER_NOTE,
		sandbox: false,
		experimental: true,
		needsProxy: true,
		create: async (c) =>
			new (await import('../adapters/hetzner/cloud.ts')).HetznerCloud({ token: c.token, proxyBase: c.proxyBase })
	},
	{
		id: 'sandbox-digitalocean',
		label: `DigitalOcean — ${SANDBOX_LABEL}`,
		note: SANDBOX_NOTE,
		sandbox: true,
		experimental: false,
		needsProxy: false,
		create: async (c) =>
			new (await import('../adapters/digitalocean/cloud.ts')).DigitalOceanCloud({
				token: c.token,
				baseUrl: '/sandbox/digitalocean',
				pollMs: 1000,
				id: 'sandbox-digitalocean',
				displayName: `DigitalOcean (sandbox)`
			})
	},
	{
		id: 'sandbox-hetzner',
		label: `Hetzner Cloud — ${SANDBOX_LABEL}`,
		note: SANDBOX_NOTE,
		sandbox: true,
		experimental: true,
		needsProxy: false,
		create: async (c) =>
			new (await import('../adapters/hetzner/cloud.ts')).HetznerCloud({
				token: c.token,
				baseUrl: '/sandbox/hetzner/v1',
				pollMs: 1000,
				id: 'sandbox-hetzner',
				displayName: 'Hetzner Cloud (sandbox, experimental)'
			})
	}
];

export const dnsChoices: readonly DnsChoice[] = [
	{
		id: 'desec',
		label: 'deSEC (free, also gives free dedyn.io names)',
		note: 'Needs a deSEC token. For a free dedyn.io name, create it at desec.io (Token Management) with "Can create domains" turned on.',
		sandbox: false,
		experimental: false,
		needsProxy: false,
		create: async (c) => new (await import('../adapters/desec/dns.ts')).DesecDns({ token: c.token })
	},
	{
		id: 'cloudflare',
		label: 'Cloudflare',
		note: 'Needs an API token with "Zone: DNS: Edit" for your domain.',
		sandbox: false,
		experimental: false,
		needsProxy: true,
		create: async (c) =>
			new (await import('../adapters/cloudflare/dns.ts')).CloudflareDns({ token: c.token, proxyBase: c.proxyBase })
	},
	{
		id: 'digitalocean-dns',
		label: 'DigitalOcean DNS',
		note: 'Your domain must already be added under Networking → Domains.',
		sandbox: false,
		experimental: false,
		needsProxy: false,
		create: async (c) => new (await import('../adapters/digitalocean/dns.ts')).DigitalOceanDns({ token: c.token })
	},
	{
		id: 'hetzner-dns',
		label: 'Hetzner DNS',
		note: 'Uses a Hetzner Cloud project token; the zone must be in the same project.',
		sandbox: false,
		experimental: false,
		needsProxy: true,
		create: async (c) =>
			new (await import('../adapters/hetzner/dns.ts')).HetznerDns({ token: c.token, proxyBase: c.proxyBase })
	},
	{
		id: 'powerdns',
		label: 'PowerDNS (your own server)',
		note: 'Needs the address of its HTTP API and its API key.',
		sandbox: false,
		experimental: false,
		needsProxy: false,
		create: async (c) => {
			if (!c.baseUrl) throw new Error('The PowerDNS API address is missing.');
			return new (await import('../adapters/powerdns/dns.ts')).PowerDns({
				apiKey: c.token,
				baseUrl: c.baseUrl,
				proxyBase: c.proxyBase
			});
		}
	},
	...(
		[
			[
				'sandbox-desec',
				'deSEC',
				async (c: Credentials) =>
					new (await import('../adapters/desec/dns.ts')).DesecDns({
						token: c.token,
						baseUrl: '/sandbox/desec',
						id: 'sandbox-desec',
						displayName: 'deSEC (sandbox)'
					})
			],
			[
				'sandbox-cloudflare',
				'Cloudflare',
				async (c: Credentials) =>
					new (await import('../adapters/cloudflare/dns.ts')).CloudflareDns({
						token: c.token,
						baseUrl: '/sandbox/cloudflare/client/v4',
						id: 'sandbox-cloudflare',
						displayName: 'Cloudflare (sandbox)'
					})
			],
			[
				'sandbox-digitalocean-dns',
				'DigitalOcean DNS',
				async (c: Credentials) =>
					new (await import('../adapters/digitalocean/dns.ts')).DigitalOceanDns({
						token: c.token,
						baseUrl: '/sandbox/digitalocean',
						id: 'sandbox-digitalocean-dns',
						displayName: 'DigitalOcean DNS (sandbox)'
					})
			],
			[
				'sandbox-hetzner-dns',
				'Hetzner DNS',
				async (c: Credentials) =>
					new (await import('../adapters/hetzner/dns.ts')).HetznerDns({
						token: c.token,
						baseUrl: '/sandbox/hetzner/v1',
						id: 'sandbox-hetzner-dns',
						displayName: 'Hetzner DNS (sandbox)'
					})
			]
		] as const
	).map(([id, name, create]): DnsChoice => ({
		id,
		label: `${name} — ${SANDBOX_LABEL}`,
		note: `${SANDBOX_NOTE} The zone nassella-sandbox.example is ready to use.`,
		sandbox: true,
		experimental: false,
		needsProxy: false,
		create
	}))
];

/** Where the propagation check asks: the public resolvers, or the sandbox's stand-in. */
export function dohEndpoints(sandbox: boolean): readonly DohEndpoint[] {
	if (!sandbox)
		return [
			{ name: 'Cloudflare', url: 'https://cloudflare-dns.com/dns-query' },
			{ name: 'Google', url: 'https://dns.google/resolve' }
		];
	return [
		{ name: 'Cloudflare (sandbox)', url: '/sandbox/doh/cloudflare-dns.com/dns-query' },
		{ name: 'Google (sandbox)', url: '/sandbox/doh/dns.google/resolve' }
	];
}
