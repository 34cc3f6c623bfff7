/** Generated secrets: made once from random bytes, then kept (stable across re-renders). */
import type { AppManifest, SecretAlphabet, SecretSpec } from './types.ts';

export const ALPHABETS: Record<SecretAlphabet, string> = {
	alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
	hex: '0123456789abcdef',
	base64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
};

/** Fills a buffer with cryptographically strong random bytes (e.g. `crypto.getRandomValues`). */
export type RandomBytes = (bytes: Uint8Array<ArrayBuffer>) => Uint8Array;

/** One secret, drawn without bias (rejection sampling) from its alphabet. */
export function generateSecret(spec: Pick<SecretSpec, 'length' | 'alphabet'>, random: RandomBytes): string {
	const alphabet = ALPHABETS[spec.alphabet];
	const n = alphabet.length;
	const limit = 256 - (256 % n);
	let out = '';
	// Bounded: each round keeps at least limit/256 ≥ 75 % of bytes on average; 64 rounds is far beyond need.
	for (let round = 0; out.length < spec.length && round < 64; round++) {
		const buf = random(new Uint8Array((spec.length - out.length) * 2));
		for (const b of buf) {
			if (b < limit) out += alphabet[b % n];
			if (out.length === spec.length) break;
		}
	}
	if (out.length !== spec.length) throw new Error('the random source gave too few usable bytes');
	return out;
}

/**
 * The app's secrets: existing values are kept as they are, missing ones are generated.
 * Secrets no longer declared are dropped from the result.
 */
export function ensureSecrets(
	manifest: Pick<AppManifest, 'secrets'>,
	existing: Record<string, string>,
	random: RandomBytes
): Record<string, string> {
	const out: Record<string, string> = {};
	for (const spec of manifest.secrets) out[spec.id] = existing[spec.id] ?? generateSecret(spec, random);
	return out;
}
