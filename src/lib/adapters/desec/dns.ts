/**
 * deSEC as a DnsProvider (direct: deSEC allows CORS). deSEC keeps whole rrsets, so one bulk
 * PATCH creates or replaces a record set and the same call twice changes nothing. It can also
 * claim a free name under dedyn.io for people without a domain (see README.md here).
 */
import { ProviderError } from '../../core/errors.ts';
import {
	canonicalValue,
	isRecordType,
	isValidHostname,
	longestSuffixZone,
	normalizeName,
	relativeName,
	withTrailingDot
} from '../../core/dns/names.ts';
import type { DnsProvider, RecordSet, RecordType, Zone } from '../../ports/dns.ts';
import { JsonApi, type ChainOptions } from '../http/chain.ts';
import { DESEC_WAIT_RULE, desecErrors } from './errors.ts';

/** How to make a deSEC token that can claim a free name (deSEC leaves the permission off). */
export const DEDYN_TOKEN_HELP =
	'At desec.io, open Token Management, create a token with "Can create domains" turned on, and enter it here.';

export interface DesecOptions extends Omit<ChainOptions, 'proxyBase'> {
	token: string;
	/** Default https://desec.io; the sandbox points it at /sandbox/desec. */
	baseUrl?: string;
	id?: string;
	displayName?: string;
}

interface DesecDomain {
	name: string;
	minimum_ttl: number;
}
interface DesecRRSet {
	subname: string;
	type: string;
	ttl: number;
	records: string[];
	name: string;
}

export const DEDYN_SUFFIX = 'dedyn.io';

export class DesecDns implements DnsProvider {
	readonly id: string;
	readonly displayName: string;
	private readonly api: JsonApi;
	private readonly minimumTtl = new Map<string, number>();

	constructor(options: DesecOptions) {
		this.api = new JsonApi({
			baseUrl: options.baseUrl ?? 'https://desec.io',
			errors: desecErrors,
			rule: DESEC_WAIT_RULE,
			auth: () => ({ authorization: `Token ${options.token}` }),
			http: options.http,
			// A PATCH of rrsets sets them to the given values: sending it twice changes nothing more.
			retry: {
				idempotent: (r) => r.method === 'PATCH' && /\/rrsets\/$/.test(new URL(r.url).pathname),
				...options.retry
			},
			onRequest: options.onRequest
		});
		this.id = options.id ?? 'desec';
		this.displayName = options.displayName ?? 'deSEC';
	}

	async verify() {
		const { data } = await this.api.call<{ email: string }>('GET', '/api/v1/auth/account/');
		return { account: data.email };
	}

	async findZone(fqdn: string): Promise<Zone> {
		const name = normalizeName(fqdn);
		const { data } = await this.api.call<DesecDomain[]>('GET', '/api/v1/domains/', { query: { owns_qname: name } });
		const zone = longestSuffixZone(
			name,
			data.map((d) => ({ id: d.name, name: d.name, minimumTtl: d.minimum_ttl }))
		);
		if (!zone)
			throw new ProviderError({
				code: 'not-found',
				provider: 'deSEC',
				message: `No domain in this deSEC account holds ${name}.`,
				action: 'Add the domain at desec.io, or claim a free dedyn.io name.'
			});
		this.minimumTtl.set(zone.id, zone.minimumTtl);
		return { id: zone.id, name: zone.name };
	}

	/**
	 * Claims `<label>.dedyn.io` in the account the token belongs to. Claiming again the name this
	 * account already holds is not an error; a name someone else holds is a `conflict`.
	 */
	async registerDedynName(label: string): Promise<Zone> {
		const name = `${normalizeName(label)}.${DEDYN_SUFFIX}`;
		if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(normalizeName(label)) || !isValidHostname(name))
			throw new ProviderError({
				code: 'invalid',
				provider: 'deSEC',
				message: 'A dedyn.io name is one word of letters, digits and dashes.',
				action: 'Pick a name like "my-family-photos".'
			});
		return this.ensureZone(name);
	}

	/**
	 * Creates the domain `name` in this account (`POST /api/v1/domains/`), after looking whether
	 * the account holds it already; after a lost answer it looks again before anything else.
	 */
	async ensureZone(zoneName: string): Promise<Zone> {
		const name = normalizeName(zoneName);
		if (!isValidHostname(name))
			throw new ProviderError({
				code: 'invalid',
				provider: 'deSEC',
				message: `“${name}” is not a valid domain name.`,
				action: 'Check the spelling.'
			});
		const mine = async () => {
			const { data } = await this.api.call<DesecDomain[]>('GET', '/api/v1/domains/');
			return data.find((d) => d.name === name);
		};
		for (let attempt = 0; attempt < 2; attempt++) {
			const existing = await mine();
			if (existing) return { id: existing.name, name: existing.name };
			try {
				const { data } = await this.api.call<DesecDomain>('POST', '/api/v1/domains/', { body: { name } });
				return { id: data.name, name: data.name };
			} catch (error) {
				if (error instanceof ProviderError && error.status === 403 && error.code !== 'quota')
					throw new ProviderError({
						code: 'forbidden',
						provider: 'deSEC',
						status: 403,
						message: 'This deSEC token may not create domains, and claiming a free dedyn.io name needs that.',
						action: DEDYN_TOKEN_HELP
					});
				if (!(error instanceof ProviderError && (error.transient || error.code === 'conflict'))) throw error;
				if (error.code === 'conflict' && !(await mine()))
					throw new ProviderError({
						code: 'conflict',
						provider: 'deSEC',
						status: error.status,
						message: `This name is taken: ${name} already belongs to someone else.`,
						action: 'Pick another name.'
					});
			}
		}
		const existing = await mine();
		if (existing) return { id: existing.name, name: existing.name };
		throw new ProviderError({
			code: 'unavailable',
			provider: 'deSEC',
			message: 'deSEC did not confirm the new name.',
			action: 'Try again in a minute.'
		});
	}

	async list(zone: Zone): Promise<RecordSet[]> {
		const { data } = await this.api.call<DesecRRSet[]>('GET', `/api/v1/domains/${encodeURIComponent(zone.id)}/rrsets/`);
		return data
			.filter((r) => isRecordType(r.type))
			.map((r) => ({
				name: normalizeName(r.name),
				type: r.type as RecordType,
				ttl: r.ttl,
				values: r.records.map((v) => canonicalValue(r.type as RecordType, v))
			}));
	}

	async upsert(zone: Zone, record: RecordSet): Promise<void> {
		const ttl = Math.max(record.ttl, this.minimumTtl.get(zone.id) ?? 3600);
		await this.api.call('PATCH', `/api/v1/domains/${encodeURIComponent(zone.id)}/rrsets/`, {
			body: [
				{
					subname: relativeName(record.name, zone),
					type: record.type,
					ttl,
					records: record.values.map((v) => withTrailingDot(record.type, canonicalValue(record.type, v)))
				}
			]
		});
	}

	async delete(zone: Zone, name: string, type: RecordType): Promise<void> {
		const sub = relativeName(name, zone) || '@';
		try {
			await this.api.call(
				'DELETE',
				`/api/v1/domains/${encodeURIComponent(zone.id)}/rrsets/${encodeURIComponent(sub).replace(/%40/g, '@')}/${type}/`
			);
		} catch (error) {
			if (!(error instanceof ProviderError && error.code === 'not-found')) throw error;
		}
	}
}
