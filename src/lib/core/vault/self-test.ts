/**
 * Start-up self-test, run before any real key is derived: an Argon2id known answer
 * (some engines have returned wrong or all-zero output instead of failing,
 * libsodium.js #235 and #311) and an AEAD round trip with a tamper check.
 *
 * The known answer was computed independently with OpenSSL's Argon2id (Node 24's
 * `crypto.argon2Sync`, itself checked against the RFC 9106 §5.3 vector in the tests) and
 * uses the floor settings (19 MiB, 2 passes): above the 8 MB where #311 appeared.
 */
import { bytesEqual, fromHex, isAllZero, utf8 } from './bytes.ts';
import { VaultError } from './errors.ts';
import type { VaultPrimitives } from './primitives.ts';

export const ARGON2ID_KAT = Object.freeze({
	passphrase: 'correct horse battery staple',
	salt: 'nassella-kat-sal',
	ops: 2,
	memKiB: 19 * 1024,
	expected: '7571739a1f5630ade07df0052074756dca6488a83e371dd365c818f177ecf9c3'
});

const FAILED =
	'This browser gave a wrong answer in the encryption self-test, so nassella will not use it for your keys.';

export function runSelfTest(prims: VaultPrimitives): void {
	let out: Uint8Array;
	try {
		out = prims.argon2id(
			32,
			utf8(ARGON2ID_KAT.passphrase),
			utf8(ARGON2ID_KAT.salt),
			ARGON2ID_KAT.ops,
			ARGON2ID_KAT.memKiB
		);
	} catch {
		throw new VaultError('out-of-memory');
	}
	if (isAllZero(out) || !bytesEqual(out, fromHex(ARGON2ID_KAT.expected)))
		throw new VaultError('self-test-failed', FAILED);

	const key = prims.randomBytes(32);
	const nonce = prims.randomBytes(24);
	const message = utf8('nassella self-test');
	const ad = utf8('self-test');
	const ct = prims.aeadEncrypt(message, ad, nonce, key);
	const back = prims.aeadDecrypt(ct, ad, nonce, key);
	const flipped = ct.slice();
	flipped[0]! ^= 1;
	const forged = prims.aeadDecrypt(flipped, ad, nonce, key);
	prims.wipe(key);
	if (
		isAllZero(nonce) ||
		!back ||
		!bytesEqual(back, message) ||
		forged !== undefined ||
		ct.length !== message.length + 16
	)
		throw new VaultError('self-test-failed', FAILED);
}
