/**
 * Cloudflare DNS as a DnsProvider, through the proxy (Cloudflare sends no CORS headers).
 * Cloudflare keeps one record per value; an upsert reconciles the set. Records are never
 * proxied: the person's server terminates TLS itself.
 */
import { ProviderError } from '../../core/errors.ts';
import {
	canonicalValue,
	formatCaa,
	groupRecords,
	longestSuffixZone,
	normalizeName,
	parseCaa,
	txtPresentation,
	txtText
} from '../../core/dns/names.ts';
import type { DnsProvider, RecordSet, RecordType, Zone } from '../../ports/dns.ts';
import { JsonApi, type ChainOptions } from '../http/chain.ts';
import { CLOUDFLARE_WAIT_RULE, cloudflareErrors } from './errors.ts';

export interface CloudflareOptions extends ChainOptions {
	token: string;
	baseUrl?: string;
	id?: string;
	displayName?: string;
}

interface CfRecord {
	id: string;
	name: string;
	type: string;
	content: string;
	ttl: number;
	data?: { flags: number; tag: string; value: string };
}
interface Envelope<T> {
	result: T;
	result_info?: { page: number; per_page: number; total_count: number };
}

function toValue(r: CfRecord): string {
	if (r.type === 'CAA') return r.data ? formatCaa(r.data) : r.content;
	if (r.type === 'TXT')
		return txtPresentation(txtText(r.content.startsWith('"') ? r.content : `"${r.content.replace(/"/g, '\\"')}"`));
	return r.content;
}

function toBody(name: string, type: RecordType, ttl: number, value: string) {
	const base = { type, name, ttl: ttl < 60 ? 60 : Math.min(ttl, 86400), proxied: false };
	if (type === 'CAA') return { type, name, ttl: base.ttl, data: parseCaa(value) };
	if (type === 'TXT') return { type, name, ttl: base.ttl, content: txtText(value) };
	if (type === 'CNAME') return { ...base, content: normalizeName(value) };
	return { ...base, content: value };
}

export class CloudflareDns implements DnsProvider {
	readonly id: string;
	readonly displayName: string;
	private readonly api: JsonApi;

	constructor(options: CloudflareOptions) {
		this.api = new JsonApi({
			baseUrl: options.baseUrl ?? 'https://api.cloudflare.com/client/v4',
			errors: cloudflareErrors,
			rule: CLOUDFLARE_WAIT_RULE,
			auth: () => ({ authorization: `Bearer ${options.token}` }),
			proxyBase: options.proxyBase,
			http: options.http,
			retry: options.retry,
			onRequest: options.onRequest
		});
		this.id = options.id ?? 'cloudflare';
		this.displayName = options.displayName ?? 'Cloudflare';
	}

	/**
	 * Every item of a list, page after page (bounded). Cloudflare's limits differ per list: zones
	 * take at most 50 a page, DNS records far more; a larger per_page is refused or cut short.
	 */
	private async all<T>(path: string, perPage: 50 | 100, query: Record<string, string> = {}): Promise<T[]> {
		const out: T[] = [];
		for (let page = 1; page <= 50; page++) {
			const { data } = await this.api.call<Envelope<T[]>>('GET', path, {
				query: { ...query, page, per_page: perPage }
			});
			out.push(...data.result);
			const info = data.result_info;
			if (!info || page * info.per_page >= info.total_count) break;
		}
		return out;
	}

	/**
	 * A user's token is checked at /user/tokens/verify. An account-owned token is not known
	 * there (401), so one that can list zones, which is all nassella asks of it, is accepted too.
	 */
	async verify() {
		let data: Envelope<{ id: string; status: string }>;
		try {
			({ data } = await this.api.call<Envelope<{ id: string; status: string }>>('GET', '/user/tokens/verify'));
		} catch (error) {
			if (!(error instanceof ProviderError) || error.code !== 'unauthorized') throw error;
			const zones = await this.api.call('GET', '/zones', { query: { per_page: 5 } }).catch(() => undefined);
			if (!zones) throw error;
			return { account: 'Cloudflare account token' };
		}
		if (data.result.status !== 'active')
			throw new ProviderError({
				code: 'unauthorized',
				provider: 'Cloudflare',
				message: `This Cloudflare token is ${data.result.status}.`,
				action: 'Create a new API token in Cloudflare and enter it again.'
			});
		return { account: `Cloudflare token ${data.result.id.slice(0, 8)}…` };
	}

	async findZone(fqdn: string): Promise<Zone> {
		const zones = await this.all<{ id: string; name: string }>('/zones', 50);
		const zone = longestSuffixZone(
			fqdn,
			zones.map((z) => ({ id: z.id, name: normalizeName(z.name) }))
		);
		if (!zone)
			throw new ProviderError({
				code: 'not-found',
				provider: 'Cloudflare',
				message: `None of the zones this token may see holds ${normalizeName(fqdn)}.`,
				action: 'Add the domain to Cloudflare, or give the token access to its zone.'
			});
		return zone;
	}

	private records(zone: Zone, name?: string, type?: RecordType) {
		const q: Record<string, string> = {};
		if (name) q.name = normalizeName(name);
		if (type) q.type = type;
		return this.all<CfRecord>(`/zones/${encodeURIComponent(zone.id)}/dns_records`, 100, q);
	}

	async list(zone: Zone): Promise<RecordSet[]> {
		const recs = await this.records(zone);
		return groupRecords(
			recs.map((r) => ({ name: r.name, type: r.type, ttl: r.ttl === 1 ? 300 : r.ttl, value: toValue(r) }))
		);
	}

	async upsert(zone: Zone, record: RecordSet): Promise<void> {
		const name = normalizeName(record.name);
		const base = `/zones/${encodeURIComponent(zone.id)}/dns_records`;
		const existing = await this.records(zone, name, record.type);
		const wanted = new Map(record.values.map((v) => [canonicalValue(record.type, v), v]));
		const kept = new Set<string>();
		for (const r of existing) {
			const key = canonicalValue(record.type, toValue(r));
			if (wanted.has(key) && !kept.has(key)) {
				kept.add(key);
				const body = toBody(name, record.type, record.ttl, wanted.get(key)!);
				if (r.ttl !== body.ttl) await this.api.call('PUT', `${base}/${r.id}`, { body });
			} else await this.remove(`${base}/${r.id}`);
		}
		for (const [key, value] of wanted) {
			if (kept.has(key)) continue;
			try {
				await this.api.call('POST', base, { body: toBody(name, record.type, record.ttl, value) });
			} catch (error) {
				if (!(error instanceof ProviderError && error.code === 'conflict')) throw error;
			}
		}
	}

	private async remove(path: string) {
		try {
			await this.api.call('DELETE', path);
		} catch (error) {
			if (!(error instanceof ProviderError && error.code === 'not-found')) throw error;
		}
	}

	async delete(zone: Zone, name: string, type: RecordType): Promise<void> {
		for (const r of await this.records(zone, name, type))
			await this.remove(`/zones/${encodeURIComponent(zone.id)}/dns_records/${r.id}`);
	}
}
