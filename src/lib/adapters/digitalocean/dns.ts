/**
 * DigitalOcean DNS as a DnsProvider. DigitalOcean keeps one record per value, so an upsert
 * reconciles: it keeps matching records, updates the TTL, adds what is missing and removes
 * what is left over.
 */
import { ProviderError } from '../../core/errors.ts';
import {
	absoluteName,
	canonicalValue,
	formatCaa,
	groupRecords,
	longestSuffixZone,
	normalizeName,
	parseCaa,
	relativeName,
	txtPresentation,
	txtText
} from '../../core/dns/names.ts';
import type { DnsProvider, RecordSet, RecordType, Zone } from '../../ports/dns.ts';
import type { JsonApi } from '../http/chain.ts';
import { digitalOceanApi, listAll, type DigitalOceanOptions } from './api.ts';

interface DoRecord {
	id: number;
	type: string;
	name: string;
	data: string;
	ttl: number;
	flags?: number | null;
	tag?: string | null;
}

function toValue(r: DoRecord): string {
	if (r.type === 'CAA') return formatCaa({ flags: r.flags ?? 0, tag: r.tag ?? 'issue', value: r.data });
	if (r.type === 'TXT') return txtPresentation(r.data);
	return r.data;
}

function toBody(name: string, type: RecordType, ttl: number, value: string) {
	const base = { type, name: name || '@', ttl: Math.max(30, ttl) };
	if (type === 'CAA') {
		const c = parseCaa(value);
		return { ...base, data: c.value, flags: c.flags, tag: c.tag };
	}
	if (type === 'TXT') return { ...base, data: txtText(value) };
	if (type === 'CNAME') return { ...base, data: normalizeName(value) + '.' };
	return { ...base, data: value };
}

export class DigitalOceanDns implements DnsProvider {
	readonly id: string;
	readonly displayName: string;
	private readonly api: JsonApi;

	constructor(options: DigitalOceanOptions & { id?: string; displayName?: string }) {
		this.api = digitalOceanApi(options);
		this.id = options.id ?? 'digitalocean-dns';
		this.displayName = options.displayName ?? 'DigitalOcean DNS';
	}

	async verify() {
		const { data } = await this.api.call<{ account: { email: string } }>('GET', '/v2/account');
		return { account: data.account.email };
	}

	async findZone(fqdn: string): Promise<Zone> {
		const domains = await listAll<{ name: string }>(this.api, '/v2/domains', 'domains');
		const zone = longestSuffixZone(
			fqdn,
			domains.map((d) => ({ id: d.name, name: normalizeName(d.name) }))
		);
		if (!zone)
			throw new ProviderError({
				code: 'not-found',
				provider: 'DigitalOcean',
				message: `No domain in this DigitalOcean account holds ${normalizeName(fqdn)}.`,
				action: 'Add the domain under Networking → Domains in DigitalOcean, or pick another DNS provider.'
			});
		return zone;
	}

	private async records(zone: Zone, name?: string, type?: RecordType): Promise<DoRecord[]> {
		const query: Record<string, string> = {};
		if (name !== undefined) query.name = normalizeName(name);
		if (type) query.type = type;
		return listAll<DoRecord>(this.api, `/v2/domains/${encodeURIComponent(zone.id)}/records`, 'domain_records', query);
	}

	async list(zone: Zone): Promise<RecordSet[]> {
		const recs = await this.records(zone);
		return groupRecords(
			recs.map((r) => ({
				name: absoluteName(r.name === '@' ? '' : r.name, zone),
				type: r.type,
				ttl: r.ttl,
				value: toValue(r)
			}))
		);
	}

	async upsert(zone: Zone, record: RecordSet): Promise<void> {
		const rel = relativeName(record.name, zone);
		const existing = await this.records(zone, record.name, record.type);
		const wanted = new Map(record.values.map((v) => [canonicalValue(record.type, v), v]));
		const base = `/v2/domains/${encodeURIComponent(zone.id)}/records`;
		const seen = new Set<string>();
		for (const r of existing) {
			const key = canonicalValue(record.type, toValue(r));
			if (wanted.has(key) && !seen.has(key)) {
				seen.add(key);
				if (r.ttl !== Math.max(30, record.ttl))
					await this.api.call('PUT', `${base}/${r.id}`, {
						body: toBody(rel, record.type, record.ttl, wanted.get(key)!)
					});
			} else await this.deleteRecord(`${base}/${r.id}`);
		}
		for (const [key, value] of wanted)
			if (!seen.has(key)) await this.api.call('POST', base, { body: toBody(rel, record.type, record.ttl, value) });
	}

	private async deleteRecord(path: string) {
		try {
			await this.api.call('DELETE', path);
		} catch (error) {
			if (!(error instanceof ProviderError && error.code === 'not-found')) throw error;
		}
	}

	async delete(zone: Zone, name: string, type: RecordType): Promise<void> {
		const base = `/v2/domains/${encodeURIComponent(zone.id)}/records`;
		for (const r of await this.records(zone, name, type)) await this.deleteRecord(`${base}/${r.id}`);
	}
}
