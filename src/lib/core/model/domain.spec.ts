import { describe, expect, it } from 'vitest';
import { domainProblem, isHostName, parseDomain } from './domain.ts';

describe('the domain rule', () => {
	it('explains a refused domain in plain words', () => {
		expect(domainProblem('example.org')).toBeUndefined();
		expect(domainProblem('example')).toMatch(/two parts/);
		expect(domainProblem('bad_name.org')).toMatch(
			/characters a domain cannot have\. Use only letters, digits, dots and dashes/
		);
		expect(domainProblem('example.b')).toMatch(/last part of a domain is a word/);
		expect(domainProblem('')).toMatch(/needed/);
	});

	it('accepts international names, written in punycode', () => {
		expect(domainProblem('пример.рф')).toBeUndefined();
		expect(parseDomain('пример.рф').ascii).toBe('xn--e1afmkfd.xn--p1ai');
		expect(parseDomain('xn--e1afmkfd.xn--p1ai').unicode).toBe('пример.рф');
	});

	it('knows a host name already in the written form', () => {
		expect(isHostName('photos.xn--bcher-kva.example')).toBe(true);
		expect(isHostName('photos.bücher.example')).toBe(false);
		expect(isHostName('Photos.example.org')).toBe(false);
		expect(isHostName('photos.example.org.')).toBe(false);
		expect(isHostName('photos.example.b')).toBe(false);
	});
});
