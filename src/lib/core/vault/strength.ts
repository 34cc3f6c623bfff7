/**
 * Passphrase strength: a small, conservative estimate of how many guesses an attacker
 * with the export file would need, with a plain reason when it is too weak.
 *
 * It looks for the patterns guessing tools try first (common passwords, keyboard rows,
 * runs, repeats, dates, the app's own name) and counts what is left by its character
 * classes. It errs on the side of "too weak": the export is protected by this
 * passphrase alone.
 */

export interface Strength {
	ok: boolean;
	/** 0 (very weak) to 4 (strong). */
	score: 0 | 1 | 2 | 3 | 4;
	/** Estimated bits of guessing work. */
	bits: number;
	/** Why it is refused, or a short word of praise. */
	reason: string;
}

export const MIN_LENGTH = 12;
export const MIN_BITS = 50;

/** Frequent passwords and fragments (lower case). A match costs an attacker almost nothing. */
const COMMON = [
	'password',
	'passw0rd',
	'p@ssw0rd',
	'pass',
	'qwerty',
	'qwertz',
	'azerty',
	'asdf',
	'zxcv',
	'letmein',
	'iloveyou',
	'love',
	'admin',
	'welcome',
	'monkey',
	'dragon',
	'football',
	'baseball',
	'soccer',
	'sunshine',
	'princess',
	'master',
	'shadow',
	'trustno1',
	'abc',
	'secret',
	'changeme',
	'login',
	'hello',
	'freedom',
	'whatever',
	'starwars',
	'superman',
	'batman',
	'michael',
	'jessica',
	'charlie',
	'summer',
	'winter',
	'spring',
	'autumn',
	'flower',
	'hunter',
	'ninja',
	'mustang',
	'access',
	'master',
	'killer',
	'pepper',
	'cheese',
	'computer',
	'internet',
	'server',
	'google',
	'apple',
	'nassella',
	'vault',
	'secure',
	'security',
	'correct',
	'horse',
	'battery',
	'staple',
	'test',
	'user',
	'root',
	'default',
	'mypassword',
	'passphrase',
	'iloveu',
	'forever',
	'friends',
	'family',
	'london',
	'berlin',
	'paris',
	'january',
	'february',
	'december'
];

const ROWS = [
	'qwertyuiopasdfghjklzxcvbnm',
	'azertyuiopqsdfghjklmwxcvbn',
	'qwertzuiopasdfghjklyxcvbnm',
	'1234567890',
	'abcdefghijklmnopqrstuvwxyz'
];

function charsetSize(text: string): number {
	let size = 0;
	if (/[a-z]/.test(text)) size += 26;
	if (/[A-Z]/.test(text)) size += 26;
	if (/[0-9]/.test(text)) size += 10;
	if (/ /.test(text)) size += 1;
	if (/[!-/:-@[-`{-~]/.test(text)) size += 33;
	if (/[^\x20-\x7e]/.test(text)) size += 100;
	return Math.max(size, 1);
}

/** Length of a keyboard-row or alphabet run (forwards or backwards) starting at i. */
function runLength(lower: string, i: number): number {
	let best = 1;
	for (const row of ROWS) {
		for (const seq of [row, [...row].reverse().join('')]) {
			const at = seq.indexOf(lower[i]!);
			if (at < 0) continue;
			let n = 1;
			while (i + n < lower.length && seq[at + n] === lower[i + n]) n++;
			best = Math.max(best, n);
		}
	}
	return best;
}

function repeatLength(lower: string, i: number): number {
	let n = 1;
	while (i + n < lower.length && lower[i + n] === lower[i]) n++;
	return n;
}

function commonLength(lower: string, i: number): number {
	let best = 0;
	for (const word of COMMON) if (word.length > best && lower.startsWith(word, i)) best = word.length;
	return best;
}

/**
 * Estimated bits: patterns cost a few bits each, everything else costs log2 of the
 * character set per character.
 */
export function estimateBits(passphrase: string): { bits: number; patterned: number } {
	const lower = passphrase.toLowerCase();
	const perChar = Math.log2(charsetSize(passphrase));
	let bits = 0;
	let patterned = 0;
	let i = 0;
	while (i < lower.length) {
		const common = commonLength(lower, i);
		const run = runLength(lower, i);
		const repeat = repeatLength(lower, i);
		const year = /^(19|20)\d\d/.test(lower.slice(i)) ? 4 : 0;
		const longest = Math.max(common, run >= 3 ? run : 0, repeat >= 3 ? repeat : 0, year);
		if (longest > 0) {
			// A guesser tries these early: a small fixed cost, plus a little for capitals.
			bits += common === longest ? 8 : year === longest ? 7 : 4 + Math.log2(longest);
			if (/[A-Z]/.test(passphrase.slice(i, i + longest))) bits += 1;
			patterned += longest;
			i += longest;
		} else {
			bits += perChar;
			i++;
		}
	}
	return { bits: Math.round(bits), patterned };
}

export function checkPassphrase(passphrase: string): Strength {
	const length = [...passphrase].length;
	if (length === 0) return { ok: false, score: 0, bits: 0, reason: 'Enter a passphrase.' };
	const { bits, patterned } = estimateBits(passphrase);
	const score = (bits < 28 ? 0 : bits < 40 ? 1 : bits < MIN_BITS ? 2 : bits < 70 ? 3 : 4) as Strength['score'];
	if (length < MIN_LENGTH)
		return {
			ok: false,
			score: Math.min(score, 1) as Strength['score'],
			bits,
			reason: `Use at least ${MIN_LENGTH} characters (this one has ${length}). Four unrelated words work well.`
		};
	if (new Set(passphrase.toLowerCase()).size < 5)
		return {
			ok: false,
			score: 0,
			bits,
			reason: 'It repeats the same few characters. Use more different words or characters.'
		};
	if (bits < MIN_BITS) {
		const reason =
			patterned > length / 2
				? 'It is built from common passwords, keyboard rows, repeats or years, which are guessed first. Add unrelated words.'
				: 'It is too short for the kinds of characters it uses. Add another word or two.';
		return { ok: false, score, bits, reason };
	}
	return { ok: true, score, bits, reason: score === 4 ? 'Strong passphrase.' : 'Good passphrase.' };
}
