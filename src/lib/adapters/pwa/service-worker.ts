import type { AppUpdates, OperationLocks } from '../../ports/app-updates.ts';
import { operationLockName, operationsFromLocks } from '../../core/operations.ts';

/** Service-worker registration that never swaps versions by itself. */
export function serviceWorkerUpdates(scriptUrl: string, dev: boolean): AppUpdates {
	let registration: ServiceWorkerRegistration | undefined;
	return {
		async watch(onReady) {
			if (!('serviceWorker' in navigator)) return;
			registration = await navigator.serviceWorker.register(scriptUrl, {
				type: dev ? 'module' : 'classic'
			});
			const notifyWhenInstalled = (worker: ServiceWorker | null) => {
				if (!worker) return;
				const check = () => {
					// Only an update: the very first install has no controller to replace.
					if (worker.state === 'installed' && navigator.serviceWorker.controller) onReady();
				};
				check();
				worker.addEventListener('statechange', check);
			};
			notifyWhenInstalled(registration.waiting);
			registration.addEventListener('updatefound', () => notifyWhenInstalled(registration?.installing ?? null));
		},
		async activate() {
			const waiting = registration?.waiting;
			if (!waiting) return;
			await new Promise<void>((resolve) => {
				navigator.serviceWorker.addEventListener('controllerchange', () => resolve(), { once: true });
				waiting.postMessage({ type: 'SKIP_WAITING' });
			});
			location.reload();
		},
		async check() {
			await registration?.update();
		}
	};
}

/** Web Locks when the browser has them; otherwise only this tab's operations are known. */
export function webOperationLocks(): OperationLocks {
	const local = new Map<string, number>();
	const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
	return {
		async hold(operation, fn) {
			local.set(operation, (local.get(operation) ?? 0) + 1);
			try {
				if (!locks) return await fn();
				return await locks.request(operationLockName(operation), { mode: 'shared' }, fn);
			} finally {
				const left = (local.get(operation) ?? 1) - 1;
				if (left > 0) local.set(operation, left);
				else local.delete(operation);
			}
		},
		async running() {
			const here = [...local.keys()];
			if (!locks) return here.sort();
			const snapshot = await locks.query();
			const names = [...(snapshot.held ?? []), ...(snapshot.pending ?? [])].map((l) => l.name);
			return operationsFromLocks([...names, ...here.map(operationLockName)]);
		}
	};
}
