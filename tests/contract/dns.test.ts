import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloudflareDns } from '../../src/lib/adapters/cloudflare/dns.ts';
import { DesecDns } from '../../src/lib/adapters/desec/dns.ts';
import { DigitalOceanDns } from '../../src/lib/adapters/digitalocean/dns.ts';
import { HetznerDns } from '../../src/lib/adapters/hetzner/dns.ts';
import { PowerDns } from '../../src/lib/adapters/powerdns/dns.ts';
import { letsEncryptCaa } from '../../src/lib/core/dns/names.ts';
import type { Fault } from '../../workers/sandbox/kit.ts';
import { createCloudflareFake } from '../../workers/sandbox/cloudflare/fake.ts';
import { createDesecFake } from '../../workers/sandbox/desec/fake.ts';
import { createDigitalOceanFake } from '../../workers/sandbox/digitalocean/fake.ts';
import { createHetznerFake } from '../../workers/sandbox/hetzner/fake.ts';
import { dnsContract } from './dns.contract.ts';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { SpecValidator, type Violation } from '../../workers/sandbox/openapi.ts';
import { faultyTransport, recorder, testOptions, TOKEN, validatingTransport } from './harness.ts';

/** PowerDNS's own OpenAPI document (committed copy of ../shared/specs/powerdns-authoritative-openapi.yaml). */
const pdnsSpec = new SpecValidator(
	parse(readFileSync('workers/sandbox/specs/powerdns-authoritative-openapi.yaml', 'utf8')),
	'/api/v1'
);
import { dig, powerDnsAvailable, startPowerDns, type RunningPowerDns } from './powerdns-server.ts';

dnsContract('deSEC', (rec) => {
	const fake = createDesecFake({ tokens: [TOKEN] });
	return {
		provider: new DesecDns(testOptions(fake.api, rec)),
		withToken: (t) => new DesecDns(testOptions(fake.api, rec, t)),
		addZone: (n) => void fake.addDomain(n),
		faults: fake.api.faults,
		violations: () => fake.api.violations,
		createMethod: 'PATCH'
	};
});

dnsContract('Cloudflare', (rec) => {
	const fake = createCloudflareFake({ tokens: [TOKEN] });
	return {
		provider: new CloudflareDns(testOptions(fake.api, rec)),
		withToken: (t) => new CloudflareDns(testOptions(fake.api, rec, t)),
		addZone: (n) => fake.addZone(n),
		faults: fake.api.faults,
		violations: () => fake.api.violations,
		createMethod: 'POST'
	};
});

dnsContract('DigitalOcean DNS', (rec) => {
	const fake = createDigitalOceanFake({ tokens: [TOKEN] });
	return {
		provider: new DigitalOceanDns(testOptions(fake.api, rec)),
		withToken: (t) => new DigitalOceanDns(testOptions(fake.api, rec, t)),
		addZone: (n) => fake.addDomain(n),
		faults: fake.api.faults,
		violations: () => fake.api.violations,
		createMethod: 'POST'
	};
});

dnsContract('Hetzner DNS', (rec) => {
	const fake = createHetznerFake({ tokens: [TOKEN] });
	const opts = (t?: string) => ({ ...testOptions(fake.api, rec, t), baseUrl: 'https://api.hetzner.cloud/v1' });
	return {
		provider: new HetznerDns(opts()),
		withToken: (t) => new HetznerDns(opts(t)),
		addZone: (n) => fake.addZone(n),
		faults: fake.api.faults,
		violations: () => fake.api.violations,
		createMethod: 'POST'
	};
});

describe.runIf(powerDnsAvailable())('PowerDNS (a real pdns_server on loopback)', () => {
	let server: RunningPowerDns;
	beforeAll(async () => {
		server = await startPowerDns();
	}, 30_000);
	afterAll(async () => {
		await server?.stop();
	});

	dnsContract('PowerDNS', async (rec) => {
		const faults: Fault[] = [];
		const violations: Violation[] = [];
		// Each test gets fresh zones by deleting the previous ones.
		const zones = await (
			await fetch(`${server.apiUrl}/api/v1/servers/localhost/zones`, { headers: { 'x-api-key': server.apiKey } })
		).json();
		for (const z of zones as { id: string }[])
			await fetch(`${server.apiUrl}/api/v1/servers/localhost/zones/${z.id}`, {
				method: 'DELETE',
				headers: { 'x-api-key': server.apiKey }
			});
		const make = (key: string) => {
			const o = testOptions({ client: () => (r: Request) => fetch(r) } as never, rec, key);
			return new PowerDns({
				...o,
				// A real server writing to sqlite on a busy machine: a fake's short timeout would misfire.
				retry: { ...o.retry, timeoutMs: 10_000 },
				apiKey: key,
				baseUrl: server.apiUrl,
				http: faultyTransport(
					// Debian's PowerDNS (4.7) answers with a few fields the current document does not list yet.
					validatingTransport(
						pdnsSpec,
						(r) => fetch(r),
						violations,
						(e) => /must NOT have additional properties$/.test(e)
					),
					faults
				)
			});
		};
		return {
			provider: make(server.apiKey),
			withToken: (t) => make(t),
			addZone: (n) => server.createZone(n),
			faults,
			violations: () => violations,
			createMethod: 'PATCH'
		};
	});

	it('serves what the adapter wrote: dig shows the records', async () => {
		const key = server.apiKey;
		await server.createZone('dig.example').catch(() => undefined);
		const p = new PowerDns({ apiKey: key, baseUrl: server.apiUrl });
		const zone = await p.findZone('photos.dig.example');
		await p.upsert(zone, { name: 'photos.dig.example', type: 'A', ttl: 300, values: ['192.0.2.10', '192.0.2.11'] });
		await p.upsert(zone, letsEncryptCaa('dig.example'));
		await p.upsert(zone, { name: 'www.dig.example', type: 'CNAME', ttl: 300, values: ['photos.dig.example'] });
		expect(dig(server.dnsPort, 'photos.dig.example', 'A').sort()).toEqual(['192.0.2.10', '192.0.2.11']);
		expect(dig(server.dnsPort, 'dig.example', 'CAA')).toEqual(['0 issue "letsencrypt.org"']);
		expect(dig(server.dnsPort, 'www.dig.example', 'CNAME')).toEqual(['photos.dig.example.']);
		await p.delete(zone, 'photos.dig.example', 'A');
		expect(dig(server.dnsPort, 'photos.dig.example', 'A')).toEqual([]);
	});
});

describe('Cloudflare as it really behaves', () => {
	it('finds a zone on the second page of zones (Cloudflare lists at most 50 a page)', async () => {
		const fake = createCloudflareFake({ tokens: [TOKEN] });
		for (let i = 0; i < 60; i++) fake.addZone(`zone-${String(i).padStart(2, '0')}.example`);
		const dns = new CloudflareDns(testOptions(fake.api, recorder()));
		expect((await dns.findZone('www.zone-57.example')).name).toBe('zone-57.example');
		expect(fake.api.violations).toEqual([]);
	});

	it('accepts an account-owned token, which the user token check does not know', async () => {
		const fake = createCloudflareFake({ tokens: [], accountTokens: ['account-owned-token'] });
		const dns = new CloudflareDns(testOptions(fake.api, recorder(), 'account-owned-token'));
		expect(await dns.verify()).toEqual({ account: 'Cloudflare account token' });
		await expect(dns.findZone('www.none.example')).rejects.toThrow(/None of the zones/);
	});

	it('still refuses a token Cloudflare does not know, with what to do', async () => {
		const fake = createCloudflareFake({ tokens: [TOKEN], accountTokens: ['account-owned-token'] });
		const dns = new CloudflareDns(testOptions(fake.api, recorder(), 'revoked-token'));
		const error = (await dns.verify().catch((e: unknown) => e)) as { code?: string; action?: string };
		expect(error.code).toBe('unauthorized');
		expect(error.action).toMatch(/token/i);
	});
});
