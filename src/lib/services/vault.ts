/**
 * The vault service: creates, unlocks, locks and changes the vault, reads and writes
 * records, exports and imports. All key material stays in a keyholder (a Web Worker in
 * the browser); this service only ever handles headers, ciphertext and record values.
 * Other tabs learn of locks and changes through VaultSignals; writes are transactions
 * bound to the vault they were encrypted for, so two tabs cannot corrupt each other.
 */
import {
	bundleContext,
	decodeBundle,
	encodeBundle,
	ENTRY_MANIFEST,
	ENTRY_RECORDS,
	EXPORT_ENTRIES,
	exportFileName,
	IMPORT_LIMITS,
	makeManifest,
	manifestBytes,
	readManifest
} from '../core/vault/export-format.ts';
import { ImportRefusedError, VaultError, isVaultError } from '../core/vault/errors.ts';
import { FLOOR_KDF, readHeader, type VaultHeader } from '../core/vault/envelope.ts';
import { checkRecordName, decodeValue, encodeValue, type JsonValue } from '../core/vault/records.ts';
import { checkPassphrase } from '../core/vault/strength.ts';
import type {
	KeyholderFactory,
	PersistenceState,
	RecordValue,
	StoragePersistence,
	Vault,
	VaultArchive,
	VaultChange,
	VaultKeyholder,
	VaultSettings,
	VaultSignal,
	VaultSignals,
	VaultStatus,
	VaultStore
} from '../ports/vault.ts';

export interface VaultServiceOptions {
	store: VaultStore;
	keyholders: KeyholderFactory;
	archive: VaultArchive;
	signals: VaultSignals;
	persistence: StoragePersistence;
	appVersion: string;
	now?: () => Date;
}

export interface VaultExport {
	file: Blob;
	fileName: string;
	records: number;
}

export class VaultService implements Vault {
	#o: VaultServiceOptions;
	#status: VaultStatus = 'unknown';
	#keyholder: VaultKeyholder | undefined;
	#vaultId: string | undefined;
	#listeners = new Set<(change: VaultChange) => void>();
	/** A keyholder loaded and self-tested ahead of time, holding no key yet. */
	#spare: Promise<VaultKeyholder> | undefined;
	#unlisten: () => void;

	constructor(options: VaultServiceOptions) {
		this.#o = options;
		this.#unlisten = options.signals.listen((signal) => void this.#onSignal(signal));
	}

	status(): VaultStatus {
		return this.#status;
	}

	onChange(listener: (change: VaultChange) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/** Reads whether a vault exists. It always starts locked: a reload locks the vault. */
	async init(): Promise<VaultStatus> {
		const raw = await this.#o.store.readHeader();
		if (this.#status !== 'unlocked') this.#setStatus(raw === undefined ? 'none' : 'locked');
		return this.#status;
	}

	/**
	 * Gets a keyholder ready (crypto code loaded, self-test run) while the person types,
	 * so that unlocking only has to derive the key. It holds no key until used.
	 */
	warmUp(): void {
		this.#spare ??= this.#o.keyholders().then(async (keyholder) => {
			await keyholder.prepare();
			return keyholder;
		});
		this.#spare.catch(() => (this.#spare = undefined));
	}

	async #freshKeyholder(): Promise<VaultKeyholder> {
		const spare = this.#spare;
		this.#spare = undefined;
		if (spare) {
			try {
				return await spare;
			} catch {
				// Fall through to a new one, which reports the problem itself.
			}
		}
		return this.#o.keyholders();
	}

	async create(passphrase: string): Promise<void> {
		const strength = checkPassphrase(passphrase);
		if (!strength.ok) throw new VaultError('weak-passphrase', strength.reason);
		let keyholder = await this.#freshKeyholder();
		try {
			let header: VaultHeader;
			try {
				header = await keyholder.create(passphrase);
			} catch (error) {
				if (!isVaultError(error, 'out-of-memory')) throw error;
				// A failed allocation can leave the WebAssembly instance unusable: retry the
				// floor settings in a fresh keyholder.
				await keyholder.lock();
				keyholder = await this.#o.keyholders();
				header = await keyholder.create(passphrase, [{ ...FLOOR_KDF }]);
			}
			await this.#o.store.createHeader(header);
			this.#adopt(keyholder, header);
		} catch (error) {
			await keyholder.lock();
			if (isVaultError(error, 'exists')) this.#setStatus('locked');
			throw error;
		}
		this.#o.signals.post({ type: 'created' });
	}

	async unlock(passphrase: string): Promise<void> {
		const started = performanceNow();
		const raw = await this.#o.store.readHeader();
		if (raw === undefined) {
			this.#setStatus('none');
			throw new VaultError('no-vault');
		}
		const keyholder = await this.#freshKeyholder();
		try {
			const header = await keyholder.unlock(raw, passphrase);
			const previous = this.#keyholder;
			this.#adopt(keyholder, header);
			await previous?.lock();
		} catch (error) {
			await keyholder.lock();
			throw error;
		}
		measure('nassella-vault-unlock', started);
	}

	/** Drops the key (the worker wipes it and ends). `everywhere` also locks the other tabs. */
	async lock(everywhere = false): Promise<void> {
		const keyholder = this.#keyholder;
		this.#keyholder = undefined;
		this.#vaultId = undefined;
		if (this.#status === 'unlocked') this.#setStatus('locked');
		await keyholder?.lock();
		if (everywhere) this.#o.signals.post({ type: 'locked' });
	}

	/** Checks the current passphrase, then re-wraps the data key under the new one. Records are not touched. */
	async changePassphrase(current: string, next: string): Promise<void> {
		const id = this.#need().id;
		const strength = checkPassphrase(next);
		if (!strength.ok) throw new VaultError('weak-passphrase', strength.reason);
		const checker = await this.#o.keyholders();
		try {
			await checker.unlock(await this.#o.store.readHeader(), current);
			const header = await checker.rewrap(next);
			await this.#guardReplaced(() => this.#o.store.replaceHeader(id, header));
		} finally {
			await checker.lock();
		}
		this.#o.signals.post({ type: 'header' });
		this.#emit({ kind: 'replaced' });
	}

	async get<T extends JsonValue | RecordValue = JsonValue>(name: string): Promise<T | undefined> {
		checkRecordName(name);
		const { keyholder } = this.#need();
		const record = await this.#o.store.getRecord(name);
		if (!record) return undefined;
		return decodeValue(await keyholder.open(name, record.blob)) as T;
	}

	async put(name: string, value: JsonValue | RecordValue): Promise<void> {
		checkRecordName(name);
		const { keyholder, id } = this.#need();
		const blob = await keyholder.seal(name, encodeValue(value));
		await this.#guardReplaced(() => this.#o.store.putRecord(id, { name, blob, updatedAt: this.#now().getTime() }));
		this.#o.signals.post({ type: 'record', name });
		this.#emit({ kind: 'record', name });
	}

	async delete(name: string): Promise<void> {
		checkRecordName(name);
		const { id } = this.#need();
		await this.#guardReplaced(() => this.#o.store.deleteRecord(id, name));
		this.#o.signals.post({ type: 'record', name });
		this.#emit({ kind: 'record', name });
	}

	async list(prefix = ''): Promise<string[]> {
		this.#need();
		return (await this.#o.store.listRecords()).filter((n) => n.startsWith(prefix));
	}

	settings(): Promise<VaultSettings> {
		return this.#o.store.getSettings();
	}

	async setIdleMinutes(minutes: number): Promise<VaultSettings> {
		if (!Number.isInteger(minutes) || minutes < 1 || minutes > 24 * 60)
			throw new VaultError('storage', 'Choose between 1 minute and 1 day.', 'Pick one of the listed times.');
		const settings = await this.#o.store.updateSettings({ idleMinutes: minutes });
		this.#o.signals.post({ type: 'settings' });
		return settings;
	}

	persistence(): Promise<PersistenceState> {
		return this.#o.persistence.state();
	}

	requestPersistence(): Promise<boolean | undefined> {
		return this.#o.persistence.request();
	}

	/** One zip file: the manifest and the encrypted records, useless without the passphrase. */
	async exportVault(): Promise<VaultExport> {
		const { keyholder } = this.#need();
		const header = readHeader(await this.#o.store.readHeader());
		const records = await this.#o.store.allRecords();
		// Every record must still open: an export of damaged data would be a false backup.
		for (const r of records) await keyholder.open(r.name, r.blob);
		const at = this.#now();
		const manifest = makeManifest(header, this.#o.appVersion, at, records.length);
		const sealed = await keyholder.sealBundle(bundleContext(manifest), encodeBundle(records));
		const file = await this.#o.archive.write([
			{ name: ENTRY_MANIFEST, bytes: manifestBytes(manifest) },
			{ name: ENTRY_RECORDS, bytes: sealed }
		]);
		await this.#o.store.updateSettings({ lastExportAt: at.getTime() });
		this.#o.signals.post({ type: 'settings' });
		return { file, fileName: exportFileName(at), records: records.length };
	}

	/**
	 * Imports an export file, treating it as hostile. Order: zip limits and exact names →
	 * manifest shape, versions and KDF floor → passphrase (unwrap) → the bundle's
	 * authentication tag, before its contents are parsed → every record's tag and value.
	 * Only then the vault is replaced, in one transaction. Any failure leaves it untouched.
	 */
	async importVault(file: Blob, passphrase: string): Promise<{ records: number }> {
		let entries: Map<string, Uint8Array>;
		try {
			entries = await this.#o.archive.read(file, { names: EXPORT_ENTRIES, ...IMPORT_LIMITS });
		} catch (error) {
			throw isVaultError(error) ? error : new ImportRefusedError('The file could not be read.');
		}
		const manifest = readManifest(entries.get(ENTRY_MANIFEST)!);
		const staging = await this.#o.keyholders();
		let adopted = false;
		try {
			const header = await staging.unlock(manifest.header, passphrase);
			const bundle = await staging.openBundle(bundleContext(manifest), entries.get(ENTRY_RECORDS)!);
			const records = decodeBundle(bundle, manifest.recordCount);
			for (const r of records) decodeValue(await staging.open(r.name, r.blob));
			const at = this.#now().getTime();
			await this.#o.store.replaceAll(
				header,
				records.map((r) => ({ name: r.name, blob: r.blob, updatedAt: at }))
			);
			const previous = this.#keyholder;
			this.#adopt(staging, header);
			adopted = true;
			await previous?.lock();
			await this.#o.store.updateSettings({ lastExportAt: Date.parse(manifest.createdAt) });
			this.#o.signals.post({ type: 'replaced' });
			this.#emit({ kind: 'replaced' });
			return { records: records.length };
		} catch (error) {
			if (!adopted) await staging.lock();
			throw error;
		}
	}

	/** Stops listening to other tabs and locks. */
	async dispose(): Promise<void> {
		this.#unlisten();
		const spare = this.#spare;
		this.#spare = undefined;
		await spare?.then((k) => k.lock()).catch(() => {});
		await this.lock();
	}

	#need(): { keyholder: VaultKeyholder; id: string } {
		if (!this.#keyholder || !this.#vaultId) throw new VaultError('locked');
		return { keyholder: this.#keyholder, id: this.#vaultId };
	}

	#adopt(keyholder: VaultKeyholder, header: VaultHeader): void {
		this.#keyholder = keyholder;
		this.#vaultId = header.id;
		this.#setStatus('unlocked');
	}

	async #guardReplaced(write: () => Promise<void>): Promise<void> {
		try {
			await write();
		} catch (error) {
			if (isVaultError(error, 'replaced')) {
				await this.lock();
				await this.init();
			}
			throw error;
		}
	}

	async #onSignal(signal: VaultSignal): Promise<void> {
		switch (signal.type) {
			case 'locked':
				await this.lock();
				break;
			case 'replaced':
				// Another tab imported a different vault: this tab's key no longer fits.
				await this.lock();
				await this.init();
				this.#emit({ kind: 'replaced' });
				break;
			case 'created':
				await this.init();
				break;
			case 'record':
				this.#emit({ kind: 'record', name: signal.name });
				break;
			case 'header':
				this.#emit({ kind: 'replaced' });
				break;
			case 'settings':
				this.#emit({ kind: 'status', status: this.#status });
				break;
		}
	}

	#setStatus(status: VaultStatus): void {
		if (this.#status === status) return;
		this.#status = status;
		this.#emit({ kind: 'status', status });
	}

	#emit(change: VaultChange): void {
		for (const listener of [...this.#listeners]) {
			try {
				listener(change);
			} catch {
				// A failing listener must not stop the others.
			}
		}
	}

	#now(): Date {
		return this.#o.now?.() ?? new Date();
	}
}

function performanceNow(): number {
	return globalThis.performance?.now() ?? Date.now();
}

/** A User Timing entry (no data attached) so the unlock time can be measured in the browser. */
function measure(name: string, start: number): void {
	try {
		globalThis.performance?.measure?.(name, { start, end: performanceNow() });
	} catch {
		// Timing is optional.
	}
}
