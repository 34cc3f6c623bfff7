/**
 * Stateful fake of the Cloudflare API v4 endpoints nassella uses (token verify, zones, DNS
 * records), validated against the documentation-derived subset in schema.ts.
 */
import { FakeApi, bearer, iso, type Dialect, type FakeRequest, type FakeResponse } from '../kit.ts';
import { SpecValidator } from '../openapi.ts';
import { cloudflareSpec } from './schema.ts';

const CODES: Record<number, [number, string]> = {
	400: [9005, 'Content for A record is invalid.'],
	401: [10000, 'Authentication error'],
	403: [9109, 'Unauthorized to access requested resource'],
	404: [7003, 'Could not route to the requested resource.'],
	429: [971, 'Please wait and consider throttling your request speed'],
	503: [10001, 'Service unavailable']
};

export const cloudflareDialect: Dialect = {
	name: 'Cloudflare',
	token: bearer,
	error: (status, _code, message) => {
		const [code, text] = CODES[status] ?? [1000, message];
		return { success: false, errors: [{ code, message: status === 400 ? message : text }], messages: [], result: null };
	},
	rateLimitHeaders: (_remaining, _limit, _reset, wait): Record<string, string> =>
		wait !== undefined ? { 'Retry-After': String(wait) } : {},
	quota: {
		status: 400,
		body: { success: false, errors: [{ code: 81045, message: 'Record quota exceeded.' }], messages: [], result: null }
	}
};

const hex = () => crypto.randomUUID().replace(/-/g, '');
interface Rec {
	id: string;
	zone: string;
	name: string;
	type: string;
	content: string;
	ttl: number;
	proxied: boolean;
	data?: { flags: number; tag: string; value: string };
	created: number;
	modified: number;
}

let validator: SpecValidator | undefined;

/**
 * `accountTokens` are account-owned API tokens: they work on zones and records like user
 * tokens, but `/user/tokens/verify` does not know them (Cloudflare verifies those at
 * `/accounts/{account_id}/tokens/verify`) and answers 401 "Invalid API Token".
 */
export function createCloudflareFake(
	options: {
		tokens?: string[];
		accountTokens?: string[];
		latencyMs?: number;
		validate?: boolean;
		acceptAnyToken?: boolean;
	} = {}
) {
	const accountTokens = new Set(options.accountTokens ?? []);
	const api = new FakeApi({
		dialect: cloudflareDialect,
		validator:
			options.validate === false
				? undefined
				: (validator ??= new SpecValidator(cloudflareSpec as unknown as Record<string, unknown>)),
		tokens: [...(options.tokens ?? ['sandbox-token']), ...accountTokens],
		acceptAnyToken: options.acceptAnyToken,
		latencyMs: options.latencyMs
	});
	const state = { zones: [] as { id: string; name: string }[], records: [] as Rec[] };
	const ok = (result: unknown, extra: Record<string, unknown> = {}): FakeResponse => ({
		status: 200,
		body: { success: true, errors: [], messages: [], result, ...extra }
	});
	const fail = (status: number, code: number, message: string): FakeResponse => ({
		status,
		body: { success: false, errors: [{ code, message }], messages: [], result: null }
	});
	const paged = (req: FakeRequest, items: unknown[], defaultPer: number) => {
		const per = Number(req.query.get('per_page') ?? defaultPer);
		const page = Number(req.query.get('page') ?? 1);
		const slice = items.slice((page - 1) * per, page * per);
		return ok(slice, { result_info: { page, per_page: per, count: slice.length, total_count: items.length } });
	};
	const view = (r: Rec) => ({
		id: r.id,
		name: r.name,
		type: r.type,
		content: r.content,
		ttl: r.ttl,
		proxied: r.proxied,
		proxiable: ['A', 'AAAA', 'CNAME'].includes(r.type),
		...(r.data ? { data: r.data } : {}),
		comment: null,
		created_on: iso(r.created),
		modified_on: iso(r.modified)
	});
	const zone = (id: string) => state.zones.find((z) => z.id === id);
	const apply = (
		z: { name: string },
		b: { type: string; name: string; content?: string; data?: Rec['data']; ttl: number; proxied?: boolean },
		into: Partial<Rec>
	): FakeResponse | undefined => {
		const name = b.name === '@' ? z.name : b.name.endsWith(z.name) ? b.name : `${b.name}.${z.name}`;
		if (b.type === 'A' && !/^\d+\.\d+\.\d+\.\d+$/.test(b.content ?? ''))
			return fail(400, 9005, 'Content for A record is invalid.');
		if (b.type === 'CAA' && !b.data) return fail(400, 9021, 'CAA records need data.');
		const content = b.type === 'CAA' ? `${b.data!.flags} ${b.data!.tag} "${b.data!.value}"` : (b.content ?? '');
		Object.assign(into, {
			name,
			type: b.type,
			content,
			ttl: b.ttl,
			proxied: b.proxied ?? false,
			data: b.data,
			modified: Date.now()
		});
		return undefined;
	};

	api
		.on('GET', '/client/v4/user/tokens/verify', (req) => {
			const auth = req.headers.get('authorization') ?? '';
			if (accountTokens.has(auth.replace(/^Bearer /, ''))) return fail(401, 1000, 'Invalid API Token');
			return ok({ id: auth.length.toString(16).padStart(32, '0'), status: 'active' });
		})
		.on('GET', '/client/v4/zones', (req) => {
			const name = req.query.get('name');
			return paged(
				req,
				state.zones.filter((z) => !name || z.name === name).map((z) => ({ ...z, status: 'active' })),
				20
			);
		})
		.on('GET', '/client/v4/zones/:zone/dns_records', (req) => {
			if (!zone(req.params[0]!)) return fail(404, 7003, 'Could not route to the requested resource.');
			const name = req.query.get('name');
			const type = req.query.get('type');
			return paged(
				req,
				state.records
					.filter((r) => r.zone === req.params[0] && (!name || r.name === name) && (!type || r.type === type))
					.map(view),
				100
			);
		})
		.on('POST', '/client/v4/zones/:zone/dns_records', (req) => {
			const z = zone(req.params[0]!);
			if (!z) return fail(404, 7003, 'Could not route to the requested resource.');
			const r = { id: hex(), zone: z.id, created: Date.now() } as Rec;
			const e = apply(z, req.body as never, r);
			if (e) return e;
			if (
				state.records.some((x) => x.zone === z.id && x.name === r.name && x.type === r.type && x.content === r.content)
			)
				return fail(400, 81058, 'An identical record already exists.');
			if (r.type === 'CNAME' && state.records.some((x) => x.zone === z.id && x.name === r.name))
				return fail(400, 81053, 'A CNAME record with that host already exists.');
			state.records.push(r);
			return ok(view(r));
		})
		.on('PUT', '/client/v4/zones/:zone/dns_records/:id', (req) => {
			const z = zone(req.params[0]!);
			const r = state.records.find((x) => x.id === req.params[1] && x.zone === req.params[0]);
			if (!z || !r) return fail(404, 81044, 'Record does not exist.');
			const e = apply(z, req.body as never, r);
			return e ?? ok(view(r));
		})
		.on('DELETE', '/client/v4/zones/:zone/dns_records/:id', (req) => {
			const i = state.records.findIndex((x) => x.id === req.params[1] && x.zone === req.params[0]);
			if (i < 0) return fail(404, 81044, 'Record does not exist.');
			state.records.splice(i, 1);
			return ok({ id: req.params[1] });
		});

	return {
		api,
		state,
		lookup(fqdn: string, type: string) {
			const recs = state.records.filter((r) => r.name === fqdn && r.type === type);
			return recs.length
				? {
						values: recs.map((r) =>
							r.type === 'TXT' ? `"${r.content}"` : r.type === 'CNAME' ? r.content + '.' : r.content
						),
						ttl: recs[0]!.ttl
					}
				: undefined;
		},
		addZone(name: string) {
			if (!state.zones.some((z) => z.name === name)) state.zones.push({ id: hex(), name });
		},
		reset() {
			state.zones.length = 0;
			state.records.length = 0;
			api.faults = [];
		}
	};
}

export type CloudflareFake = ReturnType<typeof createCloudflareFake>;
