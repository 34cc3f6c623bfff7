import { argon2Sync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fromHex, toHex, utf8 } from '../../core/vault/bytes.ts';
import { isVaultError } from '../../core/vault/errors.ts';
import type { VaultPrimitives } from '../../core/vault/primitives.ts';
import { ARGON2ID_KAT, runSelfTest } from '../../core/vault/self-test.ts';
import { loadSodium } from './sodium.ts';

/** OpenSSL's Argon2id through Node 24: an implementation independent of libsodium. */
function openssl(
	pass: Uint8Array,
	salt: Uint8Array,
	t: number,
	mKiB: number,
	extra: { secret?: Uint8Array; ad?: Uint8Array; p?: number } = {}
) {
	return new Uint8Array(
		argon2Sync('argon2id', {
			message: pass,
			nonce: salt,
			passes: t,
			memory: mKiB,
			parallelism: extra.p ?? 1,
			tagLength: 32,
			...(extra.secret ? { secret: extra.secret } : {}),
			...(extra.ad ? { associatedData: extra.ad } : {})
		})
	);
}

describe('libsodium (sumo) loading', () => {
	it('loads through the ESM entry and has crypto_pwhash', async () => {
		const prims = await loadSodium();
		expect(typeof prims.argon2id).toBe('function');
		expect(prims.argon2id(32, utf8('x'), new Uint8Array(16), 1, 8 * 1024)).toHaveLength(32);
	});
});

describe('Argon2id known answers', () => {
	it('the reference implementation used for the constants reproduces RFC 9106 §5.3', () => {
		const tag = openssl(new Uint8Array(32).fill(1), new Uint8Array(16).fill(2), 3, 32, {
			secret: new Uint8Array(8).fill(3),
			ad: new Uint8Array(12).fill(4),
			p: 4
		});
		expect(toHex(tag)).toBe('0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659');
	});

	it('the start-up constant is what the reference computes', () => {
		const expected = openssl(
			utf8(ARGON2ID_KAT.passphrase),
			utf8(ARGON2ID_KAT.salt),
			ARGON2ID_KAT.ops,
			ARGON2ID_KAT.memKiB
		);
		expect(toHex(expected)).toBe(ARGON2ID_KAT.expected);
	});

	it('libsodium matches the reference at the floor and the default settings', async () => {
		const prims = await loadSodium();
		const pass = utf8('Grüße, ünïcödé passphrase');
		const salt = fromHex('000102030405060708090a0b0c0d0e0f');
		for (const [t, m] of [
			[2, 19 * 1024],
			[3, 64 * 1024]
		] as const) {
			expect(toHex(prims.argon2id(32, pass, salt, t, m))).toBe(toHex(openssl(pass, salt, t, m)));
		}
	});

	it('libsodium matches the reference on random inputs', async () => {
		const prims = await loadSodium();
		fc.assert(
			fc.property(
				fc.uint8Array({ maxLength: 64 }),
				fc.uint8Array({ minLength: 16, maxLength: 16 }),
				fc.integer({ min: 1, max: 3 }),
				(pass, salt, t) => {
					expect(toHex(prims.argon2id(32, pass, salt, t, 1024))).toBe(toHex(openssl(pass, salt, t, 1024)));
				}
			),
			{ numRuns: 25 }
		);
	});
});

describe('start-up self-test', () => {
	it('passes with libsodium', async () => {
		runSelfTest(await loadSodium());
	});

	const broken = async (patch: Partial<VaultPrimitives>): Promise<unknown> => {
		const prims = { ...(await loadSodium()), ...patch };
		try {
			runSelfTest(prims);
			return undefined;
		} catch (error) {
			return error;
		}
	};

	it('fails closed on all-zero Argon2id output (libsodium.js #235)', async () => {
		const error = await broken({ argon2id: (n) => new Uint8Array(n) });
		expect(isVaultError(error, 'self-test-failed')).toBe(true);
		expect((error as Error).message).toMatch(/wrong answer in the encryption self-test/);
	});

	it('fails closed on wrong Argon2id output (libsodium.js #311)', async () => {
		const real = await loadSodium();
		const error = await broken({
			argon2id: (...args) => real.argon2id(args[0], args[1], args[2], args[3], args[4] - 1)
		});
		expect(isVaultError(error, 'self-test-failed')).toBe(true);
	});

	it('fails closed when the cipher accepts a forged message', async () => {
		const real = await loadSodium();
		const error = await broken({
			aeadDecrypt: (ct, ad, nonce, key) => real.aeadDecrypt(ct, ad, nonce, key) ?? new Uint8Array(ct.length - 16)
		});
		expect(isVaultError(error, 'self-test-failed')).toBe(true);
	});

	it('reports a failed allocation plainly', async () => {
		const error = await broken({
			argon2id: () => {
				throw new Error('Cannot enlarge memory arrays');
			}
		});
		expect(isVaultError(error, 'out-of-memory')).toBe(true);
	});
});
