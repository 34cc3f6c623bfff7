import { describe, expect, it } from 'vitest';
import { clampWithJitter, parseReset, parseRetryAfter, waitFromHeaders } from './wait.ts';

const now = Date.parse('2026-11-25T12:00:00Z');

describe('provider wait headers', () => {
	it('reads Retry-After as seconds or as an HTTP-date', () => {
		expect(parseRetryAfter('20', now)).toBe(20_000);
		expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
		expect(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now)).toBe(0);
		expect(parseRetryAfter('soon', now)).toBeUndefined();
		expect(parseRetryAfter(null, now)).toBeUndefined();
	});

	it("reads reset headers with each provider's meaning, and any value above 10^9 as an epoch", () => {
		expect(parseReset(String(now / 1000 + 45), 'epoch', now)).toBe(45_000);
		expect(parseReset('45', 'seconds', now)).toBe(45_000);
		expect(parseReset(String(now / 1000 + 45), 'seconds', now)).toBe(45_000);
		expect(parseReset('x', 'epoch', now)).toBeUndefined();
	});

	it('prefers Retry-After over a reset header', () => {
		const rule = { resetHeaders: ['ratelimit-reset'], resetMeaning: 'epoch' as const };
		expect(
			waitFromHeaders(new Headers({ 'retry-after': '3', 'ratelimit-reset': String(now / 1000 + 60) }), rule, now)
		).toBe(3000);
		expect(waitFromHeaders(new Headers({ 'RateLimit-Reset': String(now / 1000 + 60) }), rule, now)).toBe(60_000);
		expect(waitFromHeaders(new Headers(), rule, now)).toBeUndefined();
	});

	it('clamps and adds bounded jitter', () => {
		expect(clampWithJitter(120_000, 60_000, 0.2, () => 0)).toBe(60_000);
		expect(clampWithJitter(10_000, 60_000, 0.2, () => 1)).toBe(12_000);
		expect(clampWithJitter(-5, 60_000, 0.2, () => 0.5)).toBe(0);
	});
});
