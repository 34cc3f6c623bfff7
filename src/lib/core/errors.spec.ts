import { describe, expect, it } from 'vitest';
import {
	codeForStatus,
	describeError,
	isRateLimited,
	MissingSecretError,
	PlainError,
	ProviderError
} from './errors.ts';
import { WrongPassphraseError } from './vault/errors.ts';

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

describe('describeError', () => {
	it('shows typed errors as they are: provider errors, plain errors, vault errors', () => {
		const provider = new ProviderError({
			code: 'forbidden',
			provider: 'GitHub',
			message: 'GitHub refused it.',
			action: 'Create a new token.'
		});
		expect(describeError(provider)).toEqual({
			code: 'forbidden',
			provider: 'GitHub',
			message: 'GitHub refused it.',
			action: 'Create a new token.'
		});
		expect(describeError(new PlainError('No move was started.', 'Start it again.', 'not-found'))).toEqual({
			code: 'not-found',
			message: 'No move was started.',
			action: 'Start it again.'
		});
		expect(describeError(new MissingSecretError('The password is not in your vault.'))).toMatchObject({
			code: 'missing-secret',
			action: 'Import the newest export of your vault on this device.'
		});
		expect(describeError(new WrongPassphraseError())).toMatchObject({ code: 'wrong-passphrase' });
	});

	it('never shows the text of an untyped error: it could hold a token or an address', () => {
		const leaky = new Error('GET https://user:tok3n@example.com/?token=abc failed');
		const shown = describeError(leaky);
		expect(JSON.stringify(shown)).not.toMatch(/tok3n|token=|example\.com/);
		expect(shown.code).toBe('unexpected');
		expect(describeError('a string', { message: 'The logs could not be read.', action: 'Try again.' })).toEqual({
			code: 'unexpected',
			message: 'The logs could not be read.',
			action: 'Try again.'
		});
		expect(describeError(Object.assign(new Error('raw'), { action: '' })).message).not.toBe('raw');
	});
});
