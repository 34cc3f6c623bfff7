/**
 * Keyholders in dedicated Web Workers (one per unlocked vault or import). Locking wipes
 * the key in the worker and then ends the worker, which frees its memory too.
 */
import { VaultError } from '../../core/vault/errors.ts';
import type { KeyholderFactory, VaultKeyholder } from '../../ports/vault.ts';
import { unwrapReply, type KeyholderOp, type KeyholderReply } from './keyholder-ops.ts';

export function workerKeyholders(): KeyholderFactory {
	return async () => {
		const worker = new Worker(new URL('./vault.worker.ts', import.meta.url), {
			type: 'module',
			name: 'nassella-vault'
		});
		const pending = new Map<number, { resolve(v: KeyholderReply): void; reject(e: unknown): void }>();
		let next = 0;
		let ended = false;
		const failAll = (error: unknown) => {
			for (const p of pending.values()) p.reject(error);
			pending.clear();
		};
		worker.addEventListener('message', (event: MessageEvent<KeyholderReply>) => {
			const waiting = pending.get(event.data.id);
			pending.delete(event.data.id);
			waiting?.resolve(event.data);
		});
		worker.addEventListener('error', (event) => {
			event.preventDefault();
			failAll(new VaultError('self-test-failed', 'The encryption worker could not start in this browser.'));
		});
		const call = (op: KeyholderOp, ...args: unknown[]): Promise<unknown> => {
			if (ended) return Promise.reject(new VaultError('locked'));
			const id = ++next;
			return new Promise<KeyholderReply>((resolve, reject) => {
				pending.set(id, { resolve, reject });
				worker.postMessage({ id, op, args });
			}).then(unwrapReply);
		};
		const end = () => {
			ended = true;
			worker.terminate();
			failAll(new VaultError('locked'));
		};
		const keyholder: VaultKeyholder = {
			prepare: async () => void (await call('prepare')),
			create: (passphrase, candidates) => call('create', passphrase, candidates) as never,
			unlock: (header, passphrase) => call('unlock', header, passphrase) as never,
			rewrap: (passphrase, candidates) => call('rewrap', passphrase, candidates) as never,
			seal: (name, plaintext) => call('seal', name, plaintext) as never,
			open: (name, blob) => call('open', name, blob) as never,
			sealBundle: (context, bytes) => call('sealBundle', context, bytes) as never,
			openBundle: (context, sealed) => call('openBundle', context, sealed) as never,
			async lock() {
				if (ended) return;
				// Wipe first, but never wait long: ending the worker discards its memory anyway.
				await Promise.race([call('lock').catch(() => {}), new Promise((r) => setTimeout(r, 250))]);
				end();
			}
		};
		return keyholder;
	};
}
