/**
 * Holds one vault's data key while it is unlocked, and does every operation that needs
 * it. In the browser it lives inside the vault's Web Worker, so the page itself never
 * references key material; locking wipes the key and the worker is ended.
 */
import { toBase64 } from '../base64.ts';
import {
	DEFAULT_KDF,
	FLOOR_KDF,
	ID_BYTES,
	KEY_BYTES,
	bundleAssociatedData,
	openRecord,
	readHeader,
	recordAssociatedData,
	sealRecord,
	unwrapDek,
	vaultBinding,
	wrapDek,
	type KdfParams,
	type VaultHeader
} from './envelope.ts';
import { VaultError, isVaultError } from './errors.ts';
import type { VaultPrimitives } from './primitives.ts';
import { runSelfTest } from './self-test.ts';

export class Keyholder {
	#prims: VaultPrimitives;
	#dek: Uint8Array | undefined;
	#binding: Uint8Array | undefined;
	#id: string | undefined;
	#tested = false;

	constructor(prims: VaultPrimitives) {
		this.#prims = prims;
	}

	get unlocked(): boolean {
		return this.#dek !== undefined;
	}

	/** Vault id of the unlocked vault. */
	get vaultId(): string | undefined {
		return this.#id;
	}

	/** Runs the known-answer self-test once; every key operation calls it first. */
	selfTest(): void {
		if (this.#tested) return;
		runSelfTest(this.#prims);
		this.#tested = true;
	}

	/**
	 * Creates a new vault (a fresh random data key) and keeps it unlocked. Tries each
	 * setting in turn: the floor is used only when the default cannot get its memory.
	 */
	create(passphrase: string, candidates: readonly KdfParams[] = [DEFAULT_KDF, FLOOR_KDF]): VaultHeader {
		this.selfTest();
		this.lock();
		const dek = this.#prims.randomBytes(KEY_BYTES);
		const id = toBase64(this.#prims.randomBytes(ID_BYTES));
		const header = this.#wrapWithFallback(dek, passphrase, id, candidates);
		this.#adopt(header, dek);
		return header;
	}

	/** Unlocks with the passphrase; the wrong one throws WrongPassphraseError. */
	unlock(rawHeader: unknown, passphrase: string): VaultHeader {
		this.selfTest();
		const header = readHeader(rawHeader);
		this.lock();
		const dek = unwrapDek(this.#prims, header, passphrase);
		this.#adopt(header, dek);
		return header;
	}

	/** A new header for the same data key under a new passphrase (fresh salt). Records are untouched. */
	rewrap(passphrase: string, candidates: readonly KdfParams[] = [DEFAULT_KDF, FLOOR_KDF]): VaultHeader {
		const dek = this.#need();
		return this.#wrapWithFallback(dek, passphrase, this.#id!, candidates);
	}

	seal(name: string, plaintext: Uint8Array): Uint8Array {
		return this.#withKey(sealRecord, recordAssociatedData, name, plaintext);
	}

	open(name: string, blob: Uint8Array): Uint8Array {
		return this.#withKey(openRecord, recordAssociatedData, name, blob);
	}

	/** Encrypts a whole export bundle (already-encrypted records) so that record names are hidden too. */
	sealBundle(context: string, bytes: Uint8Array): Uint8Array {
		return this.#withKey(sealRecord, bundleAssociatedData, context, bytes);
	}

	openBundle(context: string, sealed: Uint8Array): Uint8Array {
		return this.#withKey(openRecord, bundleAssociatedData, context, sealed);
	}

	/** Seals or opens `bytes` with the data key, bound by `ad` to this vault and `label`; a locked vault throws first. */
	#withKey(
		op: typeof sealRecord | typeof openRecord,
		ad: typeof recordAssociatedData | typeof bundleAssociatedData,
		label: string,
		bytes: Uint8Array
	): Uint8Array {
		const dek = this.#need();
		return op(this.#prims, dek, ad(this.#binding!, label), bytes);
	}

	/** Wipes the data key. */
	lock(): void {
		if (this.#dek) this.#prims.wipe(this.#dek);
		if (this.#binding) this.#prims.wipe(this.#binding);
		this.#dek = undefined;
		this.#binding = undefined;
		this.#id = undefined;
	}

	#adopt(header: VaultHeader, dek: Uint8Array): void {
		this.#dek = dek;
		this.#id = header.id;
		this.#binding = vaultBinding(this.#prims, header);
	}

	#need(): Uint8Array {
		if (!this.#dek) throw new VaultError('locked');
		return this.#dek;
	}

	#wrapWithFallback(dek: Uint8Array, passphrase: string, id: string, candidates: readonly KdfParams[]): VaultHeader {
		let last: unknown;
		for (const params of candidates) {
			try {
				return wrapDek(this.#prims, dek, passphrase, id, params);
			} catch (error) {
				if (!isVaultError(error, 'out-of-memory')) throw error;
				last = error;
			}
		}
		throw last ?? new VaultError('out-of-memory');
	}
}
