/** Hetzner DNS (zones and rrsets in the Cloud API) as a DnsProvider, through the proxy. */
import { ProviderError } from '../../core/errors.ts';
import {
	absoluteName,
	canonicalValue,
	isRecordType,
	longestSuffixZone,
	normalizeName,
	relativeName,
	sameValues,
	withTrailingDot
} from '../../core/dns/names.ts';
import type { DnsProvider, RecordSet, RecordType, Zone } from '../../ports/dns.ts';
import type { JsonApi } from '../http/chain.ts';
import { hetznerApi, listAll, type HetznerOptions } from './api.ts';

interface HRRSet {
	name: string;
	type: string;
	ttl: number | null;
	records: { value: string }[];
}

export class HetznerDns implements DnsProvider {
	readonly id: string;
	readonly displayName: string;
	private readonly api: JsonApi;

	constructor(options: HetznerOptions & { id?: string; displayName?: string }) {
		this.api = hetznerApi(options);
		this.id = options.id ?? 'hetzner-dns';
		this.displayName = options.displayName ?? 'Hetzner DNS';
	}

	async verify() {
		await this.api.call('GET', '/zones', { query: { per_page: 1 } });
		return { account: 'Hetzner Cloud project' };
	}

	async findZone(fqdn: string): Promise<Zone> {
		const zones = await listAll<{ id: number; name: string }>(this.api, '/zones', 'zones');
		const zone = longestSuffixZone(
			fqdn,
			zones.map((z) => ({ id: String(z.id), name: normalizeName(z.name) }))
		);
		if (!zone)
			throw new ProviderError({
				code: 'not-found',
				provider: 'Hetzner',
				message: `No DNS zone in this Hetzner project holds ${normalizeName(fqdn)}.`,
				action:
					'Create the zone under DNS in the Hetzner console (same project as the token), or pick another DNS provider.'
			});
		return zone;
	}

	private path(zone: Zone, name?: string, type?: RecordType) {
		const base = `/zones/${encodeURIComponent(zone.id)}/rrsets`;
		if (name === undefined) return base;
		// "@" stays literal: Hetzner takes it as is, and the relay refuses encoded "@" (%40).
		return `${base}/${encodeURIComponent(relativeName(name, zone) || '@').replace(/%40/g, '@')}/${type}`;
	}

	async list(zone: Zone): Promise<RecordSet[]> {
		const sets = await listAll<HRRSet>(this.api, this.path(zone), 'rrsets');
		return sets
			.filter((s) => isRecordType(s.type))
			.map((s) => ({
				name: absoluteName(s.name, zone),
				type: s.type as RecordType,
				ttl: s.ttl ?? 3600,
				values: s.records.map((r) => canonicalValue(s.type as RecordType, r.value))
			}));
	}

	private async get(zone: Zone, name: string, type: RecordType): Promise<HRRSet | undefined> {
		try {
			return (await this.api.call<{ rrset: HRRSet }>('GET', this.path(zone, name, type))).data.rrset;
		} catch (error) {
			if (error instanceof ProviderError && error.code === 'not-found') return undefined;
			throw error;
		}
	}

	async upsert(zone: Zone, record: RecordSet): Promise<void> {
		const records = record.values.map((v) => ({ value: withTrailingDot(record.type, canonicalValue(record.type, v)) }));
		for (let attempt = 0; attempt < 3; attempt++) {
			const current = await this.get(zone, record.name, record.type);
			if (!current) {
				try {
					await this.api.call('POST', this.path(zone), {
						body: { name: relativeName(record.name, zone) || '@', type: record.type, ttl: record.ttl, records }
					});
					return;
				} catch (error) {
					// A lost answer or a create racing another: look again.
					if (error instanceof ProviderError && (error.code === 'conflict' || error.transient)) continue;
					throw error;
				}
			}
			if (
				!sameValues(
					record.type,
					current.records.map((r) => r.value),
					record.values
				)
			)
				await this.api.call('POST', `${this.path(zone, record.name, record.type)}/actions/set_records`, {
					body: { records }
				});
			if (current.ttl !== record.ttl)
				await this.api.call('POST', `${this.path(zone, record.name, record.type)}/actions/change_ttl`, {
					body: { ttl: record.ttl }
				});
			return;
		}
		throw new ProviderError({
			code: 'conflict',
			provider: 'Hetzner',
			message: 'Hetzner kept changing this record while we updated it.',
			action: 'Try again in a minute.'
		});
	}

	async delete(zone: Zone, name: string, type: RecordType): Promise<void> {
		try {
			await this.api.call('DELETE', this.path(zone, name, type));
		} catch (error) {
			if (!(error instanceof ProviderError && error.code === 'not-found')) throw error;
		}
	}
}
