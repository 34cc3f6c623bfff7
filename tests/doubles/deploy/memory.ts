/**
 * In-memory deployment store and tab coordination: for tests, and for the one-tab case
 * where the browser has no Web Locks. State is deep-copied in and out, like a real store.
 */
import type { DeploymentState } from '../../../src/lib/core/deploy/machine.ts';
import type { DeployCoordination, DeploymentStore } from '../../../src/lib/ports/deploy.ts';

export function memoryDeploymentStore(): DeploymentStore & { snapshot(): Map<string, DeploymentState> } {
	const records = new Map<string, string>();
	return {
		async load(id) {
			const text = records.get(id);
			return text === undefined ? undefined : (JSON.parse(text) as DeploymentState);
		},
		async save(state) {
			records.set(state.id, JSON.stringify(state));
		},
		async list() {
			return [...records.keys()].sort();
		},
		async remove(id) {
			records.delete(id);
		},
		snapshot() {
			return new Map([...records].map(([k, v]) => [k, JSON.parse(v) as DeploymentState]));
		}
	};
}

/** Several "tabs" in one process share one of these. */
export function memoryCoordination(): DeployCoordination {
	const held = new Set<string>();
	const waiters = new Map<string, (() => void)[]>();
	const listeners = new Map<string, Set<(s: DeploymentState) => void>>();
	const release = (id: string) => {
		// Hand the lock straight to the next waiter, so nobody slips in between.
		const next = waiters.get(id)?.shift();
		if (next) next();
		else held.delete(id);
	};
	return {
		async exclusive(id, fn, { ifAvailable, signal }) {
			if (held.has(id)) {
				if (ifAvailable) return { acquired: false };
				await new Promise<void>((resolve, reject) => {
					const list = waiters.get(id) ?? [];
					list.push(resolve);
					waiters.set(id, list);
					signal?.addEventListener('abort', () => {
						const l = waiters.get(id) ?? [];
						const i = l.indexOf(resolve);
						if (i >= 0) l.splice(i, 1);
						reject(new DOMException('Aborted', 'AbortError'));
					});
				});
			}
			held.add(id);
			try {
				return { acquired: true, value: await fn() };
			} finally {
				release(id);
			}
		},
		publish(state) {
			for (const l of listeners.get(state.id) ?? []) l(structuredClone(state));
		},
		subscribe(id, listener) {
			const set = listeners.get(id) ?? new Set();
			set.add(listener);
			listeners.set(id, set);
			return () => set.delete(listener);
		}
	};
}
