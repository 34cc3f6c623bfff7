/** How the DigitalOcean fake speaks: its errors, rate-limit headers and quota answer, and the official spec it is checked against. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { bearer, type Dialect } from '../kit.ts';
import { SpecValidator } from '../openapi.ts';
import { here } from '../specs/extract.ts';

export const digitalOceanDialect: Dialect = {
	name: 'DigitalOcean',
	token: bearer,
	error: (_status, code, message) => ({ id: code, message, request_id: crypto.randomUUID() }),
	rateLimitHeaders: (remaining, limit, reset, wait) => ({
		'ratelimit-limit': String(limit),
		'ratelimit-remaining': String(remaining),
		'ratelimit-reset': String(reset),
		...(wait !== undefined ? { 'retry-after': String(wait) } : {})
	}),
	quota: {
		status: 422,
		body: {
			id: 'unprocessable_entity',
			message: 'creating this/these droplet(s) will exceed your droplet limit',
			request_id: crypto.randomUUID()
		}
	}
};

let cachedValidator: SpecValidator | undefined;
export function digitalOceanValidator(): SpecValidator {
	cachedValidator ??= new SpecValidator(JSON.parse(readFileSync(join(here, 'digitalocean.subset.json'), 'utf8')));
	return cachedValidator;
}
