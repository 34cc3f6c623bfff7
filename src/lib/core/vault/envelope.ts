/**
 * The vault's envelope format, version 1 (see docs: security reference §3).
 *
 *   passphrase ──Argon2id(salt, m, t, p)──▶ KEK ──wraps──▶ DEK (random, 256 bits)
 *   DEK ──XChaCha20-Poly1305──▶ each record, with AD = record prefix ‖ vault binding ‖ name
 *
 * The header carries everything needed to derive the KEK; its identity and KDF settings
 * are the associated data of the wrapped DEK, so changing any of them makes unwrapping
 * fail. The vault binding (a hash of format, version and vault id) ties every record to
 * this vault and does not change when the passphrase does, so a passphrase change
 * re-wraps the DEK only. The same format serves IndexedDB and the export file.
 */
import { fromBase64, toBase64 } from '../base64.ts';
import { concatBytes, utf8 } from './bytes.ts';
import { TamperedError, UnsupportedVersionError, VaultError, WeakKdfError, WrongPassphraseError } from './errors.ts';
import type { VaultPrimitives } from './primitives.ts';

export const FORMAT = 'nassella-vault' as const;
export const CURRENT_VERSION = 1;
export const KEY_BYTES = 32;
export const NONCE_BYTES = 24;
export const TAG_BYTES = 16;
export const SALT_BYTES = 16;
export const ID_BYTES = 16;
/** First byte of every encrypted record: the record layout version. */
export const RECORD_LAYOUT_V1 = 1;

export interface KdfParams {
	alg: 'argon2id13';
	/** Memory in KiB. */
	m: number;
	/** Passes. */
	t: number;
	/** Lanes; libsodium runs exactly one. */
	p: 1;
}

/** Default: 64 MiB, 3 passes, 1 lane. */
export const DEFAULT_KDF: Readonly<KdfParams> = Object.freeze({ alg: 'argon2id13', m: 64 * 1024, t: 3, p: 1 });
/** Floor, used only when the default cannot allocate its memory: 19 MiB, 2 passes. */
export const FLOOR_KDF: Readonly<KdfParams> = Object.freeze({ alg: 'argon2id13', m: 19 * 1024, t: 2, p: 1 });
/**
 * The most a file may ask for before its passphrase can be checked: 4 times the default's
 * memory and one pass more (room for a later, stronger default). Beyond that a hostile file
 * could hold a phone for many seconds, or fail it, on every try.
 */
export const MAX_KDF = Object.freeze({ m: 256 * 1024, t: 4 });

export interface VaultHeader {
	format: typeof FORMAT;
	v: 1;
	/** Random vault id, base64 (16 bytes). */
	id: string;
	kdf: KdfParams & { salt: string };
	dek: { alg: 'xchacha20poly1305-ietf'; nonce: string; ct: string };
}

/** Throws unless the settings are at least the floor and at most the ceiling. */
export function checkKdf(kdf: { alg: unknown; m: unknown; t: unknown; p: unknown }): void {
	if (kdf.alg !== 'argon2id13')
		throw new VaultError('unsupported-kdf', 'The file uses an unknown key-derivation method.');
	if (![kdf.m, kdf.t, kdf.p].every((n) => Number.isSafeInteger(n))) throw new TamperedError();
	const { m, t, p } = kdf as { m: number; t: number; p: number };
	if (p !== 1)
		throw new VaultError('unsupported-kdf', 'The file asks for a key setting nassella does not run (lanes).');
	if (m < FLOOR_KDF.m || t < FLOOR_KDF.t)
		throw new WeakKdfError(
			`The file asks for weaker protection (${Math.round(m / 1024)} MiB, ${t} passes) than nassella's minimum (${FLOOR_KDF.m / 1024} MiB, ${FLOOR_KDF.t} passes), so it was refused.`
		);
	if (m > MAX_KDF.m || t > MAX_KDF.t)
		throw new VaultError(
			'unsupported-kdf',
			`The file asks for ${Math.round(m / 1024)} MiB and ${t} passes to open; nassella opens files that ask for at most ${MAX_KDF.m / 1024} MiB and ${MAX_KDF.t} passes (it makes them with ${DEFAULT_KDF.m / 1024} MiB and ${DEFAULT_KDF.t}), so it was refused.`
		);
}

function exactKeys(value: unknown, keys: readonly string[]): value is Record<string, unknown> {
	if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
	const own = Object.keys(value);
	return own.length === keys.length && keys.every((k) => Object.hasOwn(value, k));
}

function b64Of(value: unknown, length: number): Uint8Array {
	const bytes = typeof value === 'string' ? fromBase64(value) : undefined;
	if (!bytes || bytes.length !== length) throw new TamperedError();
	return bytes;
}

/**
 * Upgrades a stored or imported header of any known version to the current one, and
 * validates it strictly. Version 1 is the first; a later version adds a step here
 * (`if (v === 1) header = fromV1(header)`), so every older vault and file stays readable.
 */
export function readHeader(raw: unknown): VaultHeader {
	if (typeof raw !== 'object' || raw === null || (raw as { format?: unknown }).format !== FORMAT)
		throw new TamperedError('This is not a nassella vault, or it is damaged.');
	const v = (raw as { v?: unknown }).v;
	if (!Number.isSafeInteger(v) || (v as number) < 1) throw new TamperedError();
	if ((v as number) > CURRENT_VERSION)
		throw new UnsupportedVersionError(
			`This vault was made by a newer version of nassella (format ${v as number}; this one reads up to ${CURRENT_VERSION}).`
		);
	return validateV1(raw);
}

function validateV1(raw: unknown): VaultHeader {
	if (!exactKeys(raw, ['format', 'v', 'id', 'kdf', 'dek'])) throw new TamperedError();
	const { kdf, dek } = raw;
	if (!exactKeys(kdf, ['alg', 'm', 't', 'p', 'salt']) || !exactKeys(dek, ['alg', 'nonce', 'ct']))
		throw new TamperedError();
	checkKdf(kdf as { alg: unknown; m: unknown; t: unknown; p: unknown });
	b64Of(raw.id, ID_BYTES);
	b64Of(kdf.salt, SALT_BYTES);
	if (dek.alg !== 'xchacha20poly1305-ietf') throw new VaultError('unsupported-kdf', 'The file uses an unknown cipher.');
	b64Of(dek.nonce, NONCE_BYTES);
	b64Of(dek.ct, KEY_BYTES + TAG_BYTES);
	const k = kdf as unknown as VaultHeader['kdf'];
	const d = dek as unknown as VaultHeader['dek'];
	return {
		format: FORMAT,
		v: 1,
		id: raw.id as string,
		kdf: { alg: k.alg, m: k.m, t: k.t, p: k.p, salt: k.salt },
		dek: { alg: d.alg, nonce: d.nonce, ct: d.ct }
	};
}

/** Associated data of the wrapped DEK: the header minus the wrapped key itself, in a fixed order. */
export function dekAssociatedData(header: Pick<VaultHeader, 'format' | 'v' | 'id' | 'kdf'>): Uint8Array {
	const { kdf } = header;
	return utf8(
		JSON.stringify([
			'dek',
			header.format,
			header.v,
			header.id,
			kdf.alg,
			kdf.m,
			kdf.t,
			kdf.p,
			kdf.salt,
			'xchacha20poly1305-ietf'
		])
	);
}

/** 32-byte hash tying records to this vault; independent of the passphrase. */
export function vaultBinding(prims: VaultPrimitives, header: Pick<VaultHeader, 'format' | 'v' | 'id'>): Uint8Array {
	return prims.hash(32, utf8(JSON.stringify(['binding', header.format, header.v, header.id])));
}

const RECORD_PREFIX = utf8('nassella-vault/v1/record\u0000');
const BUNDLE_PREFIX = utf8('nassella-vault/v1/export-bundle\u0000');

export function recordAssociatedData(binding: Uint8Array, name: string): Uint8Array {
	return concatBytes(RECORD_PREFIX, binding, utf8(name));
}

export function bundleAssociatedData(binding: Uint8Array, context: string): Uint8Array {
	return concatBytes(BUNDLE_PREFIX, binding, utf8(context));
}

/** Derives the key-encryption key; fails closed on the all-zero output some engines produced. */
export function deriveKek(prims: VaultPrimitives, passphrase: string, kdf: KdfParams & { salt: string }): Uint8Array {
	const salt = b64Of(kdf.salt, SALT_BYTES);
	const pass = utf8(passphrase.normalize('NFC'));
	let kek: Uint8Array;
	try {
		kek = prims.argon2id(KEY_BYTES, pass, salt, kdf.t, kdf.m);
	} catch {
		throw new VaultError('out-of-memory');
	} finally {
		prims.wipe(pass);
	}
	if (kek.length !== KEY_BYTES || kek.every((b) => b === 0)) throw new VaultError('self-test-failed');
	return kek;
}

/** Encrypts `plaintext` into the record layout: version byte ‖ nonce ‖ ciphertext+tag. */
export function sealRecord(prims: VaultPrimitives, dek: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
	const nonce = prims.randomBytes(NONCE_BYTES);
	const ct = prims.aeadEncrypt(plaintext, ad, nonce, dek);
	return concatBytes(Uint8Array.of(RECORD_LAYOUT_V1), nonce, ct);
}

/** Decrypts a record; any change to any byte, or the wrong name or vault, throws TamperedError. */
export function openRecord(prims: VaultPrimitives, dek: Uint8Array, ad: Uint8Array, blob: Uint8Array): Uint8Array {
	if (!(blob instanceof Uint8Array) || blob.length < 1 + NONCE_BYTES + TAG_BYTES) throw new TamperedError();
	if (blob[0] !== RECORD_LAYOUT_V1) {
		if (blob[0]! > RECORD_LAYOUT_V1) throw new UnsupportedVersionError();
		throw new TamperedError();
	}
	const plain = prims.aeadDecrypt(blob.subarray(1 + NONCE_BYTES), ad, blob.subarray(1, 1 + NONCE_BYTES), dek);
	if (!plain) throw new TamperedError();
	return plain;
}

/** Wraps the DEK under a KEK derived from `passphrase`, with a fresh salt: a complete header. */
export function wrapDek(
	prims: VaultPrimitives,
	dek: Uint8Array,
	passphrase: string,
	id: string,
	params: KdfParams
): VaultHeader {
	const base = {
		format: FORMAT,
		v: 1 as const,
		id,
		kdf: { alg: params.alg, m: params.m, t: params.t, p: params.p, salt: toBase64(prims.randomBytes(SALT_BYTES)) }
	};
	checkKdf(base.kdf);
	const kek = deriveKek(prims, passphrase, base.kdf);
	try {
		const nonce = prims.randomBytes(NONCE_BYTES);
		const ct = prims.aeadEncrypt(dek, dekAssociatedData(base), nonce, kek);
		return { ...base, dek: { alg: 'xchacha20poly1305-ietf', nonce: toBase64(nonce), ct: toBase64(ct) } };
	} finally {
		prims.wipe(kek);
	}
}

/** Unwraps the DEK. The passphrase is checked by authenticated decryption, never by comparing a hash. */
export function unwrapDek(prims: VaultPrimitives, header: VaultHeader, passphrase: string): Uint8Array {
	const checked = readHeader(header);
	const kek = deriveKek(prims, passphrase, checked.kdf);
	try {
		const dek = prims.aeadDecrypt(
			b64Of(checked.dek.ct, KEY_BYTES + TAG_BYTES),
			dekAssociatedData(checked),
			b64Of(checked.dek.nonce, NONCE_BYTES),
			kek
		);
		if (!dek) throw new WrongPassphraseError();
		return dek;
	} finally {
		prims.wipe(kek);
	}
}
