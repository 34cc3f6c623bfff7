/**
 * Composition root: the one place that picks adapters for the ports and hands them to
 * the state layer. Pages never import adapters or vendor libraries themselves.
 */
import { dev, version } from '$app/environment';
import { serviceWorkerUpdates, webOperationLocks } from '../adapters/pwa/service-worker.ts';
import type { AppUpdates, OperationLocks } from '../ports/app-updates.ts';
import type { VaultArchive } from '../ports/vault.ts';
import type { VaultService } from '../services/vault.ts';

export interface AppParts {
	updates: AppUpdates;
	locks: OperationLocks;
}

let parts: AppParts | undefined;

export function appParts(): AppParts {
	parts ??= {
		updates: serviceWorkerUpdates('/service-worker.js', dev),
		locks: webOperationLocks()
	};
	return parts;
}

let vault: Promise<VaultService> | undefined;

/**
 * The vault, loaded on first use: its code (and, inside its worker, libsodium) is never
 * part of the first page. zip.js loads only when exporting or importing.
 */
export function loadVault(): Promise<VaultService> {
	vault ??= (async () => {
		const [
			{ VaultService },
			{ workerKeyholders },
			{ idbVaultStore },
			{ broadcastVaultSignals },
			{ browserPersistence }
		] = await Promise.all([
			import('../services/vault.ts'),
			import('../adapters/crypto/worker-keyholder.ts'),
			import('../adapters/storage/vault-db.ts'),
			import('../adapters/storage/vault-channel.ts'),
			import('../adapters/storage/persistence.ts')
		]);
		const zip = () => import('../adapters/zip/vault-zip.ts').then((m) => m.zipArchive());
		const archive: VaultArchive = {
			write: async (entries) => (await zip()).write(entries),
			read: async (file, limits) => (await zip()).read(file, limits)
		};
		const service = new VaultService({
			store: idbVaultStore(),
			keyholders: workerKeyholders(),
			archive,
			signals: broadcastVaultSignals(),
			persistence: browserPersistence(),
			appVersion: version
		});
		await service.init();
		return service;
	})().catch((error) => {
		vault = undefined;
		throw error;
	});
	return vault;
}

/** The relay test from Settings, over the platform's fetch. */
export { relayAnswers } from '../adapters/http/relay-check.ts';
