/**
 * The cryptographic primitives the vault format is built on, supplied by an adapter
 * (libsodium in `adapters/crypto/sodium.ts`). Synchronous: they run inside the vault's
 * Web Worker in the browser, or directly in tests.
 *
 * HAZMAT: these are raw primitives. Only `core/vault` calls them, with the nonce sizes,
 * associated data and checks of the envelope format.
 */
export interface VaultPrimitives {
	/** Argon2id (version 0x13), p = 1, `memKiB` KiB of memory, `ops` passes. Throws when memory cannot be allocated. */
	argon2id(outLength: number, passphrase: Uint8Array, salt: Uint8Array, ops: number, memKiB: number): Uint8Array;
	/** XChaCha20-Poly1305 (IETF): ciphertext with the 16-byte tag appended. */
	aeadEncrypt(plaintext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;
	/** Returns undefined when authentication fails. */
	aeadDecrypt(ciphertext: Uint8Array, ad: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | undefined;
	/** BLAKE2b with the given output length. */
	hash(outLength: number, message: Uint8Array): Uint8Array;
	randomBytes(length: number): Uint8Array;
	/** Overwrites the array with zeros (best effort: JavaScript may hold copies elsewhere). */
	wipe(bytes: Uint8Array): void;
}
