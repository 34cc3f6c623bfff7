/**
 * The providers live-check looks at: the environment variable that holds each token, and
 * the app's own choice (src/lib/main/providers.ts, git-hosts.ts) it builds the adapter
 * from — the real one, or the sandbox one when the kit is pointed at `npm start`'s sandbox.
 */
import { flatcarHetznerImageUrl } from '../../src/lib/adapters/hetzner/builder.ts';
import { FLATCAR_DIGITALOCEAN_IMAGE } from '../../src/lib/adapters/digitalocean/cloud.ts';
import { cloudChoices, dnsChoices } from '../../src/lib/main/providers.ts';
import { gitHostChoices } from '../../src/lib/main/git-hosts.ts';
import type { CloudProvider } from '../../src/lib/ports/cloud.ts';
import type { DnsProvider } from '../../src/lib/ports/dns.ts';
import type { GitHost } from '../../src/lib/ports/git-host.ts';

export type ProviderId = 'digitalocean' | 'hetzner' | 'cloudflare' | 'desec' | 'github' | 'gitlab';
export type Kind = 'cloud' | 'dns' | 'git';

export interface ProviderSpec {
	id: ProviderId;
	name: string;
	kind: Kind;
	/** Where the token is read from. */
	env: string;
	/** The app's choice id for the real provider, and for its sandbox stand-in (none: no stand-in). */
	choice: string;
	sandboxChoice?: string;
	/** The API's address as the adapter calls it, and the sandbox's path for it on the app's origin. */
	api: string;
	sandboxApi?: string;
	/** A read the token check makes: the address the CORS preflight asks about. */
	corsPath: string;
	/** The Flatcar image(s) the app has this provider download. */
	images?: string[];
}

export const PROVIDERS: readonly ProviderSpec[] = [
	{
		id: 'digitalocean',
		name: 'DigitalOcean',
		kind: 'cloud',
		env: 'NASSELLA_DIGITALOCEAN_TOKEN',
		choice: 'digitalocean',
		sandboxChoice: 'sandbox-digitalocean',
		api: 'https://api.digitalocean.com',
		sandboxApi: '/sandbox/digitalocean',
		corsPath: '/v2/account',
		images: [FLATCAR_DIGITALOCEAN_IMAGE]
	},
	{
		id: 'hetzner',
		name: 'Hetzner Cloud',
		kind: 'cloud',
		env: 'NASSELLA_HETZNER_TOKEN',
		choice: 'hetzner',
		sandboxChoice: 'sandbox-hetzner',
		api: 'https://api.hetzner.cloud/v1',
		sandboxApi: '/sandbox/hetzner/v1',
		corsPath: '/locations',
		// The builder downloads the image and its DIGESTS file (adapters/hetzner/builder.ts); x86 only.
		images: [flatcarHetznerImageUrl('stable', 'x86'), `${flatcarHetznerImageUrl('stable', 'x86')}.DIGESTS`]
	},
	{
		id: 'cloudflare',
		name: 'Cloudflare',
		kind: 'dns',
		env: 'NASSELLA_CLOUDFLARE_TOKEN',
		choice: 'cloudflare',
		sandboxChoice: 'sandbox-cloudflare',
		api: 'https://api.cloudflare.com/client/v4',
		sandboxApi: '/sandbox/cloudflare/client/v4',
		corsPath: '/user/tokens/verify'
	},
	{
		id: 'desec',
		name: 'deSEC',
		kind: 'dns',
		env: 'NASSELLA_DESEC_TOKEN',
		choice: 'desec',
		sandboxChoice: 'sandbox-desec',
		api: 'https://desec.io',
		sandboxApi: '/sandbox/desec',
		corsPath: '/api/v1/auth/account/'
	},
	{
		id: 'github',
		name: 'GitHub',
		kind: 'git',
		env: 'NASSELLA_GITHUB_TOKEN',
		choice: 'github',
		sandboxChoice: 'sandbox-github',
		api: 'https://api.github.com',
		sandboxApi: '/sandbox/github',
		corsPath: '/user'
	},
	{
		id: 'gitlab',
		name: 'GitLab',
		kind: 'git',
		env: 'NASSELLA_GITLAB_TOKEN',
		choice: 'gitlab',
		api: 'https://gitlab.com/api/v4',
		corsPath: '/user'
	}
];

/** The DNS choices a deployment may use, and whose token each takes. */
export const DEPLOY_DNS: Readonly<Record<string, ProviderId>> = {
	desec: 'desec',
	cloudflare: 'cloudflare',
	'digitalocean-dns': 'digitalocean',
	'hetzner-dns': 'hetzner'
};

export function spec(id: ProviderId): ProviderSpec {
	const found = PROVIDERS.find((p) => p.id === id);
	if (!found) throw new Error(`Unknown provider ${id}.`);
	return found;
}

/** Whether the app reaches this choice through the relay (no CORS at the provider). */
export function needsProxy(choiceId: string): boolean {
	const all = [...cloudChoices, ...dnsChoices, ...gitHostChoices];
	return all.find((c) => c.id === choiceId)?.needsProxy ?? false;
}

/** Where the kit runs: against the real providers, or the sandbox of a local entry. */
export interface Target {
	/** The sandbox's origin (`http://127.0.0.1:<port>`), or undefined for the real providers. */
	sandbox?: string;
	/** A relay for the providers the app reaches through one (real providers only). */
	relay?: string;
	/** The app's origin: sent in CORS preflights and relay requests, written into the server's config. */
	origin: string;
}

export function choiceId(p: ProviderSpec, target: Target): string | undefined {
	return target.sandbox ? p.sandboxChoice : p.choice;
}

/** The API address calls for this provider go to (before any relay). */
export function apiBase(p: ProviderSpec, target: Target): string | undefined {
	if (!target.sandbox) return p.api;
	return p.sandboxApi ? `${target.sandbox}${p.sandboxApi}` : undefined;
}

/** The adapter of a choice, built as the app builds it. */
export async function cloudFor(id: string, token: string, target: Target): Promise<CloudProvider> {
	const choice = cloudChoices.find((c) => c.id === id);
	if (!choice) throw new Error(`Unknown cloud provider ${id}.`);
	return choice.create({ token, proxyBase: choice.needsProxy ? target.relay : undefined });
}

export async function dnsFor(id: string, token: string, target: Target): Promise<DnsProvider> {
	const choice = dnsChoices.find((c) => c.id === id);
	if (!choice) throw new Error(`Unknown DNS provider ${id}.`);
	return choice.create({ token, proxyBase: choice.needsProxy ? target.relay : undefined });
}

export async function gitFor(id: string, token: string, target: Target): Promise<GitHost> {
	const choice = gitHostChoices.find((c) => c.id === id);
	if (!choice) throw new Error(`Unknown git host ${id}.`);
	return choice.create({ token, proxyBase: target.relay });
}

/** The provider a request is for, from its address (through a relay or not). */
export function attribute(url: URL, target: Target): string {
	let href = url.href;
	if (target.relay && href.startsWith(target.relay.replace(/\/+$/, '') + '/')) {
		const rest = href.slice(target.relay.replace(/\/+$/, '').length + 1);
		if (rest.startsWith('server/')) return 'server';
		href = `https://${rest}`;
	}
	if (target.sandbox) {
		const path = url.pathname;
		if (path.startsWith('/sandbox/server/') || path.startsWith('/sandbox/doh/')) return 'server';
	}
	for (const p of PROVIDERS) {
		const base = apiBase(p, target);
		if (base && href.startsWith(base)) return p.id;
	}
	// Git over HTTPS and the DoH resolvers are not API calls of a listed provider.
	if (/^https:\/\/(cloudflare-dns\.com|dns\.google)\//.test(href)) return 'server';
	return 'other';
}
