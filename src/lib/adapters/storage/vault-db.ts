/**
 * The vault in IndexedDB, through `idb` (the only module that imports it). Schema
 * changes are one upgrade function per version, applied in order, so a browser that
 * skipped versions still ends up with the current schema and all of its data.
 *
 *   v1  meta (header, lastExportAt) · records (keyPath name)
 *   v2  settings store; lastExportAt moves from meta to settings
 *
 * Only ciphertext and non-secret settings are stored; every write is one transaction.
 */
import { openDB, type IDBPDatabase, type IDBPTransaction, type StoreNames } from 'idb';
import { VaultError } from '../../core/vault/errors.ts';
import type { StoredRecord, VaultSettings, VaultStore } from '../../ports/vault.ts';

export const DB_NAME = 'nassella-vault';
export const DB_VERSION = 2;
export const DEFAULT_IDLE_MINUTES = 15;

type AnyDb = IDBPDatabase<unknown>;
type UpgradeTx = IDBPTransaction<unknown, StoreNames<unknown>[], 'versionchange'>;

/** upgrades[n] takes a database from version n to n + 1. */
export const UPGRADES: readonly ((db: AnyDb, tx: UpgradeTx) => Promise<void>)[] = [
	async function toV1(db) {
		db.createObjectStore('meta');
		db.createObjectStore('records', { keyPath: 'name' });
	},
	async function toV2(db, tx) {
		db.createObjectStore('settings');
		const meta = tx.objectStore('meta');
		const settings = tx.objectStore('settings');
		const lastExportAt = await meta.get('lastExportAt');
		if (typeof lastExportAt === 'number') await settings.put(lastExportAt, 'lastExportAt');
		await meta.delete('lastExportAt');
	}
];

export interface OpenOptions {
	name?: string;
	/** For tests of the upgrade path: stop at an earlier version. */
	version?: number;
	/** Called when another tab needs a newer schema: this connection closes. */
	onClosed?: () => void;
}

export async function openVaultDb(options: OpenOptions = {}): Promise<AnyDb> {
	const version = options.version ?? DB_VERSION;
	const db = await openDB<unknown>(options.name ?? DB_NAME, version, {
		async upgrade(db, oldVersion, newVersion, tx) {
			for (let v = oldVersion; v < (newVersion ?? version); v++) await UPGRADES[v]!(db, tx);
		},
		blocking() {
			db.close();
			options.onClosed?.();
		}
	});
	return db;
}

function storageError(error: unknown): never {
	if (error instanceof VaultError) throw error;
	throw new VaultError('storage');
}

async function guard<T>(work: () => Promise<T>): Promise<T> {
	try {
		return await work();
	} catch (error) {
		storageError(error);
	}
}

/** Runs `work` inside `tx`; on any failure the transaction is aborted, so no partial write survives. */
async function atomically<T>(tx: { abort(): void; done: Promise<void> }, work: () => Promise<T>): Promise<T> {
	try {
		const result = await work();
		await tx.done;
		return result;
	} catch (error) {
		try {
			tx.abort();
		} catch {
			// already finished or aborted
		}
		await tx.done.catch(() => {});
		throw error;
	}
}

function headerId(value: unknown): string | undefined {
	return typeof value === 'object' && value !== null
		? ((value as { id?: unknown }).id as string | undefined)
		: undefined;
}

export function idbVaultStore(options: OpenOptions = {}): VaultStore {
	let dbPromise: Promise<AnyDb> | undefined;
	const db = () =>
		(dbPromise ??= openVaultDb({
			...options,
			onClosed: () => {
				dbPromise = undefined;
				options.onClosed?.();
			}
		}).catch((error) => {
			dbPromise = undefined;
			throw error;
		}));

	const settingsOf = async (get: (key: string) => Promise<unknown>): Promise<VaultSettings> => {
		const idle = await get('idleMinutes');
		const lastExportAt = await get('lastExportAt');
		const lastChangeAt = await get('lastChangeAt');
		return {
			idleMinutes: typeof idle === 'number' && idle > 0 ? idle : DEFAULT_IDLE_MINUTES,
			...(typeof lastExportAt === 'number' ? { lastExportAt } : {}),
			...(typeof lastChangeAt === 'number' ? { lastChangeAt } : {})
		};
	};

	/** Runs `work` in one read-write transaction over the stores, after checking the vault is still `vaultId`. */
	const writeFor = (vaultId: string, work: (tx: IDBPTransaction<unknown, string[], 'readwrite'>) => Promise<void>) =>
		guard(async () => {
			const tx = (await db()).transaction(['meta', 'records', 'settings'], 'readwrite');
			await atomically(tx, async () => {
				const current = headerId(await tx.objectStore('meta').get('header'));
				if (current !== vaultId) throw new VaultError('replaced');
				await work(tx);
				await tx.objectStore('settings').put(Date.now(), 'lastChangeAt');
			});
		});

	return {
		readHeader: () => guard(async () => (await db()).get('meta', 'header')),

		createHeader: (header) =>
			guard(async () => {
				const tx = (await db()).transaction('meta', 'readwrite');
				await atomically(tx, async () => {
					if ((await tx.store.get('header')) !== undefined) throw new VaultError('exists');
					await tx.store.put(header, 'header');
				});
			}),

		replaceHeader: (vaultId, header) =>
			writeFor(vaultId, async (tx) => void (await tx.objectStore('meta').put(header, 'header'))),

		getRecord: (name) =>
			guard(async () => {
				const value = (await (await db()).get('records', name)) as StoredRecord | undefined;
				return value && value.blob instanceof Uint8Array ? value : undefined;
			}),

		putRecord: (vaultId, record) =>
			writeFor(
				vaultId,
				async (tx) =>
					void (await tx
						.objectStore('records')
						.put({ name: record.name, blob: record.blob, updatedAt: record.updatedAt }))
			),

		deleteRecord: (vaultId, name) => writeFor(vaultId, (tx) => tx.objectStore('records').delete(name)),

		listRecords: () => guard(async () => ((await (await db()).getAllKeys('records')) as string[]).sort()),

		allRecords: () =>
			guard(async () =>
				((await (await db()).getAll('records')) as StoredRecord[]).sort((a, b) => (a.name < b.name ? -1 : 1))
			),

		replaceAll: (header, records) =>
			guard(async () => {
				const tx = (await db()).transaction(['meta', 'records', 'settings'], 'readwrite');
				await atomically(tx, async () => {
					const store = tx.objectStore('records');
					await store.clear();
					for (const r of records) await store.put({ name: r.name, blob: r.blob, updatedAt: r.updatedAt });
					await tx.objectStore('meta').put(header, 'header');
					await tx.objectStore('settings').put(Date.now(), 'lastChangeAt');
				});
			}),

		getSettings: () =>
			guard(async () => {
				const tx = (await db()).transaction('settings', 'readonly');
				const settings = await settingsOf((key) => tx.store.get(key));
				await tx.done;
				return settings;
			}),

		updateSettings: (patch) =>
			guard(async () => {
				const tx = (await db()).transaction('settings', 'readwrite');
				return atomically(tx, async () => {
					for (const [key, value] of Object.entries(patch)) {
						if (value === undefined) await tx.store.delete(key);
						else await tx.store.put(value, key);
					}
					return settingsOf((key) => tx.store.get(key));
				});
			})
	};
}
