/**
 * What nassella knows about one provider, in one place: each provider's folder under
 * src/lib/adapters holds a `provider.ts` exporting one of these, and the registry
 * (src/lib/adapters/registry.ts) lists them. The provider choices, the build's
 * Content-Security-Policy, the relay's allowlist and the deploy steps all read it, so adding
 * a provider is its folder, one line in the registry, a fake and a contract run.
 *
 * Pure data: it is read by the app, the build and the relay (which must not load adapters).
 */
import type { HostRule } from '../net/relay-rules.ts';

export type ProviderKind = 'cloud' | 'dns' | 'git';

/** How a person gets a token for this provider, in plain words. */
export interface TokenHelp {
	/** One or two sentences shown under the token field. */
	summary: string;
	/** The provider's page where tokens are made. */
	url: string;
	/** What to do on that page, in order. */
	steps: readonly string[];
}

interface Offer {
	/** Its short name ("DigitalOcean DNS"), for messages and the sandbox's label. */
	name: string;
	/** The choice's name in the list. */
	label: string;
	token: TokenHelp;
	/** The API sends no CORS headers, so the browser reaches it through the relay. */
	needsRelay: boolean;
	/** Shown with a warning: it works but has not been tried by many people yet. */
	experimental?: boolean;
	/**
	 * Offered as a practice choice too, against the sandbox's stand-in served on the app's own
	 * origin at this path (`npm start`).
	 */
	sandbox?: { base: string };
}

export interface CloudOffer extends Offer {
	/** Where the data volume appears on the server: a stable /dev/disk/by-id path. */
	dataDevice(volume: { id: string; name: string }): string;
	/** How Flatcar Container Linux gets onto this cloud. */
	flatcar: {
		route: 'image-from-url' | 'snapshot-built-on-a-temporary-server';
		/** In plain words, for the choice's note. */
		summary: string;
	};
}

export interface DnsOffer extends Offer {
	/** The person runs the DNS server and gives the address of its API (PowerDNS). */
	asksApiAddress?: boolean;
	/** It hands out free names under this suffix (deSEC: "dedyn.io"). */
	freeNames?: string;
}

export interface GitOffer extends Offer {
	/** The server's address when the person gives none (GitLab, Codeberg). */
	defaultOrigin?: string;
}

export interface ProviderDescriptor {
	/** Stable id, kept in people's saved setups ("digitalocean"). */
	id: string;
	/** Its folder under src/lib/adapters, which holds provider.ts and factory.ts. */
	folder: string;
	/** The name people know ("DigitalOcean"). */
	name: string;
	/** Every origin the browser may call for it: the build's connect-src. */
	apiOrigins: readonly string[];
	/** The hosts the relay serves for it, with the methods and paths nassella sends there. */
	relay: readonly HostRule[];
	cloud?: CloudOffer;
	dns?: DnsOffer;
	git?: GitOffer;
}
