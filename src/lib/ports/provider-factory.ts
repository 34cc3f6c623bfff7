/**
 * What each provider's folder offers besides its descriptor: `factory.ts` builds its adapters
 * from a person's settings. The composition root (src/lib/main) loads it on demand, so no
 * adapter weighs on the first page.
 */
import type { GitIdentity } from '../core/git/objects.ts';
import type { CloudProvider } from './cloud.ts';
import type { DnsProvider } from './dns.ts';
import type { GitHost } from './git-host.ts';

export interface AdapterSettings {
	/** The choice's id ("sandbox-digitalocean"), kept with what the adapter creates. */
	id: string;
	/** The name shown in messages ("DigitalOcean (sandbox)"). */
	displayName: string;
	/** API token (PowerDNS: its API key). */
	token: string;
	/** The relay's base address from the settings, for APIs reached through it. */
	proxyBase?: string;
	/**
	 * Where the API answers when not at the provider's own address: the sandbox's stand-in, or a
	 * server the person runs (PowerDNS, a Forgejo server).
	 */
	baseUrl?: string;
	/** A practice choice against the sandbox: it polls more often, as nothing real is waited for. */
	sandbox: boolean;
	/** Name and address on commits (git hosts). */
	identity: GitIdentity;
}

export interface ProviderFactory {
	cloud?(settings: AdapterSettings): Promise<CloudProvider>;
	dns?(settings: AdapterSettings): Promise<DnsProvider>;
	git?(settings: AdapterSettings): Promise<GitHost>;
}
