import { describe, expect, it } from 'vitest';
import { hostError } from './host-errors.ts';

describe('git host errors', () => {
	const now = Date.UTC(2026, 0, 1, 12, 0, 0);
	it('maps statuses to plain codes', () => {
		expect(hostError('GitHub', { status: 401, doing: 'x' }).code).toBe('unauthorized');
		expect(hostError('GitHub', { status: 403, doing: 'x' }).code).toBe('forbidden');
		expect(hostError('GitHub', { status: 404, doing: 'x' }).code).toBe('not-found');
		expect(hostError('GitHub', { status: 503, doing: 'x' }).transient).toBe(true);
	});
	it('reads rate-limit resets from epoch seconds or retry-after', () => {
		const reset = hostError('GitHub', {
			status: 403,
			headers: { 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now / 1000 + 1800) },
			doing: 'saving',
			now
		});
		expect(reset).toMatchObject({ code: 'rate-limited', retryAfterMs: 1_800_000 });
		expect(reset.message).toContain('12:30 UTC');
		expect(hostError('GitLab', { status: 429, headers: { 'retry-after': '60' }, doing: 'x', now }).retryAfterMs).toBe(
			60_000
		);
	});
});
