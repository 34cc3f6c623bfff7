import { describe, expect, it } from 'vitest';
import { codeForStatus, isRateLimited } from './errors.ts';

describe('codeForStatus', () => {
	it('maps each status to one code, the same for every adapter', () => {
		const cases: [number, string][] = [
			[400, 'invalid'],
			[401, 'unauthorized'],
			[403, 'forbidden'],
			[404, 'not-found'],
			[409, 'conflict'],
			[416, 'invalid'],
			[422, 'invalid'],
			[429, 'rate-limited'],
			[500, 'unavailable'],
			[503, 'unavailable'],
			[302, 'unexpected'],
			[418, 'unexpected']
		];
		for (const [status, code] of cases) expect([status, codeForStatus(status)]).toEqual([status, code]);
	});

	it('reads a 403 that says the request budget is spent as a rate limit', () => {
		expect(codeForStatus(403, { 'x-ratelimit-remaining': '0' })).toBe('rate-limited');
		expect(codeForStatus(403, { 'retry-after': '60' })).toBe('rate-limited');
		expect(codeForStatus(403, { 'x-ratelimit-remaining': '12' })).toBe('forbidden');
		expect(isRateLimited(429)).toBe(true);
		expect(isRateLimited(403)).toBe(false);
	});
});
