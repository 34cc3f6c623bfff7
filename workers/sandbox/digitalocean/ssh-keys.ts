/** DigitalOcean SSH keys (of the account). */
import { err, listOf, notFound, type DigitalOceanContext } from './common.ts';
import { from } from '../routes.ts';

export interface Key {
	id: number;
	name: string;
	public_key: string;
	fingerprint: string;
}

export function sshKeyRoutes(ctx: DigitalOceanContext): void {
	const { api, state, newId } = ctx;
	api
		.on('GET', '/v2/account/keys', listOf('ssh_keys', from(state, 'keys')))
		.on('POST', '/v2/account/keys', (req) => {
			const b = req.body as { name: string; public_key: string };
			if (state.keys.some((k) => k.public_key === b.public_key))
				return err(422, 'unprocessable_entity', 'SSH Key is already in use on your account');
			const key: Key = { id: newId(), name: b.name, public_key: b.public_key, fingerprint: fingerprint(b.public_key) };
			state.keys.push(key);
			return { status: 201, body: { ssh_key: key } };
		})
		.on('DELETE', '/v2/account/keys/:id', (req) => {
			const n = state.keys.length;
			state.keys = state.keys.filter((k) => String(k.id) !== req.params[0] && k.fingerprint !== req.params[0]);
			return n === state.keys.length ? notFound() : { status: 204 };
		});
}

function fingerprint(publicKey: string): string {
	let h = 0;
	for (const ch of publicKey) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
	const hex = (h.toString(16).padStart(8, '0') + publicKey.length.toString(16).padStart(8, '0')).repeat(2);
	return hex.match(/../g)!.join(':');
}
