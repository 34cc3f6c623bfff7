/** DigitalOcean domains and their records. */
import { err, listOf, notFound, page, type DigitalOceanContext, type DigitalOceanState } from './common.ts';

export interface DnsRecord {
	id: number;
	type: string;
	name: string;
	data: string;
	ttl: number;
	flags?: number;
	tag?: string;
	priority?: number | null;
}

export function domainRoutes(ctx: DigitalOceanContext): void {
	const { api, state, newId } = ctx;
	api
		.on(
			'GET',
			'/v2/domains',
			listOf(
				'domains',
				() => [...state.domains.keys()],
				(name) => ({ name, ttl: 1800, zone_file: null })
			)
		)
		.on('GET', '/v2/domains/:d/records', (req) => {
			const recs = state.domains.get(req.params[0]!);
			if (!recs) return notFound();
			const name = req.query.get('name');
			const type = req.query.get('type');
			const rel = (n: string) =>
				name ? (name === req.params[0] ? '@' : name.slice(0, -(req.params[0]!.length + 1))) : n;
			return page(
				req,
				'domain_records',
				recs.filter((r) => (!name || r.name === rel(r.name)) && (!type || r.type === type))
			);
		})
		.on('POST', '/v2/domains/:d/records', (req) => {
			const recs = state.domains.get(req.params[0]!);
			if (!recs) return notFound();
			const b = req.body as DnsRecord;
			const rec = { ...dnsRecord(b), id: newId() };
			if (rec.type === 'CNAME' && recs.some((r) => r.name === rec.name))
				return err(422, 'unprocessable_entity', 'CNAME records cannot share a name with other records.');
			recs.push(rec);
			return { status: 201, body: { domain_record: rec } };
		})
		.on('PUT', '/v2/domains/:d/records/:id', (req) => {
			const recs = state.domains.get(req.params[0]!);
			const i = recs?.findIndex((r) => String(r.id) === req.params[1]) ?? -1;
			if (!recs || i < 0) return notFound();
			recs[i] = { ...recs[i]!, ...dnsRecord({ ...recs[i]!, ...(req.body as DnsRecord) }) };
			return { status: 200, body: { domain_record: recs[i] } };
		})
		.on('DELETE', '/v2/domains/:d/records/:id', (req) => {
			const recs = state.domains.get(req.params[0]!);
			const i = recs?.findIndex((r) => String(r.id) === req.params[1]) ?? -1;
			if (!recs || i < 0) return notFound();
			recs.splice(i, 1);
			return { status: 204 };
		});
}

/** What the domains answer for a name and type, for the sandbox's DNS. */
export function domainLookup(state: DigitalOceanState, fqdn: string, type: string) {
	const zone = [...state.domains.keys()]
		.filter((z) => fqdn === z || fqdn.endsWith('.' + z))
		.sort((a, b) => b.length - a.length)[0];
	if (!zone) return undefined;
	const rel = fqdn === zone ? '@' : fqdn.slice(0, -(zone.length + 1));
	const recs = state.domains.get(zone)!.filter((r) => r.name === rel && r.type === type);
	const value = (r: DnsRecord) =>
		r.type === 'TXT' ? `"${r.data}"` : r.type === 'CAA' ? `${r.flags ?? 0} ${r.tag ?? 'issue'} "${r.data}"` : r.data;
	return recs.length ? { values: recs.map(value), ttl: recs[0]!.ttl } : undefined;
}

/** Adds a domain as if the person had added it in DigitalOcean's control panel. */
export function addDomain(ctx: DigitalOceanContext, name: string): void {
	if (!ctx.state.domains.has(name))
		ctx.state.domains.set(name, [{ id: ctx.newId(), type: 'NS', name: '@', data: 'ns1.digitalocean.com', ttl: 1800 }]);
}

function dnsRecord(b: DnsRecord): DnsRecord {
	const r: DnsRecord = { id: b.id, type: b.type, name: b.name, data: b.data, ttl: b.ttl ?? 1800 };
	if (b.type === 'CAA') {
		r.flags = b.flags ?? 0;
		r.tag = b.tag ?? 'issue';
	}
	return r;
}
