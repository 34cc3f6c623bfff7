/**
 * Tabs agree on who runs a deployment with a Web Lock per deployment, and share news over
 * a BroadcastChannel. Without Web Locks (old browsers) a tab cannot know about the others,
 * so it falls back to this tab only.
 */
import type { DeploymentState } from '../../core/deploy/machine.ts';
import type { DeployCoordination } from '../../ports/deploy.ts';

const LOCK_PREFIX = 'nassella-deploy:';
const CHANNEL = 'nassella-deploy';

export function webDeployCoordination(): DeployCoordination {
	const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
	const channel = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel(CHANNEL) : undefined;
	const local = new Set<string>();
	const listeners = new Map<string, Set<(s: DeploymentState) => void>>();
	channel?.addEventListener('message', (event: MessageEvent<{ state?: DeploymentState }>) => {
		const state = event.data?.state;
		if (!state || typeof state.id !== 'string') return;
		for (const l of listeners.get(state.id) ?? []) l(state);
	});
	return {
		async exclusive(id, fn, { ifAvailable, signal }) {
			if (!locks) {
				if (local.has(id)) return { acquired: false };
				local.add(id);
				try {
					return { acquired: true, value: await fn() };
				} finally {
					local.delete(id);
				}
			}
			const options: LockOptions = ifAvailable
				? { mode: 'exclusive', ifAvailable: true }
				: { mode: 'exclusive', signal };
			return locks.request(LOCK_PREFIX + id, options, async (lock) => {
				if (!lock) return { acquired: false as const };
				return { acquired: true as const, value: await fn() };
			});
		},
		publish(state) {
			channel?.postMessage({ state });
		},
		subscribe(id, listener) {
			const set = listeners.get(id) ?? new Set();
			set.add(listener);
			listeners.set(id, set);
			return () => set.delete(listener);
		}
	};
}
