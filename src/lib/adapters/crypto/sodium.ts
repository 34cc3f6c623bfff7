/**
 * The only module that imports libsodium. It must be the sumo build: the standard one
 * has no `crypto_pwhash`, and its types still declare it, so code would compile and then
 * fail (security reference §2). The package's ESM entry (`libsodium-wrappers-sumo`,
 * 0.8.x) loads both under Vite in Chromium and under Node 24 / Vitest.
 */
import sodium from 'libsodium-wrappers-sumo';
import { VaultError } from '../../core/vault/errors.ts';
import type { VaultPrimitives } from '../../core/vault/primitives.ts';

let loaded: Promise<VaultPrimitives> | undefined;

/** Loads libsodium once and checks that the functions the vault needs are really there. */
export function loadSodium(): Promise<VaultPrimitives> {
	loaded ??= (async () => {
		await sodium.ready;
		if (
			typeof sodium.crypto_pwhash !== 'function' ||
			typeof sodium.crypto_aead_xchacha20poly1305_ietf_encrypt !== 'function' ||
			typeof sodium.crypto_generichash !== 'function'
		)
			throw new VaultError(
				'self-test-failed',
				'The encryption library is missing Argon2id (crypto_pwhash), so nassella will not create or open a vault.'
			);
		return sodiumPrimitives();
	})();
	return loaded;
}

function sodiumPrimitives(): VaultPrimitives {
	return {
		argon2id(outLength, passphrase, salt, ops, memKiB) {
			// HAZMAT: Argon2id v1.3, one lane (libsodium's fixed parallelism).
			return sodium.crypto_pwhash(outLength, passphrase, salt, ops, memKiB * 1024, sodium.crypto_pwhash_ALG_ARGON2ID13);
		},
		aeadEncrypt(plaintext, ad, nonce, key) {
			// HAZMAT: the caller supplies a fresh 24-byte random nonce for every message.
			return sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, null, nonce, key);
		},
		aeadDecrypt(ciphertext, ad, nonce, key) {
			try {
				return sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, ciphertext, ad, nonce, key);
			} catch {
				return undefined;
			}
		},
		hash(outLength, message) {
			return sodium.crypto_generichash(outLength, message, null);
		},
		randomBytes(length) {
			return sodium.randombytes_buf(length);
		},
		wipe(bytes) {
			sodium.memzero(bytes);
		}
	};
}
