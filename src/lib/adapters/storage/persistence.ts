/** Asks the browser to keep the site's data (`navigator.storage.persist()`), and reports usage. */
import type { PersistenceState, StoragePersistence } from '../../ports/vault.ts';

export function browserPersistence(): StoragePersistence {
	const storage = typeof navigator !== 'undefined' ? navigator.storage : undefined;
	return {
		async state(): Promise<PersistenceState> {
			if (!storage?.persisted) return { persisted: undefined };
			const [persisted, estimate] = await Promise.all([
				storage.persisted().catch(() => undefined),
				storage.estimate?.().catch(() => undefined)
			]);
			return { persisted, usage: estimate?.usage, quota: estimate?.quota };
		},
		async request() {
			if (!storage?.persist) return undefined;
			return storage.persist().catch(() => undefined);
		}
	};
}
