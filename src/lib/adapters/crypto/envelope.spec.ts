/** The vault envelope format (core/vault) with the real primitives (libsodium). */
import { beforeAll, describe, expect, it } from 'vitest';
import { fromUtf8, utf8 } from '../../core/vault/bytes.ts';
import { DEFAULT_KDF, FLOOR_KDF, readHeader, type VaultHeader } from '../../core/vault/envelope.ts';
import { TamperedError, VaultError, WrongPassphraseError, isVaultError } from '../../core/vault/errors.ts';
import { Keyholder } from '../../core/vault/keyholder.ts';
import type { VaultPrimitives } from '../../core/vault/primitives.ts';
import { loadSodium } from './sodium.ts';

let prims: VaultPrimitives;
beforeAll(async () => {
	prims = await loadSodium();
});

const PASS = 'river candle orbit 42 meadow';
const FAST = [FLOOR_KDF];

function codeOf(fn: () => unknown): string {
	try {
		fn();
	} catch (error) {
		if (error instanceof VaultError) return error.code;
		throw error;
	}
	return 'no error';
}

describe('envelope', () => {
	it('round-trips records, and a second keyholder opens them after unlock', () => {
		const a = new Keyholder(prims);
		const header = a.create(PASS);
		expect(header.kdf).toMatchObject({ alg: 'argon2id13', m: DEFAULT_KDF.m, t: DEFAULT_KDF.t, p: 1 });
		const blob = a.seal('tokens/hetzner', utf8('{"token":"s3cret"}'));
		expect(fromUtf8(a.open('tokens/hetzner', blob))).toBe('{"token":"s3cret"}');
		expect(Buffer.from(blob).includes(Buffer.from('s3cret'))).toBe(false);

		const b = new Keyholder(prims);
		b.unlock(JSON.parse(JSON.stringify(header)), PASS);
		expect(fromUtf8(b.open('tokens/hetzner', blob))).toBe('{"token":"s3cret"}');
		b.lock();
		expect(b.unlocked).toBe(false);
		expect(codeOf(() => b.open('tokens/hetzner', blob))).toBe('locked');
	});

	it('says so plainly when the passphrase is wrong', () => {
		const a = new Keyholder(prims);
		const header = a.create(PASS, FAST);
		const b = new Keyholder(prims);
		let caught: unknown;
		try {
			b.unlock(header, PASS + ' ');
		} catch (error) {
			caught = error;
		}
		expect(caught).toBeInstanceOf(WrongPassphraseError);
		expect((caught as Error).message).toBe('That passphrase is not the right one.');
		expect((caught as Error).message).not.toContain(PASS);
	});

	it('detects a change to any byte of a record', () => {
		const a = new Keyholder(prims);
		a.create(PASS, FAST);
		const blob = a.seal('config/main', utf8('{"apps":["vaultwarden"]}'));
		for (let i = 0; i < blob.length; i++) {
			for (const bit of [0x01, 0x80]) {
				const bad = blob.slice();
				bad[i]! ^= bit;
				const code = codeOf(() => a.open('config/main', bad));
				expect(['tampered', 'unsupported-version'], `byte ${i}`).toContain(code);
			}
		}
		expect(codeOf(() => a.open('config/main', blob.subarray(0, blob.length - 1)))).toBe('tampered');
		expect(codeOf(() => a.open('config/main', new Uint8Array(0)))).toBe('tampered');
	});

	it('binds a record to its name and to its vault', () => {
		const a = new Keyholder(prims);
		a.create(PASS, FAST);
		const blob = a.seal('tokens/a', utf8('1'));
		expect(() => a.open('tokens/b', blob)).toThrow(TamperedError);
		const other = new Keyholder(prims);
		other.create(PASS, FAST);
		expect(() => other.open('tokens/a', blob)).toThrow(TamperedError);
	});

	it('detects a change to any byte of the stored header', () => {
		const a = new Keyholder(prims);
		const header = a.create(PASS, FAST);
		const text = utf8(JSON.stringify(header));
		const codes = new Set<string>();
		for (let i = 0; i < text.length; i++) {
			const bad = text.slice();
			bad[i]! ^= 0x01;
			let parsed: unknown;
			try {
				parsed = JSON.parse(fromUtf8(bad));
			} catch {
				codes.add('tampered (not JSON)');
				continue;
			}
			const code = codeOf(() => new Keyholder(prims).unlock(parsed, PASS));
			expect(
				['tampered', 'wrong-passphrase', 'weak-kdf', 'unsupported-kdf', 'unsupported-version'],
				`byte ${i}`
			).toContain(code);
			codes.add(code);
		}
		expect(codes).toContain('wrong-passphrase');
		expect(codes).toContain('tampered');
	}, 60_000);

	it('changing the passphrase re-wraps only the data key', () => {
		const a = new Keyholder(prims);
		const before = a.create(PASS, FAST);
		const blob = a.seal('deployment/1', utf8('{"step":3}'));
		const after = a.rewrap('a different long passphrase 77', FAST);
		expect(after.id).toBe(before.id);
		expect(after.kdf.salt).not.toBe(before.kdf.salt);
		expect(after.dek.ct).not.toBe(before.dek.ct);

		const b = new Keyholder(prims);
		expect(() => b.unlock(after, PASS)).toThrow(WrongPassphraseError);
		b.unlock(after, 'a different long passphrase 77');
		expect(fromUtf8(b.open('deployment/1', blob))).toBe('{"step":3}');
		expect(() => new Keyholder(prims).unlock(before, 'a different long passphrase 77')).toThrow(WrongPassphraseError);
	});

	it('falls back to the floor only when the default cannot get its memory', () => {
		const tight: VaultPrimitives = {
			...prims,
			argon2id(n, p, s, t, m) {
				if (m > FLOOR_KDF.m) throw new Error('Cannot enlarge memory arrays');
				return prims.argon2id(n, p, s, t, m);
			}
		};
		const header = new Keyholder(tight).create(PASS);
		expect(header.kdf).toMatchObject({ m: FLOOR_KDF.m, t: FLOOR_KDF.t });
		// Only the self-test's own small derivation gets memory; every real one fails.
		const none: VaultPrimitives = {
			...prims,
			argon2id: (n, p, s, t, m) => {
				if (fromUtf8(s) !== 'nassella-kat-sal') throw new Error('Cannot enlarge memory arrays');
				return prims.argon2id(n, p, s, t, m);
			}
		};
		expect(codeOf(() => new Keyholder(none).create(PASS))).toBe('out-of-memory');
	});

	it('refuses all-zero key derivation output even after the self-test passed', () => {
		const k = new Keyholder(prims);
		k.selfTest();
		let calls = 0;
		const zeros: VaultPrimitives = { ...prims, argon2id: (n) => (calls++, new Uint8Array(n)) };
		const later = new Keyholder(zeros);
		(later as unknown as { selfTest(): void }).selfTest = () => {};
		expect(codeOf(() => later.create(PASS, FAST))).toBe('self-test-failed');
		expect(calls).toBe(1);
	});
});

describe('header versions and key settings', () => {
	let header: VaultHeader;
	beforeAll(() => {
		header = new Keyholder(prims).create(PASS, FAST);
	});
	const withKdf = (kdf: Partial<VaultHeader['kdf']>) => ({ ...header, kdf: { ...header.kdf, ...kdf } });

	it('reads the current version and refuses unknown ones', () => {
		expect(readHeader(JSON.parse(JSON.stringify(header)))).toEqual(header);
		expect(codeOf(() => readHeader({ ...header, v: 2 }))).toBe('unsupported-version');
		expect(codeOf(() => readHeader({ ...header, v: 0 }))).toBe('tampered');
		expect(codeOf(() => readHeader({ ...header, extra: 1 }))).toBe('tampered');
		expect(codeOf(() => readHeader({ ...header, format: 'other' }))).toBe('tampered');
	});

	it('refuses settings below the floor and absurd ones', () => {
		expect(codeOf(() => readHeader(withKdf({ m: FLOOR_KDF.m - 1 })))).toBe('weak-kdf');
		expect(codeOf(() => readHeader(withKdf({ t: 1 })))).toBe('weak-kdf');
		expect(codeOf(() => readHeader(withKdf({ m: 8 })))).toBe('weak-kdf');
		expect(codeOf(() => readHeader(withKdf({ m: 4 * 1024 * 1024 })))).toBe('unsupported-kdf');
		expect(codeOf(() => readHeader(withKdf({ p: 4 as 1 })))).toBe('unsupported-kdf');
		expect(codeOf(() => readHeader(withKdf({ alg: 'scrypt' as 'argon2id13' })))).toBe('unsupported-kdf');
		expect(isVaultError(new VaultError('weak-kdf'), 'weak-kdf')).toBe(true);
	});

	it('opens what nassella makes, and refuses a file that asks for far more work before its passphrase is checked', () => {
		expect(() => readHeader(withKdf({ m: DEFAULT_KDF.m, t: DEFAULT_KDF.t }))).not.toThrow();
		expect(() => readHeader(withKdf({ m: 256 * 1024, t: 4 }))).not.toThrow();
		for (const kdf of [{ m: 1024 * 1024 }, { m: 256 * 1024 + 1 }, { t: 10 }, { t: 5 }]) {
			let error: unknown;
			try {
				readHeader(withKdf(kdf));
			} catch (e) {
				error = e;
			}
			expect(isVaultError(error, 'unsupported-kdf'), JSON.stringify(kdf)).toBe(true);
			expect((error as Error).message).toMatch(/at most 256 MiB and 4 passes/);
		}
	});
});
