/**
 * What the app, the build and the relay derive from the providers' descriptors: the choices
 * offered (real and practice), the origins the browser may call, the relay's allowlist, and
 * where a data volume appears on a server. Pure: the list of descriptors is passed in
 * (src/lib/adapters/registry.ts holds it).
 */
import type { HostRule } from '../net/relay-rules.ts';
import type { CloudOffer, DnsOffer, GitOffer, ProviderDescriptor, ProviderKind } from './descriptor.ts';

export type { ProviderDescriptor, ProviderKind };

/** One choice the app offers: a provider, for one kind of work, real or practice. */
export interface Offered {
	/** Kept in saved setups: "digitalocean", "digitalocean-dns", "sandbox-hetzner". */
	id: string;
	kind: ProviderKind;
	sandbox: boolean;
	descriptor: ProviderDescriptor;
	offer: CloudOffer | DnsOffer | GitOffer;
}

const KINDS: readonly ProviderKind[] = ['cloud', 'dns', 'git'];

/**
 * A choice's id: the provider's id, with "-dns" or "-git" when the same provider also offers
 * servers, and "sandbox-" before it for the practice choice. These ids are stored in people's
 * setups and must never change.
 */
export function offerId(d: ProviderDescriptor, kind: ProviderKind, sandbox: boolean): string {
	const base = kind !== 'cloud' && d.cloud ? `${d.id}-${kind}` : d.id;
	return sandbox ? `sandbox-${base}` : base;
}

/** Every choice of one kind: the real ones in the registry's order, then the practice ones. */
export function offersOf(descriptors: readonly ProviderDescriptor[], kind: ProviderKind): Offered[] {
	const real: Offered[] = [];
	const practice: Offered[] = [];
	for (const descriptor of descriptors) {
		const offer = descriptor[kind];
		if (!offer) continue;
		real.push({ id: offerId(descriptor, kind, false), kind, sandbox: false, descriptor, offer });
		if (offer.sandbox) practice.push({ id: offerId(descriptor, kind, true), kind, sandbox: true, descriptor, offer });
	}
	return [...real, ...practice];
}

/** The choice an id names, or undefined for an id no provider offers. */
export function findOffer(descriptors: readonly ProviderDescriptor[], id: string): Offered | undefined {
	for (const kind of KINDS) {
		const found = offersOf(descriptors, kind).find((o) => o.id === id);
		if (found) return found;
	}
	return undefined;
}

/** The origins the browser may call besides the app's own: the build's connect-src. */
export function connectOrigins(descriptors: readonly ProviderDescriptor[]): string[] {
	const origins = descriptors.flatMap((d) => d.apiOrigins);
	for (const o of origins)
		if (new URL(o).origin !== o || !o.startsWith('https://'))
			throw new Error(`A provider's API origin must be a bare https origin: ${o}`);
	return [...new Set(origins)];
}

/** The relay's allowlist: every host a provider is reached at through it, each once. */
export function relayRules(descriptors: readonly ProviderDescriptor[]): HostRule[] {
	const rules = descriptors.flatMap((d) => d.relay);
	const hosts = rules.map((r) => r.host);
	const twice = hosts.find((h, i) => hosts.indexOf(h) !== i);
	if (twice) throw new Error(`Two providers claim the relay host ${twice}.`);
	return rules;
}

/**
 * Where the data volume appears on a server of the cloud choice `cloudId` (a stable by-id
 * path). A cloud no descriptor offers is refused, never given another cloud's naming.
 */
export function dataDevicePath(
	descriptors: readonly ProviderDescriptor[],
	cloudId: string,
	volume: { id: string; name: string }
): string {
	const found = findOffer(descriptors, cloudId);
	if (!found || found.kind !== 'cloud' || !found.descriptor.cloud)
		throw new Error(`No cloud provider is known as “${cloudId}”, so where its data disk appears is unknown.`);
	return found.descriptor.cloud.dataDevice(volume);
}
