/** How the Hetzner fake speaks: its errors, rate-limit headers and quota answer, and the official spec it is checked against. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bearer, type Dialect } from '../kit.ts';
import { SpecValidator } from '../openapi.ts';
import { here } from '../specs/extract.ts';

export const hetznerDialect: Dialect = {
	name: 'Hetzner',
	token: bearer,
	error: (_status, code, message) => ({ error: { code: hetznerCode(code), message, details: {} } }),
	rateLimitHeaders: (remaining, limit, reset) => ({
		'RateLimit-Limit': String(limit),
		'RateLimit-Remaining': String(remaining),
		'RateLimit-Reset': String(reset)
	}),
	quota: {
		status: 403,
		body: { error: { code: 'resource_limit_exceeded', message: 'server limit exceeded', details: {} } }
	}
};

function hetznerCode(code: string): string {
	return (
		(
			{
				unauthorized: 'unauthorized',
				rate_limit_exceeded: 'rate_limit_exceeded',
				unavailable: 'unavailable',
				not_found: 'not_found',
				invalid_input: 'invalid_input'
			} as Record<string, string>
		)[code] ?? code
	);
}

let cachedValidator: SpecValidator | undefined;
export function hetznerValidator(): SpecValidator {
	cachedValidator ??= new SpecValidator(JSON.parse(readFileSync(join(here, 'hetzner.subset.json'), 'utf8')), '/v1');
	return cachedValidator;
}
