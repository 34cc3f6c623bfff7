/**
 * Stateful fake of the Hetzner Cloud API endpoints nassella uses: servers (with the
 * builder's cloud-init power-off simulated), snapshots, SSH keys, volumes, firewalls, async
 * actions, metrics, and DNS zones with rrsets. Validated against the official spec.
 *
 * This file holds the fake's state and routes each request to its resource, one file a
 * resource as hcloud-go keeps them: locations.ts, pricing.ts, server-types.ts, images.ts,
 * ssh-keys.ts, volumes.ts, firewalls.ts, servers.ts, actions.ts, zones.ts (common.ts: what
 * they share; dialect.ts: errors, rate limits and the spec).
 */
import { FakeApi } from '../kit.ts';
import { actionRoutes, type Action } from './actions.ts';
import type { HetznerContext, HetznerState } from './common.ts';
import { hetznerDialect, hetznerValidator } from './dialect.ts';
import { firewallRoutes } from './firewalls.ts';
import { imageRoutes } from './images.ts';
import { locationRoutes } from './locations.ts';
import { pricingRoutes } from './pricing.ts';
import { serverTypeRoutes } from './server-types.ts';
import { serverRoutes } from './servers.ts';
import { sshKeyRoutes } from './ssh-keys.ts';
import { volumeRoutes } from './volumes.ts';
import { addZone, zoneLookup, zoneRoutes } from './zones.ts';

export { hetznerDialect, hetznerValidator };

export interface HetznerFakeOptions {
	tokens?: string[];
	latencyMs?: number;
	bootMs?: number;
	/** How long the builder's cloud-init takes to write Flatcar and power off. */
	builderMs?: number;
	snapshotMs?: number;
	actionMs?: number;
	serverLimit?: number;
	/** The builder's script fails before writing (it then reboots into Ubuntu instead of powering off). */
	builderFails?: boolean;
	validate?: boolean;
	acceptAnyToken?: boolean;
}

export function createHetznerFake(options: HetznerFakeOptions = {}) {
	const api = new FakeApi({
		dialect: hetznerDialect,
		validator: options.validate === false ? undefined : hetznerValidator(),
		tokens: options.tokens,
		acceptAnyToken: options.acceptAnyToken,
		latencyMs: options.latencyMs,
		rateLimit: 3600
	});
	const actionMs = options.actionMs ?? 20;
	let nextId = 5000;
	const state: HetznerState = { actions: [], servers: [], images: [], keys: [], volumes: [], firewalls: [], zones: [] };
	const ctx: HetznerContext = {
		api,
		state,
		options,
		bootMs: options.bootMs ?? 50,
		builderMs: options.builderMs ?? 100,
		snapshotMs: options.snapshotMs ?? 50,
		serverLimit: options.serverLimit ?? 10,
		newId: () => nextId++,
		action(command, resources, ms = actionMs) {
			const a: Action = { id: nextId++, command, resources, started: Date.now(), doneAt: Date.now() + ms };
			state.actions.push(a);
			return a;
		}
	};

	// The order of the routes is the order they are matched in.
	locationRoutes(ctx);
	pricingRoutes(ctx);
	serverTypeRoutes(ctx);
	imageRoutes(ctx);
	sshKeyRoutes(ctx);
	volumeRoutes(ctx);
	firewallRoutes(ctx);
	serverRoutes(ctx);
	actionRoutes(ctx);
	zoneRoutes(ctx);

	return {
		api,
		state,
		lookup: (fqdn: string, type: string) => zoneLookup(state, fqdn, type),
		/** Adds a DNS zone as if the person had created it in Hetzner's console. */
		addZone: (name: string) => addZone(ctx, name),
		reset() {
			for (const k of Object.keys(state) as (keyof typeof state)[]) state[k].length = 0;
			api.faults = [];
		}
	};
}

export type HetznerFake = ReturnType<typeof createHetznerFake>;
