/**
 * The vault: where every token, generated secret, key and piece of config is kept,
 * encrypted. Other parts of the app use `Vault` (records by name, typed JSON values);
 * the rest of this file is the vault's own plumbing, implemented by adapters.
 */
import type { DeploymentState } from '../core/deploy/machine.ts';
import type { MoveState } from '../core/deploy/move.ts';
import type {
	CachedStatus,
	DrillRecord,
	MoveTargetRecord,
	SettingsRecord,
	SetupRecord,
	StoredKeys
} from '../core/deploy/stored.ts';
import type { KdfParams, VaultHeader } from '../core/vault/envelope.ts';
import type { JsonValue } from '../core/vault/records.ts';

export type { JsonValue };

/**
 * Every kind of record the vault keeps, and the type of its value. A record's name is its
 * kind's prefix (`RECORD_PREFIXES`) followed by an id: `deployment/<deployment id>`,
 * `setup/current`. This is the only place record names are spelled out: a string starting
 * with one of these prefixes anywhere else fails the lint (eslint.config.js).
 */
export interface VaultRecordTypes {
	/** The wizard's choices with the tokens; id `current`. */
	setup: SetupRecord;
	/** The deploy engine's state of one deployment. */
	deployment: DeploymentState;
	/** A deployment's keys: the server's age identity, deploy and signing keys, admin password, app secrets. */
	deploymentKeys: StoredKeys;
	/** The setup a deployment was made from, kept beside its dashboard settings. */
	dashboardSetup: SetupRecord;
	dashboardSettings: SettingsRecord;
	dashboardStatus: CachedStatus;
	/** The admin host's address records the dashboard made: host and addresses, as one key. */
	dashboardAdminDns: { key: string };
	move: MoveState;
	moveTarget: MoveTargetRecord;
	drill: DrillRecord;
	/** The person's own notes; id `personal`. */
	notes: string;
}

export type RecordKind = keyof VaultRecordTypes;

export const RECORD_PREFIXES = {
	setup: 'setup/',
	deployment: 'deployment/',
	deploymentKeys: 'deployment-keys/',
	dashboardSetup: 'dashboard-setup/',
	dashboardSettings: 'dashboard-settings/',
	dashboardStatus: 'dashboard-status/',
	dashboardAdminDns: 'dashboard-admin-dns/',
	move: 'move/',
	moveTarget: 'move-target/',
	drill: 'drill/',
	notes: 'notes/'
} as const satisfies Record<RecordKind, string>;

/** The full name of a record, e.g. `recordName('deployment', id)` → `deployment/<id>`. */
export function recordName(kind: RecordKind, id: string): string {
	return RECORD_PREFIXES[kind] + id;
}

/** Any value of a known record kind. */
export type RecordValue = VaultRecordTypes[RecordKind];

/**
 * The vault's records, typed by kind: the kind gives the name's prefix and the value's
 * type, so a value can only be written under its own kind. What other parts of the app use.
 */
export interface RecordVault {
	get<K extends RecordKind>(kind: K, id: string): Promise<VaultRecordTypes[K] | undefined>;
	put<K extends RecordKind>(kind: K, id: string, value: VaultRecordTypes[K]): Promise<void>;
	delete(kind: RecordKind, id: string): Promise<void>;
	/** The ids of the records of this kind, sorted. */
	list(kind: RecordKind): Promise<string[]>;
}

/** `none`: no vault in this browser yet. `unknown`: not read from storage yet. */
export type VaultStatus = 'unknown' | 'none' | 'locked' | 'unlocked';

export type VaultChange =
	| { kind: 'status'; status: VaultStatus }
	/** A record was written or deleted (in this tab or another). */
	| { kind: 'record'; name: string }
	/** The whole vault was replaced (import) or its passphrase changed. */
	| { kind: 'replaced' };

export interface Vault {
	/** Current state; records can be read and written only when `unlocked`. */
	status(): VaultStatus;
	/**
	 * The record's value, or undefined when there is none. Throws VaultError `locked`
	 * when locked, `tampered` when the stored bytes fail authentication.
	 */
	get<T extends JsonValue | RecordValue = JsonValue>(name: string): Promise<T | undefined>;
	/**
	 * Encrypts and stores a record (replacing any earlier value). Names are
	 * slash-separated segments of `[A-Za-z0-9._-]`, e.g. `deployment/<id>`, `tokens/hetzner`.
	 * Idempotent. Throws VaultError `locked`, `invalid-name`, `replaced`, `storage`.
	 */
	put(name: string, value: JsonValue | RecordValue): Promise<void>;
	/** Removes a record; removing a missing one is not an error. */
	delete(name: string): Promise<void>;
	/** Record names, sorted, optionally only those starting with `prefix`. */
	list(prefix?: string): Promise<string[]>;
	/** Called on every change, in this tab or another; returns the unsubscribe function. */
	onChange(listener: (change: VaultChange) => void): () => void;
}

/**
 * Holds the data key of one unlocked vault and does all cryptography with it. In the
 * browser it is a Web Worker; `lock()` wipes the key and ends it for good.
 */
export interface VaultKeyholder {
	/** Loads the crypto code and runs the start-up self-test, so a later unlock only derives the key. */
	prepare(): Promise<void>;
	create(passphrase: string, candidates?: KdfParams[]): Promise<VaultHeader>;
	unlock(header: unknown, passphrase: string): Promise<VaultHeader>;
	rewrap(passphrase: string, candidates?: KdfParams[]): Promise<VaultHeader>;
	seal(name: string, plaintext: Uint8Array): Promise<Uint8Array>;
	open(name: string, blob: Uint8Array): Promise<Uint8Array>;
	sealBundle(context: string, bytes: Uint8Array): Promise<Uint8Array>;
	openBundle(context: string, sealed: Uint8Array): Promise<Uint8Array>;
	lock(): Promise<void>;
}

/** A fresh keyholder (each runs the start-up self-test before its first key operation). */
export type KeyholderFactory = () => Promise<VaultKeyholder>;

export interface StoredRecord {
	name: string;
	blob: Uint8Array;
	updatedAt: number;
}

export interface VaultSettings {
	/** Lock after this many minutes without interaction. */
	idleMinutes: number;
	lastExportAt?: number;
	lastChangeAt?: number;
}

/** Persistent storage of the encrypted vault (IndexedDB). Every write is one transaction. */
export interface VaultStore {
	readHeader(): Promise<unknown>;
	/** Stores the first header; VaultError `exists` if a vault is already there (another tab was faster). */
	createHeader(header: VaultHeader): Promise<void>;
	/** Replaces the header of the vault `vaultId`; VaultError `replaced` if it is no longer that vault. */
	replaceHeader(vaultId: string, header: VaultHeader): Promise<void>;
	getRecord(name: string): Promise<StoredRecord | undefined>;
	/** Writes a record only while the stored vault is still `vaultId` (same transaction). */
	putRecord(vaultId: string, record: StoredRecord): Promise<void>;
	deleteRecord(vaultId: string, name: string): Promise<void>;
	listRecords(): Promise<string[]>;
	allRecords(): Promise<StoredRecord[]>;
	/** Replaces header and all records at once: either everything lands or nothing changes. */
	replaceAll(header: VaultHeader, records: StoredRecord[]): Promise<void>;
	getSettings(): Promise<VaultSettings>;
	updateSettings(patch: Partial<VaultSettings>): Promise<VaultSettings>;
}

/** Messages between tabs of the app about the vault. Never carries key material or contents. */
export type VaultSignal =
	| { type: 'locked' }
	| { type: 'created' }
	| { type: 'record'; name: string }
	| { type: 'replaced' }
	| { type: 'header' }
	| { type: 'settings' };

export interface VaultSignals {
	post(signal: VaultSignal): void;
	listen(listener: (signal: VaultSignal) => void): () => void;
}

export interface ArchiveEntry {
	name: string;
	bytes: Uint8Array;
}

export interface ArchiveLimits {
	/** Exact entry names allowed; anything else is refused. */
	names: readonly string[];
	maxEntries: number;
	maxEntryBytes: number;
	maxTotalBytes: number;
	maxRatio: number;
}

/** Zip files: writing the export, and reading a file that may be hostile. */
export interface VaultArchive {
	write(entries: ArchiveEntry[]): Promise<Blob>;
	/** Reads every allowed entry, counting inflated bytes as they stream; ImportRefusedError past any limit. */
	read(file: Blob, limits: ArchiveLimits): Promise<Map<string, Uint8Array>>;
}

export interface PersistenceState {
	/** undefined: the browser cannot say. */
	persisted: boolean | undefined;
	usage?: number;
	quota?: number;
}

/** The browser's storage persistence (`navigator.storage`). */
export interface StoragePersistence {
	state(): Promise<PersistenceState>;
	/** Asks the browser to keep this site's data; resolves to whether it agreed. */
	request(): Promise<boolean | undefined>;
}
