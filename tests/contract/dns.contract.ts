/**
 * One contract for every DnsProvider adapter: run against each adapter over its stateful fake
 * (validated against the provider's spec or documentation schema), and against a real
 * PowerDNS server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/lib/core/errors.ts';
import { canonicalRecordSet, letsEncryptCaa } from '../../src/lib/core/dns/names.ts';
import type { DnsProvider, RecordSet } from '../../src/lib/ports/dns.ts';
import type { Fault } from '../../workers/sandbox/kit.ts';
import type { Violation } from '../../workers/sandbox/openapi.ts';
import { recorder, type Recorder } from './harness.ts';

export interface DnsSetup {
	provider: DnsProvider;
	withToken(token: string): DnsProvider;
	addZone(name: string): Promise<void> | void;
	faults: Fault[];
	violations(): Violation[];
	/** The write method the adapter creates records with (for the lost-answer fault). */
	createMethod: string;
	cleanup?(): Promise<void>;
}

export function dnsContract(name: string, make: (rec: Recorder) => Promise<DnsSetup> | DnsSetup) {
	describe(`DnsProvider contract: ${name}`, () => {
		let s: DnsSetup;
		let rec: Recorder;

		beforeEach(async () => {
			rec = recorder();
			s = await make(rec);
			await s.addZone('example.org');
			await s.addZone('sub.example.org');
		});
		afterEach(async () => {
			expect(s.violations()).toEqual([]);
			await s.cleanup?.();
		});

		const find = async (zoneName: string, fqdn: string, type: string) => {
			const zone = await s.provider.findZone(zoneName);
			return (await s.provider.list(zone)).filter((r) => r.name === fqdn && r.type === type);
		};

		it('verifies the token', async () => {
			expect((await s.provider.verify()).account).toBeTruthy();
		});

		it('finds the zone by the longest suffix', async () => {
			expect((await s.provider.findZone('photos.sub.example.org')).name).toBe('sub.example.org');
			expect((await s.provider.findZone('photos.example.org')).name).toBe('example.org');
			expect((await s.provider.findZone('Example.ORG.')).name).toBe('example.org');
			const error = (await s.provider.findZone('photos.other.net').catch((e: unknown) => e)) as ProviderError;
			expect(error).toBeInstanceOf(ProviderError);
			expect(error.code).toBe('not-found');
		});

		it('upserting twice leaves one record set', async () => {
			const zone = await s.provider.findZone('photos.example.org');
			const record: RecordSet = { name: 'photos.example.org', type: 'A', ttl: 3600, values: ['203.0.113.7'] };
			await s.provider.upsert(zone, record);
			await s.provider.upsert(zone, record);
			const sets = await find('example.org', 'photos.example.org', 'A');
			expect(sets.map(canonicalRecordSet)).toEqual([canonicalRecordSet(record)]);
		});

		it('replaces values and TTL', async () => {
			const zone = await s.provider.findZone('photos.example.org');
			await s.provider.upsert(zone, {
				name: 'photos.example.org',
				type: 'A',
				ttl: 3600,
				values: ['203.0.113.7', '203.0.113.8']
			});
			await s.provider.upsert(zone, { name: 'photos.example.org', type: 'A', ttl: 7200, values: ['203.0.113.8'] });
			const [set] = await find('example.org', 'photos.example.org', 'A');
			expect(set?.values).toEqual(['203.0.113.8']);
			expect(set?.ttl).toBe(7200);
		});

		it("keeps CAA for Let's Encrypt, TXT and CNAME values exactly", async () => {
			const zone = await s.provider.findZone('example.org');
			const caa = letsEncryptCaa('example.org');
			const txt: RecordSet = {
				name: '_nassella.example.org',
				type: 'TXT',
				ttl: 3600,
				values: ['"deployment=abc \\"quoted\\" ok"']
			};
			const cname: RecordSet = { name: 'www.example.org', type: 'CNAME', ttl: 3600, values: ['photos.example.org'] };
			const apex: RecordSet = { name: 'example.org', type: 'AAAA', ttl: 3600, values: ['2001:db8::7'] };
			for (const r of [caa, txt, cname, apex]) await s.provider.upsert(zone, r);
			// Again: apex and special names take the update path too.
			for (const r of [caa, txt, cname, apex]) await s.provider.upsert(zone, r);
			const all = (await s.provider.list(zone)).map(canonicalRecordSet);
			for (const r of [caa, txt, cname, apex]) expect(all).toContainEqual(canonicalRecordSet(r));
			expect(all.find((r) => r.type === 'CAA')?.values).toEqual(['0 issue "letsencrypt.org"']);
		});

		it('deletes, and deleting again is not an error', async () => {
			const zone = await s.provider.findZone('photos.example.org');
			await s.provider.upsert(zone, { name: 'photos.example.org', type: 'A', ttl: 3600, values: ['203.0.113.7'] });
			await s.provider.delete(zone, 'photos.example.org', 'A');
			await s.provider.delete(zone, 'photos.example.org', 'A');
			expect(await find('example.org', 'photos.example.org', 'A')).toEqual([]);
		});

		it('maps a wrong token to "unauthorized" without leaking it', async () => {
			const wrong = 'wrong-token-99aa88bb77cc66dd55ee';
			const error = (await s
				.withToken(wrong)
				.verify()
				.catch((e: unknown) => e)) as ProviderError;
			expect(error).toBeInstanceOf(ProviderError);
			expect(error.code).toBe('unauthorized');
			expect(error.message + error.action).not.toContain(wrong);
		});

		it('waits as a 429 tells it to, then goes on', async () => {
			s.faults.push({ kind: 'rate-limit', method: 'GET', waitSeconds: 3 });
			await s.provider.findZone('example.org');
			// Retry-After says 3 s; an epoch reset header (Hetzner) says "at second N", so 2 to 3 s.
			expect(rec.waits.map((w) => w.reason)).toEqual(['rate-limited']);
			expect(rec.waits[0]!.ms).toBeGreaterThan(2000);
			expect(rec.waits[0]!.ms).toBeLessThanOrEqual(3000);
		});

		it('after a create whose answer was lost, a retry finds the record instead of making a second', async () => {
			const zone = await s.provider.findZone('photos.example.org');
			const record: RecordSet = { name: 'photos.example.org', type: 'A', ttl: 3600, values: ['203.0.113.9'] };
			s.faults.push({ kind: 'lost', method: s.createMethod });
			const first = await s.provider.upsert(zone, record).then(
				() => undefined,
				(e: unknown) => e as ProviderError
			);
			if (first) expect(first.code).toBe('network');
			await s.provider.upsert(zone, record);
			const sets = await find('example.org', 'photos.example.org', 'A');
			expect(sets).toHaveLength(1);
			expect(sets[0]!.values).toEqual(['203.0.113.9']);
		});
	});
}
