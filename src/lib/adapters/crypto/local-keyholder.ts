/** The keyholder in the same thread: for tests and for environments without workers. */
import { Keyholder } from '../../core/vault/keyholder.ts';
import type { KeyholderFactory, VaultKeyholder } from '../../ports/vault.ts';
import { reply, unwrapReply, type KeyholderOp } from './keyholder-ops.ts';
import { loadSodium } from './sodium.ts';

export function localKeyholders(): KeyholderFactory {
	return async () => {
		const keyholder = new Keyholder(await loadSodium());
		let id = 0;
		const call = async (op: KeyholderOp, ...args: unknown[]) => unwrapReply(reply(keyholder, { id: ++id, op, args }));
		return {
			prepare: async () => void (await call('prepare')),
			create: (passphrase, candidates) => call('create', passphrase, candidates),
			unlock: (header, passphrase) => call('unlock', header, passphrase),
			rewrap: (passphrase, candidates) => call('rewrap', passphrase, candidates),
			seal: (name, plaintext) => call('seal', name, plaintext),
			open: (name, blob) => call('open', name, blob),
			sealBundle: (context, bytes) => call('sealBundle', context, bytes),
			openBundle: (context, sealed) => call('openBundle', context, sealed),
			lock: async () => void (await call('lock'))
		} as VaultKeyholder;
	};
}
