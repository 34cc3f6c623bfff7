import { describe, expect, it } from 'vitest';
import { checkPassphrase } from './strength.ts';

describe('passphrase strength', () => {
	it.each([
		['', /Enter a passphrase/],
		['Tr0ub4dor&3', /at least 12 characters/],
		['password1234', /common passwords/],
		['qwertyuiop123', /common passwords|keyboard/],
		['aaaaaaaaaaaaaaaa', /same few characters/],
		['abcdefghijklmnop', /keyboard rows|common/],
		['Password2024!!', /common passwords|years/],
		['correct horse battery staple', /common passwords/],
		['nassella nassella', /same few|common/]
	])('refuses %j with a reason', (pass, reason) => {
		const result = checkPassphrase(pass);
		expect(result.ok).toBe(false);
		expect(result.reason).toMatch(reason);
	});

	it.each([
		'lantern quartz meadow 1987 ferry',
		'velvet anchor pistachio kite',
		'G7#kq2!vLz9@Xw',
		'Ωmega-βeta-γamma-δelta'
	])('accepts %j', (pass) => {
		const result = checkPassphrase(pass);
		expect(result.ok, result.reason).toBe(true);
		expect(result.score).toBeGreaterThanOrEqual(3);
	});

	it('never repeats the passphrase in its reason', () => {
		for (const pass of ['short1', 'password1234', 'mysecretvalue'])
			expect(checkPassphrase(pass).reason).not.toContain(pass);
	});
});
