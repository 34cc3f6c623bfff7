/** Tells other tabs of the app that the vault was locked or changed (BroadcastChannel). */
import type { VaultSignal, VaultSignals } from '../../ports/vault.ts';

const TYPES = new Set(['locked', 'created', 'record', 'replaced', 'header', 'settings']);

export function broadcastVaultSignals(name = 'nassella-vault'): VaultSignals {
	if (typeof BroadcastChannel === 'undefined') return { post() {}, listen: () => () => {} };
	const channel = new BroadcastChannel(name);
	return {
		post(signal) {
			channel.postMessage(signal);
		},
		listen(listener) {
			const onMessage = (event: MessageEvent) => {
				const data = event.data as VaultSignal | null;
				if (data && typeof data === 'object' && TYPES.has(data.type)) listener(data);
			};
			channel.addEventListener('message', onMessage);
			return () => channel.removeEventListener('message', onMessage);
		}
	};
}
