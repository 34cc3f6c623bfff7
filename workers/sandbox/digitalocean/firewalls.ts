/** DigitalOcean cloud firewalls. */
import { iso } from '../kit.ts';
import { getById, listOf, notFound, type DigitalOceanContext } from './common.ts';
import { from } from '../routes.ts';
import { tagExists } from './tags.ts';

export interface Firewall {
	id: string;
	name: string;
	tags: string[];
	droplet_ids: number[];
	inbound: unknown[];
	outbound: unknown[];
	created: number;
}

export const firewallView = (f: Firewall) => ({
	id: f.id,
	status: 'succeeded',
	created_at: iso(f.created),
	pending_changes: [],
	name: f.name,
	droplet_ids: f.droplet_ids,
	tags: f.tags,
	inbound_rules: f.inbound,
	outbound_rules: f.outbound
});

export function firewallRoutes(ctx: DigitalOceanContext): void {
	const { api, state } = ctx;
	api
		.on('GET', '/v2/firewalls', listOf('firewalls', from(state, 'firewalls'), firewallView))
		.on('POST', '/v2/firewalls', (req) => {
			const b = req.body as {
				name: string;
				tags?: string[];
				droplet_ids?: number[];
				inbound_rules?: unknown[];
				outbound_rules?: unknown[];
			};
			// The API reference: a single port, a range ("8000-9000"), or "0" for all ports.
			const rules = [...(b.inbound_rules ?? []), ...(b.outbound_rules ?? [])] as { protocol: string; ports: string }[];
			const badPorts = rules.find(
				(r) => !/^(0|[1-9][0-9]{0,4}(-[1-9][0-9]{0,4})?)$/.test(r.ports) || (r.protocol === 'icmp' && r.ports !== '0')
			);
			if (badPorts)
				return {
					status: 422,
					body: {
						id: 'unprocessable_entity',
						message: `ports "${badPorts.ports}" for ${badPorts.protocol}: give a port, a range, or 0 for all ports`
					}
				};
			const missing = (b.tags ?? []).filter((t) => !tagExists(state, t));
			if (missing.length)
				return {
					status: 422,
					body: {
						id: 'unprocessable_entity',
						message: `tag ${missing[0]} does not exist; create it before a firewall can target it`
					}
				};
			const f: Firewall = {
				id: crypto.randomUUID(),
				name: b.name,
				tags: b.tags ?? [],
				droplet_ids: b.droplet_ids ?? [],
				inbound: b.inbound_rules ?? [],
				outbound: b.outbound_rules ?? [],
				created: Date.now()
			};
			state.firewalls.push(f);
			return { status: 202, body: { firewall: firewallView(f) } };
		})
		.on('GET', '/v2/firewalls/:id', getById('firewall', from(state, 'firewalls'), firewallView))
		.on('DELETE', '/v2/firewalls/:id', (req) => {
			const n = state.firewalls.length;
			state.firewalls = state.firewalls.filter((x) => x.id !== req.params[0]);
			return n === state.firewalls.length ? notFound() : { status: 204 };
		});
}
