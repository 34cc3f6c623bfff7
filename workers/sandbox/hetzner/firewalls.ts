/** Hetzner firewalls and the servers they are applied to. */
import { iso } from '../kit.ts';
import { err, labelledList, notFound, now, validLabels, type HetznerContext } from './common.ts';
import { from } from '../routes.ts';
import type { LabelMap } from './labels.ts';

export interface Firewall {
	id: number;
	name: string;
	labels: LabelMap;
	rules: unknown[];
	created: number;
	servers: number[];
}

export const firewallView = (f: Firewall) => ({
	id: f.id,
	name: f.name,
	labels: f.labels,
	created: iso(f.created),
	rules: f.rules,
	applied_to: f.servers.map((id) => ({ type: 'server', server: { id } }))
});

export function firewallRoutes(ctx: HetznerContext): void {
	const { api, state, newId } = ctx;
	api
		.on('GET', '/v1/firewalls', labelledList('firewalls', from(state, 'firewalls'), firewallView))
		.on('POST', '/v1/firewalls', (req) => {
			const b = req.body as { name: string; labels?: LabelMap; rules?: unknown[] };
			if (!validLabels(b.labels)) return err(400, 'invalid_input', 'invalid input in field labels');
			if (state.firewalls.some((f) => f.name === b.name))
				return err(409, 'uniqueness_error', 'firewall name is already used');
			const rules = (b.rules ?? []).map((r) => ({
				description: null,
				port: null,
				source_ips: [],
				destination_ips: [],
				...(r as object)
			}));
			const f: Firewall = { id: newId(), name: b.name, labels: b.labels ?? {}, rules, created: now(), servers: [] };
			state.firewalls.push(f);
			return { status: 201, body: { firewall: firewallView(f), actions: [] } };
		})
		.on('DELETE', '/v1/firewalls/:id', (req) => {
			const f = state.firewalls.find((x) => String(x.id) === req.params[0]);
			if (!f) return notFound();
			if (state.servers.some((s) => s.firewalls.includes(f.id)))
				return err(422, 'resource_in_use', 'firewall is still applied to a server');
			state.firewalls = state.firewalls.filter((x) => x !== f);
			return { status: 204 };
		});
}
