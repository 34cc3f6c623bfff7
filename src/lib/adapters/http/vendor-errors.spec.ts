/** Each provider's error answers map once into the shared codes, in plain words, without secrets. */
import { describe, expect, it } from 'vitest';
import { cloudflareErrors } from '../cloudflare/errors.ts';
import { desecErrors } from '../desec/errors.ts';
import { digitalOceanErrors } from '../digitalocean/errors.ts';
import { hetznerErrors } from '../hetzner/errors.ts';
import { powerDnsErrors } from '../powerdns/errors.ts';
import type { VendorErrors } from './chain.ts';

const SECRET = 'dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef';
const cases: [VendorErrors, number, unknown, string][] = [
	[digitalOceanErrors, 401, { id: 'unauthorized', message: 'Unable to authenticate you' }, 'unauthorized'],
	[digitalOceanErrors, 403, { id: 'forbidden', message: 'You do not have access' }, 'forbidden'],
	[
		digitalOceanErrors,
		422,
		{ id: 'unprocessable_entity', message: 'creating this/these droplet(s) will exceed your droplet limit' },
		'quota'
	],
	[
		digitalOceanErrors,
		422,
		{ id: 'unprocessable_entity', message: 'SSH Key is already in use on your account' },
		'conflict'
	],
	[digitalOceanErrors, 422, { id: 'unprocessable_entity', message: `bad size near ${SECRET}` }, 'invalid'],
	[digitalOceanErrors, 429, { id: 'too_many_requests', message: 'API Rate limit exceeded.' }, 'rate-limited'],
	[digitalOceanErrors, 503, { id: 'service_unavailable', message: 'x' }, 'unavailable'],
	[hetznerErrors, 401, { error: { code: 'unauthorized', message: 'unable to authenticate' } }, 'unauthorized'],
	[hetznerErrors, 403, { error: { code: 'token_readonly', message: 'The token is read-only' } }, 'forbidden'],
	[hetznerErrors, 403, { error: { code: 'resource_limit_exceeded', message: 'limit' } }, 'quota'],
	[hetznerErrors, 409, { error: { code: 'uniqueness_error', message: 'name is already used' } }, 'conflict'],
	[hetznerErrors, 412, { error: { code: 'resource_unavailable', message: 'no capacity' } }, 'unavailable'],
	[hetznerErrors, 429, { error: { code: 'rate_limit_exceeded', message: 'limit' } }, 'rate-limited'],
	[hetznerErrors, 404, { error: { code: 'not_found', message: 'x' } }, 'not-found'],
	[hetznerErrors, 400, { error: { code: 'invalid_input', message: 'invalid input in field name' } }, 'invalid'],
	[desecErrors, 401, { detail: 'Invalid token.' }, 'unauthorized'],
	[
		desecErrors,
		403,
		{ detail: 'Domain limit exceeded. Please contact support to create additional domains.' },
		'quota'
	],
	[desecErrors, 400, { name: ['This domain name conflicts with an existing domain.'] }, 'conflict'],
	[desecErrors, 400, [{ ttl: ['Ensure this value is greater than or equal to 3600.'] }], 'invalid'],
	[desecErrors, 429, { detail: 'Request was throttled.' }, 'rate-limited'],
	[
		cloudflareErrors,
		400,
		{ success: false, errors: [{ code: 10000, message: 'Authentication error' }] },
		'unauthorized'
	],
	[
		cloudflareErrors,
		403,
		{ success: false, errors: [{ code: 9109, message: 'Unauthorized to access requested resource' }] },
		'forbidden'
	],
	[cloudflareErrors, 400, { success: false, errors: [{ code: 81045, message: 'Record quota exceeded.' }] }, 'quota'],
	[
		cloudflareErrors,
		400,
		{ success: false, errors: [{ code: 81058, message: 'An identical record already exists.' }] },
		'conflict'
	],
	[cloudflareErrors, 429, { success: false, errors: [{ code: 971, message: 'Please wait' }] }, 'rate-limited'],
	[powerDnsErrors, 401, undefined, 'unauthorized'],
	[powerDnsErrors, 422, { error: 'RRset test.example.org. IN A: Conflicts with pre-existing RRset' }, 'invalid'],
	[powerDnsErrors, 404, { error: 'Could not find domain' }, 'not-found']
];

describe('vendor error maps', () => {
	it.each(cases)('%#: maps to the shared code with a plain message and an action', (vendor, status, body, code) => {
		const e = vendor.map(status, body, new Headers(), status === 429 ? 5000 : undefined);
		expect(e.code).toBe(code);
		expect(e.message.length).toBeGreaterThan(10);
		expect(e.action.length).toBeGreaterThan(10);
		expect(e.message + e.action).not.toContain(SECRET);
		if (code === 'rate-limited') expect(e.retryAfterMs).toBe(5000);
	});
});
