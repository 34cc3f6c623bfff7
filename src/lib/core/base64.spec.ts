import { describe, expect, it } from 'vitest';
import { fromBase64, fromBase64OrThrow, toBase64 } from './base64.ts';

describe('base64', () => {
	it('round-trips bytes of every value and of lengths around the padding', () => {
		const all = Uint8Array.from({ length: 256 }, (_, i) => i);
		for (const n of [0, 1, 2, 3, 4, 5, 256]) {
			const bytes = all.subarray(0, n);
			expect(fromBase64(toBase64(bytes))).toEqual(Uint8Array.from(bytes));
		}
	});

	it('agrees with Node on large input (past one chunk of characters)', () => {
		const big = Uint8Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff);
		expect(toBase64(big)).toBe(Buffer.from(big).toString('base64'));
	});

	it('refuses anything but padded standard base64', () => {
		for (const bad of ['A', 'AB=', 'A===', '====', 'AB-_', 'AB==AB==', 'AB CD', 'QUJD\n']) {
			expect(fromBase64(bad)).toBeUndefined();
			expect(() => fromBase64OrThrow(bad)).toThrow('Not valid base64.');
		}
		expect(fromBase64('')).toEqual(new Uint8Array());
		expect(fromBase64OrThrow('QUJD')).toEqual(new TextEncoder().encode('ABC'));
	});
});
