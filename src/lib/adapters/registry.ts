/**
 * Every provider nassella offers, one line each. A provider is its folder under
 * src/lib/adapters (provider.ts: what it is; factory.ts: its adapters), this line, a fake in
 * workers/sandbox and a contract run. The choices, the build's Content-Security-Policy and the
 * relay's allowlist are derived from this list (src/lib/core/providers/offers.ts).
 *
 * Only descriptors here: the relay and the build read this file, and must not load adapters.
 */
import type { ProviderDescriptor } from '../core/providers/descriptor.ts';
import { cloudflare } from './cloudflare/provider.ts';
import { desec } from './desec/provider.ts';
import { digitalocean } from './digitalocean/provider.ts';
import { codeberg } from './forgejo/provider.ts';
import { github } from './github/provider.ts';
import { gitlab } from './gitlab/provider.ts';
import { hetzner } from './hetzner/provider.ts';
import { powerdns } from './powerdns/provider.ts';

/** In the order the choices are listed (servers: DigitalOcean first; DNS: deSEC first). */
export const PROVIDERS: readonly ProviderDescriptor[] = [
	desec,
	cloudflare,
	digitalocean,
	hetzner,
	powerdns,
	github,
	codeberg,
	gitlab
];
