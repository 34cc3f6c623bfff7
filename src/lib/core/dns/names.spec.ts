import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
	canonicalValue,
	isValidHostname,
	letsEncryptCaa,
	longestSuffixZone,
	parseCaa,
	relativeName,
	sameValues,
	txtPresentation,
	txtText
} from './names.ts';

describe('DNS names and values', () => {
	it('picks the zone by the longest suffix, on label boundaries', () => {
		const zones = [
			{ id: '1', name: 'example.org' },
			{ id: '2', name: 'sub.example.org' },
			{ id: '3', name: 'ample.org' }
		];
		expect(longestSuffixZone('a.sub.example.org', zones)?.id).toBe('2');
		expect(longestSuffixZone('Sub.Example.org.', zones)?.id).toBe('2');
		expect(longestSuffixZone('b.example.org', zones)?.id).toBe('1');
		expect(longestSuffixZone('xample.org', zones)).toBeUndefined();
		expect(relativeName('a.sub.example.org', { name: 'example.org' })).toBe('a.sub');
		expect(relativeName('example.org', { name: 'example.org' })).toBe('');
		expect(() => relativeName('other.net', { name: 'example.org' })).toThrow();
	});

	it("writes CAA for Let's Encrypt and reads CAA in any spacing", () => {
		expect(letsEncryptCaa('Photos.Example.org.').values).toEqual(['0 issue "letsencrypt.org"']);
		expect(parseCaa('128  issuewild   letsencrypt.org')).toEqual({
			flags: 128,
			tag: 'issuewild',
			value: 'letsencrypt.org'
		});
	});

	it('round-trips TXT text through the presentation form', () => {
		fc.assert(
			fc.property(fc.string({ maxLength: 600 }), (text) => {
				expect(txtText(txtPresentation(text))).toBe(text);
			})
		);
		expect(canonicalValue('TXT', 'plain')).toBe('"plain"');
		expect(sameValues('CNAME', ['Target.example.org.'], ['target.example.org'])).toBe(true);
	});

	it('accepts host names and refuses hostile ones', () => {
		expect(isValidHostname('photos.example.org')).toBe(true);
		expect(isValidHostname('a..b')).toBe(false);
		expect(isValidHostname('-bad.example')).toBe(false);
		expect(isValidHostname('x'.repeat(64) + '.org')).toBe(false);
		expect(isValidHostname('evil.org/../x')).toBe(false);
	});
});
