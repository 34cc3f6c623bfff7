/**
 * The vault's Web Worker: runs Argon2id off the main thread and holds the data key while
 * the vault is unlocked, so the page never references key material. It runs the
 * start-up self-test before the first key operation; the page ends the worker on lock.
 */
import { Keyholder } from '../../core/vault/keyholder.ts';
import { reply, type KeyholderRequest } from './keyholder-ops.ts';
import { loadSodium } from './sodium.ts';

const ready = loadSodium().then((prims) => new Keyholder(prims));

self.addEventListener('message', async (event: MessageEvent<KeyholderRequest>) => {
	const request = event.data;
	let answer;
	try {
		answer = reply(await ready, request);
	} catch {
		answer = {
			id: request.id,
			ok: false,
			error: {
				vaultError: true,
				code: 'self-test-failed',
				message: 'The encryption library could not be loaded in this browser.',
				action: 'Update the browser or use another one. Nothing was changed.'
			}
		};
	}
	const value = answer.ok ? answer.value : undefined;
	(self as unknown as Worker).postMessage(answer, value instanceof Uint8Array ? [value.buffer] : []);
});
