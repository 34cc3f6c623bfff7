/**
 * The export file: a zip with exactly two entries.
 *   manifest.json  format, format version, app version, time, KDF settings and the vault header
 *   records.bin    the encrypted records, encrypted once more as one bundle (hides record names)
 * Without the passphrase the file is useless. On import it is treated as hostile: see
 * `adapters/zip` for the streaming limits and `services/vault.ts` for the order of checks.
 */
import { fromBase64, toBase64 } from '../base64.ts';
import { fromUtf8, utf8 } from './bytes.ts';
import { ImportRefusedError, TamperedError, UnsupportedVersionError } from './errors.ts';
import { checkKdf, readHeader, type KdfParams, type VaultHeader } from './envelope.ts';
import { isRecordName } from './records.ts';

export const EXPORT_FORMAT = 'nassella-vault-export' as const;
export const EXPORT_VERSION = 1;
export const ENTRY_MANIFEST = 'manifest.json';
export const ENTRY_RECORDS = 'records.bin';
export const EXPORT_ENTRIES: readonly string[] = [ENTRY_MANIFEST, ENTRY_RECORDS];
export const EXPORT_MIME = 'application/zip';

export const IMPORT_LIMITS = Object.freeze({
	maxEntries: 16,
	maxEntryBytes: 1024 * 1024,
	maxTotalBytes: 4 * 1024 * 1024,
	/** Inflated bytes per stored (compressed) byte. */
	maxRatio: 100,
	maxManifestBytes: 64 * 1024,
	maxRecords: 5000
});

export interface ExportManifest {
	format: typeof EXPORT_FORMAT;
	formatVersion: 1;
	appVersion: string;
	createdAt: string;
	recordCount: number;
	kdf: KdfParams;
	header: VaultHeader;
}

export interface ExportedRecord {
	name: string;
	blob: Uint8Array;
}

export function makeManifest(
	header: VaultHeader,
	appVersion: string,
	createdAt: Date,
	recordCount: number
): ExportManifest {
	const { alg, m, t, p } = header.kdf;
	return {
		format: EXPORT_FORMAT,
		formatVersion: EXPORT_VERSION,
		appVersion,
		createdAt: createdAt.toISOString(),
		recordCount,
		kdf: { alg, m, t, p },
		header
	};
}

/** Associated data of the bundle: ties it to the manifest it came with. */
export function bundleContext(manifest: Pick<ExportManifest, 'createdAt' | 'recordCount'>): string {
	return `export\u0000${manifest.createdAt}\u0000${manifest.recordCount}`;
}

function refuse(message: string): never {
	throw new ImportRefusedError(message);
}

/** Parses and checks the manifest: shape, versions, KDF floor. Throws a typed error otherwise. */
export function readManifest(bytes: Uint8Array): ExportManifest {
	if (bytes.length > IMPORT_LIMITS.maxManifestBytes) refuse('The file’s description is too large.');
	let raw: unknown;
	try {
		raw = JSON.parse(fromUtf8(bytes));
	} catch {
		refuse('The file’s description is damaged.');
	}
	if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) refuse('The file’s description is damaged.');
	const m = raw as Record<string, unknown>;
	if (m.format !== EXPORT_FORMAT) refuse('This is not a nassella export file.');
	if (!Number.isSafeInteger(m.formatVersion) || (m.formatVersion as number) < 1)
		refuse('The file’s description is damaged.');
	if ((m.formatVersion as number) > EXPORT_VERSION)
		throw new UnsupportedVersionError(
			'This export was made by a newer version of nassella. Update nassella, then try again.'
		);
	const keys = ['format', 'formatVersion', 'appVersion', 'createdAt', 'recordCount', 'kdf', 'header'];
	if (Object.keys(m).length !== keys.length || !keys.every((k) => Object.hasOwn(m, k)))
		refuse('The file’s description has unexpected fields.');
	if (typeof m.appVersion !== 'string' || m.appVersion.length > 40) refuse('The file’s description is damaged.');
	if (typeof m.createdAt !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/.test(m.createdAt))
		refuse('The file’s description is damaged.');
	if (
		!Number.isSafeInteger(m.recordCount) ||
		(m.recordCount as number) < 0 ||
		(m.recordCount as number) > IMPORT_LIMITS.maxRecords
	)
		refuse('The file lists an unexpected number of records.');
	const kdf = m.kdf as Record<string, unknown> | null;
	if (typeof kdf !== 'object' || kdf === null) refuse('The file’s description is damaged.');
	checkKdf(kdf as { alg: unknown; m: unknown; t: unknown; p: unknown });
	const header = readHeader(m.header);
	if (header.kdf.alg !== kdf.alg || header.kdf.m !== kdf.m || header.kdf.t !== kdf.t || header.kdf.p !== kdf.p)
		throw new TamperedError('The file’s key settings do not match each other, so it was refused.');
	return {
		format: EXPORT_FORMAT,
		formatVersion: 1,
		appVersion: m.appVersion,
		createdAt: m.createdAt,
		recordCount: m.recordCount as number,
		kdf: { alg: header.kdf.alg, m: header.kdf.m, t: header.kdf.t, p: header.kdf.p },
		header
	};
}

export function encodeBundle(records: readonly ExportedRecord[]): Uint8Array {
	return utf8(JSON.stringify({ records: records.map((r) => ({ name: r.name, blob: toBase64(r.blob) })) }));
}

/** Parses a bundle that has already passed authenticated decryption. */
export function decodeBundle(bytes: Uint8Array, expectedCount: number): ExportedRecord[] {
	let raw: unknown;
	try {
		raw = JSON.parse(fromUtf8(bytes));
	} catch {
		throw new TamperedError();
	}
	const list = (raw as { records?: unknown } | null)?.records;
	if (!Array.isArray(list) || Object.keys(raw as object).length !== 1) throw new TamperedError();
	if (list.length !== expectedCount) throw new TamperedError();
	const seen = new Set<string>();
	return list.map((item: unknown) => {
		const r = item as { name?: unknown; blob?: unknown };
		if (typeof r !== 'object' || r === null || Object.keys(r).length !== 2) throw new TamperedError();
		if (!isRecordName(r.name) || seen.has(r.name)) throw new TamperedError();
		seen.add(r.name);
		const blob = typeof r.blob === 'string' ? fromBase64(r.blob) : undefined;
		if (!blob) throw new TamperedError();
		return { name: r.name, blob };
	});
}

export function manifestBytes(manifest: ExportManifest): Uint8Array {
	return utf8(JSON.stringify(manifest, null, '\t'));
}

/** File name offered for download, e.g. `nassella-vault-2025-11-25.zip`. */
export function exportFileName(at: Date): string {
	return `nassella-vault-${at.toISOString().slice(0, 10)}.zip`;
}
