/**
 * The cloud, DNS and git providers the app offers, real and sandbox, derived from the
 * providers' descriptors (src/lib/adapters/registry.ts), and how to build each from the
 * person's credentials. Adapters load on demand (each provider's factory.ts), so none of this
 * weighs on the first page. Sandbox choices use the same adapters against the fakes
 * `npm start` serves on the app's own origin.
 */
import type { CloudProvider } from '../ports/cloud.ts';
import type { DnsProvider } from '../ports/dns.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { AdapterSettings, ProviderFactory } from '../ports/provider-factory.ts';
import type { GitIdentity } from '../core/git/objects.ts';
import type { TokenHelp } from '../core/providers/descriptor.ts';
import { dataDevicePath as offeredDataDevice, offersOf, type ProviderKind } from '../core/providers/offers.ts';
import type { DohEndpoint } from '../adapters/doh/propagation.ts';
import { PROVIDERS } from '../adapters/registry.ts';
import { PUBLIC_DOH } from '../core/net/doh-origins.ts';
import { COMMIT_IDENTITY } from './identity.ts';

export const SANDBOX_LABEL = 'Sandbox (practice, nothing is created)';

export interface Credentials {
	/** API token (PowerDNS: the API key). */
	token: string;
	/** The proxy base URL from the settings, for providers reached through it. */
	proxyBase?: string;
	/** PowerDNS, a Forgejo or GitLab server: the API's address. */
	baseUrl?: string;
}

export interface Choice<T> {
	id: string;
	label: string;
	/** One plain sentence shown under the choice. */
	note: string;
	/** Where the provider's tokens are made, and what to do there (none for practice choices). */
	token?: TokenHelp;
	/** The provider's own name ("DigitalOcean"). */
	providerName: string;
	/** It hands out free names under this suffix (deSEC: "dedyn.io"). */
	freeNames?: string;
	sandbox: boolean;
	experimental: boolean;
	needsProxy: boolean;
	create(credentials: Credentials): Promise<T>;
}

export type CloudChoice = Choice<CloudProvider>;
export type DnsChoice = Choice<DnsProvider>;

const SANDBOX_NOTE = 'Try the whole setup with stand-in providers. Any token works; nothing is created or billed.';
const SANDBOX_NOTES: Record<ProviderKind, string> = {
	cloud: SANDBOX_NOTE,
	dns: `${SANDBOX_NOTE} The zone nassella-sandbox.example is ready to use.`,
	git: 'Try the whole setup with a stand-in git host. Any token works; nothing is created.'
};

const origin = () => (typeof location === 'undefined' ? '' : location.origin);

/** A provider's factory (its folder's factory.ts), loaded when the provider is first used. */
function factoryOf(folder: string): Promise<ProviderFactory> {
	return import(`../adapters/${folder}/factory.ts`).then((m: { factory: ProviderFactory }) => m.factory);
}

/** The choices of one kind, as the registry's descriptors offer them. */
export function choicesOf<K extends ProviderKind>(
	kind: K,
	identity: GitIdentity
): Choice<K extends 'cloud' ? CloudProvider : K extends 'dns' ? DnsProvider : GitHost>[] {
	type T = K extends 'cloud' ? CloudProvider : K extends 'dns' ? DnsProvider : GitHost;
	return offersOf(PROVIDERS, kind).map(({ id, sandbox, descriptor, offer }): Choice<T> => {
		const displayName = sandbox ? `${offer.name} (sandbox${offer.experimental ? ', experimental' : ''})` : offer.name;
		const defaultOrigin = 'defaultOrigin' in offer ? offer.defaultOrigin : undefined;
		// Only a server the person runs (PowerDNS, a Forgejo or GitLab server) takes an address from them.
		const ownAddress = !!defaultOrigin || ('asksApiAddress' in offer && !!offer.asksApiAddress);
		return {
			id,
			label: sandbox ? `${offer.name} — ${SANDBOX_LABEL}` : offer.label,
			note: sandbox
				? SANDBOX_NOTES[kind]
				: 'flatcar' in offer && offer.experimental
					? `${offer.flatcar.summary} ${offer.token.summary}`
					: offer.token.summary,
			...(sandbox ? {} : { token: offer.token }),
			providerName: descriptor.name,
			...('freeNames' in offer && offer.freeNames ? { freeNames: offer.freeNames } : {}),
			sandbox,
			experimental: offer.experimental ?? false,
			needsProxy: !sandbox && offer.needsRelay,
			create: async (c) => {
				const build = (await factoryOf(descriptor.folder))[kind] as ((s: AdapterSettings) => Promise<T>) | undefined;
				if (!build) throw new Error(`${descriptor.name} offers no ${kind} adapter.`);
				return build({
					id,
					displayName,
					token: c.token,
					proxyBase: sandbox ? undefined : c.proxyBase,
					baseUrl: sandbox
						? `${origin()}${offer.sandbox!.base}`
						: ownAddress
							? (c.baseUrl ?? defaultOrigin)
							: undefined,
					sandbox,
					identity
				});
			}
		};
	});
}

// Marked pure so that a page which never lists providers (the home page) does not load their descriptors.
export const cloudChoices: readonly CloudChoice[] = /* @__PURE__ */ choicesOf('cloud', COMMIT_IDENTITY);
export const dnsChoices: readonly DnsChoice[] = /* @__PURE__ */ choicesOf('dns', COMMIT_IDENTITY);

/** Where a cloud choice's data volume appears on its servers; an unknown cloud is refused. */
export function dataDevicePath(cloudId: string, volume: { id: string; name: string }): string {
	return offeredDataDevice(PROVIDERS, cloudId, volume);
}

/** Who the relay serves, from the descriptors: names for the Settings page, with the hosts it forwards to. */
export interface RelayReach {
	/** Providers whose API is reached only through the relay ("Hetzner Cloud", "Cloudflare"). */
	through: string[];
	/** Providers the app calls directly ("DigitalOcean", "deSEC"). */
	direct: string[];
	/** Every host the relay forwards to. */
	hosts: string[];
}

export function relayReach(): RelayReach {
	const needs = (d: (typeof PROVIDERS)[number]) => [d.cloud, d.dns, d.git].some((o) => o?.needsRelay);
	return {
		through: PROVIDERS.filter(needs).map((d) => d.name),
		direct: PROVIDERS.filter((d) => !needs(d) && d.apiOrigins.length > 0).map((d) => d.name),
		hosts: PROVIDERS.flatMap((d) => d.relay.map((r) => r.host))
	};
}

/** Where the propagation check asks: the public resolvers, or the sandbox's stand-in. */
export function dohEndpoints(sandbox: boolean): readonly DohEndpoint[] {
	if (!sandbox) return PUBLIC_DOH;
	return PUBLIC_DOH.map((r) => {
		const u = new URL(r.url);
		return { name: `${r.name} (sandbox)`, url: `/sandbox/doh/${u.host}${u.pathname}` };
	});
}
