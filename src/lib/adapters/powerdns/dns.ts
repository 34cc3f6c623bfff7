/**
 * A self-hosted PowerDNS Authoritative server as a DnsProvider, over its HTTP API
 * (`X-API-Key`). A PATCH with `changetype: REPLACE` replaces a whole rrset, so the same
 * upsert twice leaves one record set. Browsers reach it directly only when the server sends
 * CORS headers (PowerDNS ≥ 5.1), otherwise through the proxy.
 */
import { ProviderError } from '../../core/errors.ts';
import {
	canonicalValue,
	isRecordType,
	longestSuffixZone,
	normalizeName,
	withTrailingDot
} from '../../core/dns/names.ts';
import type { DnsProvider, RecordSet, RecordType, Zone } from '../../ports/dns.ts';
import { JsonApi, type ChainOptions } from '../http/chain.ts';
import { POWERDNS_WAIT_RULE, powerDnsErrors } from './errors.ts';

export interface PowerDnsOptions extends ChainOptions {
	apiKey: string;
	/** The server's API root, e.g. https://dns.example.org:8081 (without /api/v1). */
	baseUrl: string;
	serverId?: string;
	id?: string;
	displayName?: string;
}

interface PdnsZone {
	id: string;
	name: string;
}
interface PdnsRRSet {
	name: string;
	type: string;
	ttl: number;
	records: { content: string; disabled: boolean }[];
}

export class PowerDns implements DnsProvider {
	readonly id: string;
	readonly displayName: string;
	private readonly api: JsonApi;
	private readonly server: string;

	constructor(options: PowerDnsOptions) {
		this.api = new JsonApi({
			baseUrl: options.baseUrl.replace(/\/+$/, '') + '/api/v1',
			errors: powerDnsErrors,
			rule: POWERDNS_WAIT_RULE,
			auth: () => ({ 'x-api-key': options.apiKey }),
			proxyBase: options.proxyBase,
			http: options.http,
			retry: options.retry,
			onRequest: options.onRequest
		});
		this.server = encodeURIComponent(options.serverId ?? 'localhost');
		this.id = options.id ?? 'powerdns';
		this.displayName = options.displayName ?? 'PowerDNS (your own server)';
	}

	async verify() {
		const { data } = await this.api.call<{ id: string; version: string }>('GET', `/servers/${this.server}`);
		return { account: `PowerDNS ${data.version} (${data.id})` };
	}

	async findZone(fqdn: string): Promise<Zone> {
		const { data } = await this.api.call<PdnsZone[]>('GET', `/servers/${this.server}/zones`);
		const zone = longestSuffixZone(
			fqdn,
			data.map((z) => ({ id: z.id, name: normalizeName(z.name) }))
		);
		if (!zone)
			throw new ProviderError({
				code: 'not-found',
				provider: 'your PowerDNS server',
				message: `No zone on your PowerDNS server holds ${normalizeName(fqdn)}.`,
				action: 'Create the zone on your PowerDNS server first (pdnsutil create-zone).'
			});
		return zone;
	}

	async list(zone: Zone): Promise<RecordSet[]> {
		const { data } = await this.api.call<{ rrsets: PdnsRRSet[] }>(
			'GET',
			`/servers/${this.server}/zones/${encodeURIComponent(zone.id)}`
		);
		return data.rrsets
			.filter((r) => isRecordType(r.type))
			.map((r) => ({
				name: normalizeName(r.name),
				type: r.type as RecordType,
				ttl: r.ttl,
				values: r.records.filter((x) => !x.disabled).map((x) => canonicalValue(r.type as RecordType, x.content))
			}));
	}

	private patch(zone: Zone, rrset: Record<string, unknown>) {
		return this.api.call('PATCH', `/servers/${this.server}/zones/${encodeURIComponent(zone.id)}`, {
			body: { rrsets: [rrset] }
		});
	}

	async upsert(zone: Zone, record: RecordSet): Promise<void> {
		await this.patch(zone, {
			name: normalizeName(record.name) + '.',
			type: record.type,
			ttl: record.ttl,
			changetype: 'REPLACE',
			records: record.values.map((v) => ({
				content: withTrailingDot(record.type, canonicalValue(record.type, v)),
				disabled: false
			}))
		});
	}

	async delete(zone: Zone, name: string, type: RecordType): Promise<void> {
		// The API ignores ttl on DELETE, but its OpenAPI document requires it on every rrset.
		await this.patch(zone, { name: normalizeName(name) + '.', type, ttl: 3600, changetype: 'DELETE', records: [] });
	}
}
