/** Generated secrets: made once from random bytes, then kept (stable across re-renders). */
import { SETUP_PREDATES_GATE, hasSetupGate, secretSpecs } from './first-start.ts';
import type { AppManifest, GeneratedSecretSpec, SecretAlphabet } from './types.ts';

export const ALPHABETS: Record<SecretAlphabet, string> = {
	alphanumeric: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
	hex: '0123456789abcdef',
	base64url: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
};

/** Fills a buffer with cryptographically strong random bytes (e.g. `crypto.getRandomValues`). */
export type RandomBytes = (bytes: Uint8Array<ArrayBuffer>) => Uint8Array;

/** One secret, drawn without bias (rejection sampling) from its alphabet. */
export function generateSecret(spec: Pick<GeneratedSecretSpec, 'length' | 'alphabet'>, random: RandomBytes): string {
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
 * Makes a derived secret from its source: `bcrypt` is the bcrypt hash of the value. The pure core
 * cannot run bcrypt, so the browser passes one in (src/lib/adapters/deploy/keys.ts).
 */
export type DeriveSecret = (kind: 'bcrypt', value: string) => string;

/**
 * The app's secrets: existing values are kept as they are, missing ones are generated, and
 * missing derived ones are made with `derive` (left out without it). Secrets no longer declared
 * are dropped from the result; the setup gate's are declared for every app that has one
 * (first-start.ts), and its "installed before setup gates" mark is kept.
 */
export function ensureSecrets(
	manifest: Pick<AppManifest, 'secrets' | 'firstStart'>,
	existing: Record<string, string>,
	random: RandomBytes,
	derive?: DeriveSecret
): Record<string, string> {
	const out: Record<string, string> = {};
	const specs = secretSpecs(manifest);
	for (const spec of specs)
		if (spec.bcryptOf === undefined) out[spec.id] = existing[spec.id] ?? generateSecret(spec, random);
	for (const spec of specs) {
		if (spec.bcryptOf === undefined) continue;
		const made =
			existing[spec.id] ?? (derive && out[spec.bcryptOf] ? derive('bcrypt', out[spec.bcryptOf]!) : undefined);
		if (made !== undefined) out[spec.id] = made;
	}
	if (existing[SETUP_PREDATES_GATE] !== undefined && hasSetupGate(manifest))
		out[SETUP_PREDATES_GATE] = existing[SETUP_PREDATES_GATE];
	return out;
}

/** Derived secrets the app declares that are not made yet (the render refuses to go on without them). */
export function missingDerived(
	manifest: Pick<AppManifest, 'secrets' | 'firstStart'>,
	secrets: Record<string, string>
): string[] {
	return secretSpecs(manifest)
		.filter((s) => s.bcryptOf !== undefined && secrets[s.id] === undefined)
		.map((s) => s.id);
}
