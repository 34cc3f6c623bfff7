/**
 * The propagation check against a local stand-in of the public DoH JSON resolvers, answering
 * from the deSEC fake's state (what deSEC's name servers would publish).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DesecDns } from '../../src/lib/adapters/desec/dns.ts';
import { checkPropagation, PUBLIC_DOH, resolve, waitForPropagation } from '../../src/lib/adapters/doh/propagation.ts';
import { letsEncryptCaa } from '../../src/lib/core/dns/names.ts';
import { createDesecFake } from '../../workers/sandbox/desec/fake.ts';
import { dohHandler } from '../../workers/sandbox/doh.ts';
import { recorder, testOptions, TOKEN } from './harness.ts';

describe('propagation check through DNS-over-HTTPS (local stand-in)', () => {
	const fake = createDesecFake({ tokens: [TOKEN] });
	let hidden = false;
	let server: Server;
	let base = '';
	const requests: string[] = [];
	beforeAll(async () => {
		server = createServer((req, res) => {
			requests.push(req.url ?? '');
			if (req.headers.accept !== 'application/dns-json') return void res.writeHead(415).end();
			dohHandler((n, t) => (hidden ? undefined : fake.lookup(n, t)))(req, res);
		});
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	afterAll(() => new Promise<void>((r) => server.close(() => r())));

	// The public endpoints, sent to the stand-in instead (injectable HTTP).
	const http = (request: Request) => {
		const u = new URL(request.url);
		return fetch(new Request(`${base}/${u.host}${u.pathname}${u.search}`, request));
	};

	it('counts a record live only when every resolver returns all its values', async () => {
		fake.addDomain('example.org');
		const dns = new DesecDns(testOptions(fake.api, recorder()));
		const zone = await dns.findZone('example.org');
		const a = { name: 'photos.example.org', type: 'A' as const, ttl: 3600, values: ['203.0.113.5', '203.0.113.6'] };
		expect((await checkPropagation(a, { http })).live).toBe(false);
		await dns.upsert(zone, { ...a, values: ['203.0.113.5'] });
		const partial = await checkPropagation(a, { http });
		expect(partial.live).toBe(false);
		expect(partial.seen.Cloudflare).toEqual(['203.0.113.5']);
		await dns.upsert(zone, a);
		expect((await checkPropagation(a, { http })).live).toBe(true);
		await dns.upsert(zone, letsEncryptCaa('example.org'));
		expect((await checkPropagation(letsEncryptCaa('example.org'), { http })).live).toBe(true);
		expect(requests.some((r) => r.startsWith('/cloudflare-dns.com/dns-query?name=photos.example.org&type=A'))).toBe(
			true
		);
		expect(requests.some((r) => r.startsWith('/dns.google/resolve?'))).toBe(true);
	});

	it('reads CAA answers in the generic RFC 3597 form', async () => {
		const generic = async () =>
			new Response(
				JSON.stringify({
					Status: 0,
					Answer: [
						{
							name: 'example.org.',
							type: 257,
							TTL: 300,
							data: '\\# 22 00 05 69 73 73 75 65 6c 65 74 73 65 6e 63 72 79 70 74 2e 6f 72 67'
						}
					]
				})
			);
		expect(await resolve(PUBLIC_DOH[0]!, 'example.org', 'CAA', { http: generic })).toEqual([
			'0 issue "letsencrypt.org"'
		]);
	});

	it('waits until the record appears, within a bounded number of checks', async () => {
		hidden = true;
		const record = { name: 'photos.example.org', type: 'A' as const, ttl: 3600, values: ['203.0.113.5'] };
		let checks = 0;
		const result = await waitForPropagation(record, {
			http,
			intervalMs: 1,
			timeoutMs: 1000,
			sleep: async () => {
				checks++;
				if (checks === 3) hidden = false;
			}
		});
		expect(result.live).toBe(true);
		expect(checks).toBe(3);
		hidden = true;
		const never = await waitForPropagation(record, {
			http,
			intervalMs: 100,
			timeoutMs: 300,
			sleep: async () => undefined
		});
		expect(never.live).toBe(false);
		hidden = false;
	});
});
