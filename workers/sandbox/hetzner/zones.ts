/** Hetzner DNS zones and their rrsets. */
import { iso } from '../kit.ts';
import { actionView } from './actions.ts';
import { err, list, listOf, notFound, now, type HetznerContext, type HetznerState } from './common.ts';
import type { LabelMap } from './labels.ts';

export interface RRSet {
	name: string;
	type: string;
	ttl: number | null;
	records: { value: string; comment?: string }[];
	labels: LabelMap;
}
export interface Zone {
	id: number;
	name: string;
	ttl: number;
	created: number;
	rrsets: RRSet[];
}

export const rrsetView = (z: Zone, r: RRSet) => ({
	id: `${r.name}/${r.type}`,
	name: r.name,
	type: r.type,
	ttl: r.ttl,
	labels: r.labels,
	protection: { change: false },
	records: r.records,
	zone: z.id
});
export const zoneView = (z: Zone) => ({
	id: z.id,
	name: z.name,
	created: iso(z.created),
	mode: 'primary',
	ttl: z.ttl,
	labels: {},
	protection: { delete: false },
	status: 'ok',
	record_count: z.rrsets.reduce((n, r) => n + r.records.length, 0),
	registrar: 'other',
	authoritative_nameservers: {
		assigned: ['hydrogen.ns.hetzner.com.', 'oxygen.ns.hetzner.com.', 'helium.ns.hetzner.de.'],
		delegated: [],
		delegation_last_check: null,
		delegation_status: 'unknown'
	}
});

export function zoneRoutes(ctx: HetznerContext): void {
	const { api, state, action } = ctx;
	const zone = (idOrName: string) => state.zones.find((z) => String(z.id) === idOrName || z.name === idOrName);
	api
		.on(
			'GET',
			'/v1/zones',
			listOf(
				'zones',
				(req) => {
					const name = req.query.get('name');
					return state.zones.filter((z) => !name || z.name === name);
				},
				zoneView
			)
		)
		.on('GET', '/v1/zones/:zone/rrsets', (req) => {
			const z = zone(req.params[0]!);
			if (!z) return notFound();
			const name = req.query.get('name');
			const types = req.query.getAll('type');
			return list(
				req,
				'rrsets',
				z.rrsets
					.filter((r) => (!name || r.name === name) && (!types.length || types.includes(r.type)))
					.map((r) => rrsetView(z, r))
			);
		})
		.on('POST', '/v1/zones/:zone/rrsets', (req) => {
			const z = zone(req.params[0]!);
			if (!z) return notFound();
			const b = req.body as RRSet;
			if (z.rrsets.some((r) => r.name === b.name && r.type === b.type))
				return err(409, 'uniqueness_error', 'rrset already exists');
			if (b.type === 'CNAME' && z.rrsets.some((r) => r.name === b.name))
				return err(422, 'invalid_input', 'CNAME must be the only rrset at a name');
			const bad = checkValues(b.type, b.records);
			if (bad) return err(400, 'invalid_input', bad);
			const r: RRSet = { name: b.name, type: b.type, ttl: b.ttl ?? null, records: b.records, labels: b.labels ?? {} };
			z.rrsets.push(r);
			return {
				status: 201,
				body: { rrset: rrsetView(z, r), action: actionView(action('create_rrset', [{ id: z.id, type: 'zone' }])) }
			};
		})
		.on('GET', '/v1/zones/:zone/rrsets/:name/:type', (req) => {
			const z = zone(req.params[0]!);
			const r = z?.rrsets.find((x) => x.name === req.params[1] && x.type === req.params[2]);
			return z && r ? { status: 200, body: { rrset: rrsetView(z, r) } } : notFound();
		})
		.on('DELETE', '/v1/zones/:zone/rrsets/:name/:type', (req) => {
			const z = zone(req.params[0]!);
			const r = z?.rrsets.find((x) => x.name === req.params[1] && x.type === req.params[2]);
			if (!z || !r) return notFound();
			z.rrsets = z.rrsets.filter((x) => x !== r);
			return { status: 201, body: { action: actionView(action('delete_rrset', [{ id: z.id, type: 'zone' }])) } };
		})
		.on('POST', '/v1/zones/:zone/rrsets/:name/:type/actions/set_records', (req) => {
			const z = zone(req.params[0]!);
			const r = z?.rrsets.find((x) => x.name === req.params[1] && x.type === req.params[2]);
			if (!z || !r) return notFound();
			const b = req.body as { records: RRSet['records'] };
			const bad = checkValues(r.type, b.records);
			if (bad) return err(400, 'invalid_input', bad);
			r.records = b.records;
			return { status: 201, body: { action: actionView(action('set_rrset_records', [{ id: z.id, type: 'zone' }])) } };
		})
		.on('POST', '/v1/zones/:zone/rrsets/:name/:type/actions/change_ttl', (req) => {
			const z = zone(req.params[0]!);
			const r = z?.rrsets.find((x) => x.name === req.params[1] && x.type === req.params[2]);
			if (!z || !r) return notFound();
			r.ttl = (req.body as { ttl: number | null }).ttl;
			return { status: 201, body: { action: actionView(action('change_rrset_ttl', [{ id: z.id, type: 'zone' }])) } };
		});
}

/** What the zones answer for a name and type, for the sandbox's DNS. */
export function zoneLookup(state: HetznerState, fqdn: string, type: string) {
	const z = state.zones
		.filter((x) => fqdn === x.name || fqdn.endsWith('.' + x.name))
		.sort((a, b) => b.name.length - a.name.length)[0];
	const rel = z && (fqdn === z.name ? '@' : fqdn.slice(0, -(z.name.length + 1)));
	const r = z?.rrsets.find((x) => x.name === rel && x.type === type);
	return r && { values: r.records.map((x) => x.value), ttl: r.ttl ?? z!.ttl };
}

/** Adds a DNS zone as if the person had created it in Hetzner's console. */
export function addZone(ctx: HetznerContext, name: string): void {
	if (!ctx.state.zones.some((z) => z.name === name))
		ctx.state.zones.push({
			id: ctx.newId(),
			name,
			ttl: 3600,
			created: now(),
			rrsets: [{ name: '@', type: 'NS', ttl: null, labels: {}, records: [{ value: 'hydrogen.ns.hetzner.com.' }] }]
		});
}

/** Zone-file presentation checks the real API applies (TXT quoted, CNAME absolute). */
function checkValues(type: string, records: { value: string }[]): string | undefined {
	for (const r of records) {
		if (type === 'TXT' && !/^".*"$/.test(r.value)) return 'TXT values must be quoted';
		if (type === 'CNAME' && !r.value.endsWith('.')) return 'CNAME target must be absolute (end with a dot)';
		if (type === 'A' && !/^\d+\.\d+\.\d+\.\d+$/.test(r.value)) return 'invalid IPv4 address';
		if (type === 'CAA' && !/^\d+ \w+ ".*"$/.test(r.value)) return 'invalid CAA value';
	}
	return undefined;
}
