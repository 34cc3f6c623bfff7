/**
 * Stateful fake of the deSEC endpoints nassella uses: account, domains (including claiming a
 * free dedyn.io name), rrsets with bulk PATCH. Validated against the documentation-derived
 * subset in schema.ts (deSEC publishes no OpenAPI document).
 */
import { FakeApi, iso, type Dialect, type FakeResponse } from '../kit.ts';
import { SpecValidator } from '../openapi.ts';
import { desecSpec } from './schema.ts';

export const desecDialect: Dialect = {
	name: 'deSEC',
	token: (h) => /^Token (\S+)$/.exec(h.get('authorization') ?? '')?.[1],
	error: (status, _code, message) => ({
		detail:
			status === 401
				? 'Invalid token.'
				: status === 429
					? 'Request was throttled. Expected available in 1 second.'
					: message
	}),
	// deSEC (Django REST framework throttling) answers 429 with Retry-After in seconds.
	rateLimitHeaders: (_remaining, _limit, _reset, wait): Record<string, string> =>
		wait !== undefined ? { 'Retry-After': String(wait) } : {},
	quota: {
		status: 403,
		body: { detail: 'Domain limit exceeded. Please contact support to create additional domains.' }
	}
};

interface Domain {
	name: string;
	created: number;
	touched: number;
	rrsets: Map<
		string,
		{ subname: string; type: string; ttl: number; records: string[]; created: number; touched: number }
	>;
}

let validator: SpecValidator | undefined;

const owner = <T extends { name: string }>(zones: T[], fqdn: string) =>
	zones.filter((z) => fqdn === z.name || fqdn.endsWith('.' + z.name)).sort((a, b) => b.name.length - a.name.length)[0];

export function createDesecFake(
	options: {
		tokens?: string[];
		latencyMs?: number;
		limitDomains?: number;
		minimumTtl?: number;
		validate?: boolean;
		acceptAnyToken?: boolean;
		/**
		 * Tokens made with "Can create domains" (`perm_create_domain`), which deSEC leaves off by
		 * default; only they may add a domain. With `acceptAnyToken` (the sandbox) every token may.
		 */
		createDomainTokens?: string[];
	} = {}
) {
	const mayCreate = (auth: string | null) =>
		options.acceptAnyToken === true ||
		(options.createDomainTokens ?? []).includes(/^Token (\S+)$/.exec(auth ?? '')?.[1] ?? '');
	const api = new FakeApi({
		dialect: desecDialect,
		validator:
			options.validate === false
				? undefined
				: (validator ??= new SpecValidator(desecSpec as unknown as Record<string, unknown>)),
		tokens: options.tokens,
		acceptAnyToken: options.acceptAnyToken,
		latencyMs: options.latencyMs
	});
	const minimumTtl = options.minimumTtl ?? 3600;
	const limit = options.limitDomains ?? 15;
	const state = {
		domains: [] as Domain[],
		email: 'sandbox@example.org',
		/** Names other deSEC accounts hold (a new domain may not clash with them). */
		takenElsewhere: new Set<string>()
	};
	const bad = (body: unknown): FakeResponse => ({ status: 400, body });
	const domainView = (d: Domain) => ({
		created: iso(d.created),
		name: d.name,
		minimum_ttl: minimumTtl,
		published: iso(d.touched),
		touched: iso(d.touched)
	});
	const rrsetView = (d: Domain, r: NonNullable<ReturnType<Domain['rrsets']['get']>>) => ({
		created: iso(r.created),
		domain: d.name,
		subname: r.subname,
		name: (r.subname ? `${r.subname}.` : '') + d.name + '.',
		records: r.records,
		ttl: r.ttl,
		type: r.type,
		touched: iso(r.touched)
	});
	const find = (name: string) => state.domains.find((d) => d.name === name);
	const addDomain = (name: string) => {
		const d: Domain = { name, created: Date.now(), touched: Date.now(), rrsets: new Map() };
		d.rrsets.set(' NS', {
			subname: '',
			type: 'NS',
			ttl: 3600,
			records: ['ns1.desec.io.', 'ns2.desec.org.'],
			created: Date.now(),
			touched: Date.now()
		});
		state.domains.push(d);
		return d;
	};
	const recordError = (type: string, value: string): string | undefined => {
		if (type === 'TXT' && !/^".*"$/.test(value)) return 'TXT records must be quoted.';
		if (type === 'CNAME' && !value.endsWith('.'))
			return 'CNAME target must be a fully qualified name ending with a dot.';
		if (type === 'A' && !/^\d+\.\d+\.\d+\.\d+$/.test(value)) return 'Not a valid IPv4 address.';
		if (type === 'CAA' && !/^\d+ [a-z]+ ".*"$/i.test(value)) return 'Not a valid CAA record.';
		return undefined;
	};

	api
		.on('GET', '/api/v1/auth/account/', () => ({
			status: 200,
			body: { email: state.email, limit_domains: limit, created: iso(), outreach_preference: false }
		}))
		.on('GET', '/api/v1/domains/', (req) => {
			const q = req.query.get('owns_qname');
			let list = state.domains;
			if (q) {
				const owner = list
					.filter((d) => q === d.name || q.endsWith('.' + d.name))
					.sort((a, b) => b.name.length - a.name.length)[0];
				list = owner ? [owner] : [];
			}
			return { status: 200, body: list.map(domainView) };
		})
		.on('POST', '/api/v1/domains/', (req) => {
			const name = String((req.body as { name: string }).name).toLowerCase();
			// Django REST framework's words for a permission the token lacks.
			if (!mayCreate(req.headers.get('authorization')))
				return { status: 403, body: { detail: 'You do not have permission to perform this action.' } };
			if (!/^([a-z0-9-]+\.)+[a-z]{2,}$/.test(name)) return bad({ name: ['Invalid value (not a DNS name).'] });
			if (state.domains.length >= limit) return desecDialect.quota;
			if (find(name) || state.takenElsewhere.has(name))
				return { status: 409, body: { name: ['This domain name conflicts with an existing domain.'] } };
			return { status: 201, body: domainView(addDomain(name)) };
		})
		.on('GET', '/api/v1/domains/:name/rrsets/', (req) => {
			const d = find(req.params[0]!);
			if (!d) return { status: 404, body: { detail: 'Not found.' } };
			const sub = req.query.get('subname');
			const type = req.query.get('type');
			return {
				status: 200,
				body: [...d.rrsets.values()]
					.filter((r) => (sub === null || r.subname === sub) && (!type || r.type === type))
					.map((r) => rrsetView(d, r))
			};
		})
		.on('PATCH', '/api/v1/domains/:name/rrsets/', (req) => {
			const d = find(req.params[0]!);
			if (!d) return { status: 404, body: { detail: 'Not found.' } };
			const items = req.body as { subname: string; type: string; ttl?: number; records: string[] }[];
			const errors = items.map((i) => {
				if (i.ttl !== undefined && i.ttl < minimumTtl)
					return { ttl: [`Ensure this value is greater than or equal to ${minimumTtl}.`] };
				const e = i.records.map((v) => recordError(i.type, v)).find(Boolean);
				if (e) return { records: [e] };
				const key = `${i.subname} ${i.type}`;
				if (!d.rrsets.has(key) && i.ttl === undefined && i.records.length)
					return { ttl: ['This field is required for new RRsets.'] };
				if (
					i.type === 'CNAME' &&
					i.records.length &&
					[...d.rrsets.values()].some((r) => r.subname === i.subname && r.type !== 'CNAME')
				)
					return { type: ['RRset with conflicting type present: CNAME must be alone.'] };
				return {};
			});
			if (errors.some((e) => Object.keys(e).length)) return bad(errors);
			const now = Date.now();
			for (const i of items) {
				const key = `${i.subname} ${i.type}`;
				if (!i.records.length) d.rrsets.delete(key);
				else {
					const old = d.rrsets.get(key);
					d.rrsets.set(key, {
						subname: i.subname,
						type: i.type,
						ttl: i.ttl ?? old!.ttl,
						records: [...new Set(i.records)],
						created: old?.created ?? now,
						touched: now
					});
				}
			}
			d.touched = now;
			return {
				status: 200,
				body: items
					.map((i) => d.rrsets.get(`${i.subname} ${i.type}`))
					.filter((r) => r !== undefined)
					.map((r) => rrsetView(d, r))
			};
		})
		.on('DELETE', '/api/v1/domains/:name/rrsets/:subname/:type/', (req) => {
			const d = find(req.params[0]!);
			if (!d) return { status: 404, body: { detail: 'Not found.' } };
			d.rrsets.delete(`${req.params[1] === '@' ? '' : req.params[1]} ${req.params[2]}`);
			return { status: 204 };
		});

	return {
		api,
		state,
		addDomain: (name: string) => find(name) ?? addDomain(name),
		/** What public DNS would answer once published (for the DoH stand-in). */
		lookup(fqdn: string, type: string) {
			const d = owner(state.domains, fqdn);
			const r = d?.rrsets.get(`${fqdn === d.name ? '' : fqdn.slice(0, -(d.name.length + 1))} ${type}`);
			return r && { values: r.records, ttl: r.ttl };
		},
		reset() {
			state.domains.length = 0;
			api.faults = [];
		}
	};
}

export type DesecFake = ReturnType<typeof createDesecFake>;
