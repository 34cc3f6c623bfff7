/**
 * Stateful fake of the DigitalOcean API v2 endpoints nassella uses (droplets, custom images,
 * SSH keys, volumes, firewalls, monitoring, domains), validated against the official spec.
 *
 * This file holds the fake's state and routes each request to its resource, one file a
 * resource as godo keeps them: account.ts, regions.ts, sizes.ts, images.ts, ssh-keys.ts,
 * volumes.ts, tags.ts, firewalls.ts, droplets.ts, monitoring.ts, domains.ts (common.ts: what they
 * share; dialect.ts: errors, rate limits and the spec).
 */
import { FakeApi } from '../kit.ts';
import { accountRoutes } from './account.ts';
import type { DigitalOceanContext, DigitalOceanState } from './common.ts';
import { digitalOceanDialect, digitalOceanValidator } from './dialect.ts';
import { addDomain, domainLookup, domainRoutes } from './domains.ts';
import { dropletRoutes } from './droplets.ts';
import { firewallRoutes } from './firewalls.ts';
import { imageRoutes } from './images.ts';
import { monitoringRoutes } from './monitoring.ts';
import { regionRoutes } from './regions.ts';
import { sizeRoutes } from './sizes.ts';
import { sshKeyRoutes } from './ssh-keys.ts';
import { tagRoutes } from './tags.ts';
import { volumeRoutes } from './volumes.ts';

export { digitalOceanDialect, digitalOceanValidator };

export interface DigitalOceanFakeOptions {
	tokens?: string[];
	latencyMs?: number;
	/** How long an image import and a droplet boot take. */
	importMs?: number;
	bootMs?: number;
	dropletLimit?: number;
	validate?: boolean;
	acceptAnyToken?: boolean;
	/**
	 * Whether droplets run DigitalOcean's metrics agent (which reports filesystem figures): one
	 * installed by hand, since DigitalOcean installs none on a droplet of a custom image.
	 */
	metricsAgent?: boolean;
}

export function createDigitalOceanFake(options: DigitalOceanFakeOptions = {}) {
	const api = new FakeApi({
		dialect: digitalOceanDialect,
		validator: options.validate === false ? undefined : digitalOceanValidator(),
		tokens: options.tokens,
		acceptAnyToken: options.acceptAnyToken,
		latencyMs: options.latencyMs,
		rateLimit: 5000
	});
	let nextId = 1000;
	const state: DigitalOceanState = {
		images: [],
		droplets: [],
		volumes: [],
		firewalls: [],
		keys: [],
		domains: new Map(),
		tags: new Set()
	};
	const ctx: DigitalOceanContext = {
		api,
		state,
		importMs: options.importMs ?? 50,
		bootMs: options.bootMs ?? 50,
		dropletLimit: options.dropletLimit ?? 10,
		metricsAgent: options.metricsAgent ?? false,
		newId: () => nextId++
	};

	// The order of the routes is the order they are matched in.
	accountRoutes(ctx);
	regionRoutes(ctx);
	sizeRoutes(ctx);
	imageRoutes(ctx);
	sshKeyRoutes(ctx);
	volumeRoutes(ctx);
	tagRoutes(ctx);
	firewallRoutes(ctx);
	dropletRoutes(ctx);
	monitoringRoutes(ctx);
	domainRoutes(ctx);

	return {
		api,
		state,
		lookup: (fqdn: string, type: string) => domainLookup(state, fqdn, type),
		/** Adds a domain as if the person had added it in DigitalOcean's control panel. */
		addDomain: (name: string) => addDomain(ctx, name),
		reset() {
			state.images = [];
			state.droplets = [];
			state.volumes = [];
			state.firewalls = [];
			state.keys = [];
			state.domains.clear();
			state.tags.clear();
			api.faults = [];
		}
	};
}

export type DigitalOceanFake = ReturnType<typeof createDigitalOceanFake>;
