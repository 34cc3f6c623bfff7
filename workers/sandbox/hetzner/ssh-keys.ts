/** Hetzner SSH keys. */
import { iso } from '../kit.ts';
import { err, labelledList, notFound, now, validLabels, type HetznerContext } from './common.ts';
import { from } from '../routes.ts';
import type { LabelMap } from './labels.ts';

export interface Key {
	id: number;
	name: string;
	public_key: string;
	labels: LabelMap;
	created: number;
}

export const keyView = (k: Key) => ({
	id: k.id,
	name: k.name,
	fingerprint: fingerprint(k.public_key),
	public_key: k.public_key,
	labels: k.labels,
	created: iso(k.created)
});

export function sshKeyRoutes(ctx: HetznerContext): void {
	const { api, state, newId } = ctx;
	api
		.on('GET', '/v1/ssh_keys', labelledList('ssh_keys', from(state, 'keys'), keyView))
		.on('POST', '/v1/ssh_keys', (req) => {
			const b = req.body as { name: string; public_key: string; labels?: LabelMap };
			if (!validLabels(b.labels)) return err(400, 'invalid_input', 'invalid input in field labels');
			if (state.keys.some((k) => k.name === b.name))
				return err(409, 'uniqueness_error', 'SSH key with the same name already exists');
			if (state.keys.some((k) => k.public_key === b.public_key))
				return err(409, 'uniqueness_error', 'SSH key with the same fingerprint already exists');
			const k: Key = { id: newId(), name: b.name, public_key: b.public_key, labels: b.labels ?? {}, created: now() };
			state.keys.push(k);
			return { status: 201, body: { ssh_key: keyView(k) } };
		})
		.on('DELETE', '/v1/ssh_keys/:id', (req) => {
			const n = state.keys.length;
			state.keys = state.keys.filter((x) => String(x.id) !== req.params[0]);
			return n === state.keys.length ? notFound() : { status: 204 };
		});
}

function fingerprint(publicKey: string): string {
	let h = 7;
	for (const ch of publicKey) h = (h * 33 + ch.charCodeAt(0)) >>> 0;
	return h.toString(16).padStart(8, '0').repeat(4).match(/../g)!.join(':');
}
