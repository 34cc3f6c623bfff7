/**
 * Stateful fake of the DigitalOcean API v2 endpoints nassella uses (droplets, custom images,
 * SSH keys, volumes, firewalls, monitoring, domains), validated against the official spec.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeApi, bearer, iso, type Dialect, type FakeRequest, type FakeResponse } from '../kit.ts';
import { SpecValidator } from '../openapi.ts';
import { here } from '../specs/extract.ts';
import { busySeconds, diskUsedShare, grid, network, sim, widenStep } from '../metrics.ts';

const REGIONS = [
	{ slug: 'nyc3', name: 'New York 3' },
	{ slug: 'ams3', name: 'Amsterdam 3' },
	{ slug: 'fra1', name: 'Frankfurt 1' },
	{ slug: 'lon1', name: 'London 1' },
	{ slug: 'sfo3', name: 'San Francisco 3' }
];
const SIZES = [
	{ slug: 's-1vcpu-512mb-10gb', memory: 512, vcpus: 1, disk: 10, price_monthly: 4 },
	{ slug: 's-1vcpu-1gb', memory: 1024, vcpus: 1, disk: 25, price_monthly: 6 },
	{ slug: 's-1vcpu-2gb', memory: 2048, vcpus: 1, disk: 50, price_monthly: 12 },
	{ slug: 's-2vcpu-4gb', memory: 4096, vcpus: 2, disk: 80, price_monthly: 24 }
];

export const digitalOceanDialect: Dialect = {
	name: 'DigitalOcean',
	token: bearer,
	error: (_status, code, message) => ({ id: code, message, request_id: crypto.randomUUID() }),
	rateLimitHeaders: (remaining, limit, reset, wait) => ({
		'ratelimit-limit': String(limit),
		'ratelimit-remaining': String(remaining),
		'ratelimit-reset': String(reset),
		...(wait !== undefined ? { 'retry-after': String(wait) } : {})
	}),
	quota: {
		status: 422,
		body: {
			id: 'unprocessable_entity',
			message: 'creating this/these droplet(s) will exceed your droplet limit',
			request_id: crypto.randomUUID()
		}
	}
};

let cachedValidator: SpecValidator | undefined;
export function digitalOceanValidator(): SpecValidator {
	cachedValidator ??= new SpecValidator(JSON.parse(readFileSync(join(here, 'digitalocean.subset.json'), 'utf8')));
	return cachedValidator;
}

interface Image {
	id: number;
	name: string;
	region: string;
	tags: string[];
	created: number;
	url: string;
	description: string;
}
interface Droplet {
	id: number;
	name: string;
	region: string;
	size: string;
	image: number;
	tags: string[];
	volumes: string[];
	created: number;
	userData: string;
	ip: string;
}
interface Volume {
	id: string;
	name: string;
	region: string;
	size: number;
	tags: string[];
	created: number;
	droplets: number[];
}
interface Firewall {
	id: string;
	name: string;
	tags: string[];
	droplet_ids: number[];
	inbound: unknown[];
	outbound: unknown[];
	created: number;
}
interface Key {
	id: number;
	name: string;
	public_key: string;
	fingerprint: string;
}
interface DnsRecord {
	id: number;
	type: string;
	name: string;
	data: string;
	ttl: number;
	flags?: number;
	tag?: string;
	priority?: number | null;
}

export interface DigitalOceanFakeOptions {
	tokens?: string[];
	latencyMs?: number;
	/** How long an image import and a droplet boot take. */
	importMs?: number;
	bootMs?: number;
	dropletLimit?: number;
	validate?: boolean;
	acceptAnyToken?: boolean;
	/** Whether droplets run DigitalOcean's metrics agent (which reports filesystem figures). */
	metricsAgent?: boolean;
}

export function createDigitalOceanFake(options: DigitalOceanFakeOptions = {}) {
	const api = new FakeApi({
		dialect: digitalOceanDialect,
		validator: options.validate === false ? undefined : digitalOceanValidator(),
		tokens: options.tokens,
		acceptAnyToken: options.acceptAnyToken,
		latencyMs: options.latencyMs,
		rateLimit: 5000
	});
	const importMs = options.importMs ?? 50;
	const bootMs = options.bootMs ?? 50;
	const dropletLimit = options.dropletLimit ?? 10;
	const metricsAgent = options.metricsAgent ?? false;
	let nextId = 1000;
	const state = {
		images: [] as Image[],
		droplets: [] as Droplet[],
		volumes: [] as Volume[],
		firewalls: [] as Firewall[],
		keys: [] as Key[],
		domains: new Map<string, DnsRecord[]>()
	};
	const err = (status: number, id: string, message: string): FakeResponse => ({
		status,
		body: digitalOceanDialect.error(status, id, message)
	});
	const region = (slug: string) => {
		const r = REGIONS.find((x) => x.slug === slug) ?? { slug, name: slug };
		return { ...r, features: ['metadata', 'install_agent'], available: true, sizes: SIZES.map((s) => s.slug) };
	};
	const size = (slug: string) => {
		const s = SIZES.find((x) => x.slug === slug) ?? SIZES[0]!;
		return {
			...s,
			transfer: 1,
			price_hourly: Math.round((s.price_monthly / 672) * 100000) / 100000,
			regions: REGIONS.map((r) => r.slug),
			available: true,
			description: 'Basic'
		};
	};
	const imageView = (i: Image) => ({
		id: i.id,
		name: i.name,
		type: 'custom',
		distribution: 'CoreOS',
		slug: null,
		public: false,
		regions: Date.now() - i.created >= importMs ? [i.region] : [],
		created_at: iso(i.created),
		min_disk_size: 10,
		size_gigabytes: 0.45,
		description: i.description,
		tags: i.tags,
		status: Date.now() - i.created >= importMs ? 'available' : 'NEW',
		error_message: ''
	});
	const dropletView = (d: Droplet) => {
		const up = Date.now() - d.created >= bootMs;
		const s = size(d.size);
		const img = state.images.find((i) => i.id === d.image);
		return {
			id: d.id,
			name: d.name,
			memory: s.memory,
			vcpus: s.vcpus,
			disk: s.disk,
			locked: false,
			status: up ? 'active' : 'new',
			created_at: iso(d.created),
			features: ['monitoring'],
			backup_ids: [],
			next_backup_window: null,
			snapshot_ids: [],
			image: img ? imageView(img) : {},
			volume_ids: d.volumes,
			size: s,
			size_slug: d.size,
			networks: {
				v4: up ? [{ ip_address: d.ip, netmask: '255.255.240.0', gateway: '203.0.113.1', type: 'public' }] : [],
				v6: []
			},
			region: region(d.region),
			tags: d.tags
		};
	};
	const volumeView = (v: Volume) => ({
		id: v.id,
		droplet_ids: v.droplets,
		name: v.name,
		description: 'nassella data volume',
		size_gigabytes: v.size,
		created_at: iso(v.created),
		tags: v.tags,
		region: region(v.region),
		filesystem_type: 'ext4',
		filesystem_label: ''
	});
	const firewallView = (f: Firewall) => ({
		id: f.id,
		status: 'succeeded',
		created_at: iso(f.created),
		pending_changes: [],
		name: f.name,
		droplet_ids: f.droplet_ids,
		tags: f.tags,
		inbound_rules: f.inbound,
		outbound_rules: f.outbound
	});
	const page = <T>(req: FakeRequest, key: string, items: T[]): FakeResponse => {
		const per = Number(req.query.get('per_page') ?? 20);
		const p = Number(req.query.get('page') ?? 1);
		const slice = items.slice((p - 1) * per, p * per);
		const next = p * per < items.length;
		const pages: Record<string, string> = {};
		if (next) {
			const u = new URLSearchParams(req.query);
			u.set('page', String(p + 1));
			pages.next = `https://api.digitalocean.com${req.path}?${u}`;
			pages.last = `https://api.digitalocean.com${req.path}?page=${Math.ceil(items.length / per)}`;
		}
		return { status: 200, body: { [key]: slice, links: { pages }, meta: { total: items.length } } };
	};
	const tagged = (tags: string[], req: FakeRequest) => {
		const t = req.query.get('tag_name');
		return !t || tags.includes(t);
	};

	api
		.on('GET', '/v2/account', () => ({
			status: 200,
			body: {
				account: {
					droplet_limit: dropletLimit,
					floating_ip_limit: 3,
					email: 'sandbox@example.org',
					name: 'Sandbox',
					uuid: '7d2e3a1c-4a43-4b0e-9c3f-0a4d2f0c1a11',
					email_verified: true,
					status: 'active',
					status_message: ''
				}
			}
		}))
		.on('GET', '/v2/regions', (req) =>
			page(
				req,
				'regions',
				REGIONS.map((r) => region(r.slug))
			)
		)
		.on('GET', '/v2/sizes', (req) =>
			page(
				req,
				'sizes',
				SIZES.map((s) => size(s.slug))
			)
		)
		.on('GET', '/v2/images', (req) =>
			page(req, 'images', state.images.filter((i) => tagged(i.tags, req)).map(imageView))
		)
		.on('POST', '/v2/images', (req) => {
			const b = req.body as { name: string; url: string; region: string; tags?: string[]; description?: string };
			const image: Image = {
				id: nextId++,
				name: b.name,
				region: b.region,
				tags: b.tags ?? [],
				created: Date.now(),
				url: b.url,
				description: b.description ?? ''
			};
			state.images.push(image);
			return { status: 202, body: { image: imageView(image) } };
		})
		.on('GET', '/v2/images/:id', (req) => {
			const i = state.images.find((x) => String(x.id) === req.params[0]);
			return i
				? { status: 200, body: { image: imageView(i) } }
				: err(404, 'not_found', 'The resource you were accessing could not be found.');
		})
		.on('DELETE', '/v2/images/:id', (req) => {
			const n = state.images.length;
			state.images = state.images.filter((x) => String(x.id) !== req.params[0]);
			return n === state.images.length
				? err(404, 'not_found', 'The resource you were accessing could not be found.')
				: { status: 204 };
		})
		.on('GET', '/v2/account/keys', (req) => page(req, 'ssh_keys', state.keys))
		.on('POST', '/v2/account/keys', (req) => {
			const b = req.body as { name: string; public_key: string };
			if (state.keys.some((k) => k.public_key === b.public_key))
				return err(422, 'unprocessable_entity', 'SSH Key is already in use on your account');
			const key: Key = { id: nextId++, name: b.name, public_key: b.public_key, fingerprint: fingerprint(b.public_key) };
			state.keys.push(key);
			return { status: 201, body: { ssh_key: key } };
		})
		.on('DELETE', '/v2/account/keys/:id', (req) => {
			const n = state.keys.length;
			state.keys = state.keys.filter((k) => String(k.id) !== req.params[0] && k.fingerprint !== req.params[0]);
			return n === state.keys.length
				? err(404, 'not_found', 'The resource you were accessing could not be found.')
				: { status: 204 };
		})
		.on('GET', '/v2/volumes', (req) => {
			const name = req.query.get('name');
			const reg = req.query.get('region');
			return page(
				req,
				'volumes',
				state.volumes.filter((v) => (!name || v.name === name) && (!reg || v.region === reg)).map(volumeView)
			);
		})
		.on('POST', '/v2/volumes', (req) => {
			const b = req.body as { name: string; region: string; size_gigabytes: number; tags?: string[] };
			if (state.volumes.some((v) => v.name === b.name && v.region === b.region))
				return err(409, 'conflict', 'a volume with that name already exists');
			const v: Volume = {
				id: crypto.randomUUID(),
				name: b.name,
				region: b.region,
				size: b.size_gigabytes,
				tags: b.tags ?? [],
				created: Date.now(),
				droplets: []
			};
			state.volumes.push(v);
			return { status: 201, body: { volume: volumeView(v) } };
		})
		.on('GET', '/v2/volumes/:id', (req) => {
			const v = state.volumes.find((x) => x.id === req.params[0]);
			return v
				? { status: 200, body: { volume: volumeView(v) } }
				: err(404, 'not_found', 'The resource you were accessing could not be found.');
		})
		.on('DELETE', '/v2/volumes/:id', (req) => {
			const v = state.volumes.find((x) => x.id === req.params[0]);
			if (!v) return err(404, 'not_found', 'The resource you were accessing could not be found.');
			if (v.droplets.some((d) => state.droplets.some((x) => x.id === d)))
				return err(409, 'conflict', 'Volume is attached to a Droplet; detach it first.');
			state.volumes = state.volumes.filter((x) => x !== v);
			return { status: 204 };
		})
		.on('GET', '/v2/firewalls', (req) => page(req, 'firewalls', state.firewalls.map(firewallView)))
		.on('POST', '/v2/firewalls', (req) => {
			const b = req.body as {
				name: string;
				tags?: string[];
				droplet_ids?: number[];
				inbound_rules?: unknown[];
				outbound_rules?: unknown[];
			};
			const f: Firewall = {
				id: crypto.randomUUID(),
				name: b.name,
				tags: b.tags ?? [],
				droplet_ids: b.droplet_ids ?? [],
				inbound: b.inbound_rules ?? [],
				outbound: b.outbound_rules ?? [],
				created: Date.now()
			};
			state.firewalls.push(f);
			return { status: 202, body: { firewall: firewallView(f) } };
		})
		.on('GET', '/v2/firewalls/:id', (req) => {
			const f = state.firewalls.find((x) => x.id === req.params[0]);
			return f
				? { status: 200, body: { firewall: firewallView(f) } }
				: err(404, 'not_found', 'The resource you were accessing could not be found.');
		})
		.on('DELETE', '/v2/firewalls/:id', (req) => {
			const n = state.firewalls.length;
			state.firewalls = state.firewalls.filter((x) => x.id !== req.params[0]);
			return n === state.firewalls.length
				? err(404, 'not_found', 'The resource you were accessing could not be found.')
				: { status: 204 };
		})
		.on('GET', '/v2/droplets', (req) => {
			const name = req.query.get('name');
			return page(
				req,
				'droplets',
				state.droplets.filter((d) => tagged(d.tags, req) && (!name || d.name === name)).map(dropletView)
			);
		})
		.on('POST', '/v2/droplets', (req) => {
			const b = req.body as {
				name: string;
				region: string;
				size: string;
				image: number | string;
				tags?: string[];
				volumes?: string[];
				user_data?: string;
			};
			if (state.droplets.length >= dropletLimit) return digitalOceanDialect.quota;
			const image = state.images.find((i) => String(i.id) === String(b.image));
			if (!image) return err(422, 'unprocessable_entity', 'You specified an invalid image for Droplet creation.');
			if (Date.now() - image.created < importMs) return err(422, 'unprocessable_entity', 'Image is not yet available.');
			if (image.region !== b.region)
				return err(422, 'unprocessable_entity', 'Image is not available in the selected region.');
			for (const vid of b.volumes ?? []) {
				const v = state.volumes.find((x) => x.id === vid);
				if (!v) return err(422, 'unprocessable_entity', 'Volume not found.');
				if (v.region !== b.region)
					return err(422, 'unprocessable_entity', 'Volume is in a different region than the Droplet.');
			}
			if ((b.user_data ?? '').length > 64 * 1024) return err(422, 'unprocessable_entity', 'user_data exceeds 64 KiB');
			const id = nextId++;
			const d: Droplet = {
				id,
				name: b.name,
				region: b.region,
				size: b.size,
				image: image.id,
				tags: b.tags ?? [],
				volumes: b.volumes ?? [],
				created: Date.now(),
				userData: b.user_data ?? '',
				ip: `203.0.113.${(id % 200) + 20}`
			};
			for (const vid of d.volumes) state.volumes.find((v) => v.id === vid)?.droplets.push(id);
			state.droplets.push(d);
			return {
				status: 202,
				body: {
					droplet: dropletView(d),
					links: {
						actions: [{ id: nextId++, rel: 'create', href: `https://api.digitalocean.com/v2/actions/${nextId}` }]
					}
				}
			};
		})
		.on('GET', '/v2/droplets/:id', (req) => {
			const d = state.droplets.find((x) => String(x.id) === req.params[0]);
			return d
				? { status: 200, body: { droplet: dropletView(d) } }
				: err(404, 'not_found', 'The resource you were accessing could not be found.');
		})
		.on('DELETE', '/v2/droplets/:id', (req) => {
			const d = state.droplets.find((x) => String(x.id) === req.params[0]);
			if (!d) return err(404, 'not_found', 'The resource you were accessing could not be found.');
			state.droplets = state.droplets.filter((x) => x !== d);
			for (const v of state.volumes) v.droplets = v.droplets.filter((x) => x !== d.id);
			return { status: 204 };
		})
		.on('GET', '/v2/monitoring/metrics/droplet/cpu', (req) => metrics(req, 'cpu'))
		.on('GET', '/v2/monitoring/metrics/droplet/bandwidth', (req) => metrics(req, 'bandwidth'))
		.on('GET', '/v2/monitoring/metrics/droplet/filesystem_size', (req) => metrics(req, 'filesystem_size'))
		.on('GET', '/v2/monitoring/metrics/droplet/filesystem_free', (req) => metrics(req, 'filesystem_free'))
		.on('GET', '/v2/domains', (req) =>
			page(
				req,
				'domains',
				[...state.domains.keys()].map((name) => ({ name, ttl: 1800, zone_file: null }))
			)
		)
		.on('GET', '/v2/domains/:d/records', (req) => {
			const recs = state.domains.get(req.params[0]!);
			if (!recs) return err(404, 'not_found', 'The resource you were accessing could not be found.');
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
			if (!recs) return err(404, 'not_found', 'The resource you were accessing could not be found.');
			const b = req.body as DnsRecord;
			const rec = { ...dnsRecord(b), id: nextId++ };
			if (rec.type === 'CNAME' && recs.some((r) => r.name === rec.name))
				return err(422, 'unprocessable_entity', 'CNAME records cannot share a name with other records.');
			recs.push(rec);
			return { status: 201, body: { domain_record: rec } };
		})
		.on('PUT', '/v2/domains/:d/records/:id', (req) => {
			const recs = state.domains.get(req.params[0]!);
			const i = recs?.findIndex((r) => String(r.id) === req.params[1]) ?? -1;
			if (!recs || i < 0) return err(404, 'not_found', 'The resource you were accessing could not be found.');
			recs[i] = { ...recs[i]!, ...dnsRecord({ ...recs[i]!, ...(req.body as DnsRecord) }) };
			return { status: 200, body: { domain_record: recs[i] } };
		})
		.on('DELETE', '/v2/domains/:d/records/:id', (req) => {
			const recs = state.domains.get(req.params[0]!);
			const i = recs?.findIndex((r) => String(r.id) === req.params[1]) ?? -1;
			if (!recs || i < 0) return err(404, 'not_found', 'The resource you were accessing could not be found.');
			recs.splice(i, 1);
			return { status: 204 };
		});

	/**
	 * Prometheus-style matrices as DigitalOcean's monitoring API sends them: CPU as cumulative
	 * seconds per mode, bandwidth in Mbps, filesystem sizes in bytes (those only with the
	 * metrics agent, which nassella's Flatcar droplets do not install; `metricsAgent` turns it on).
	 * An unknown host gets an empty result, as a query that matches nothing would.
	 */
	function metrics(req: FakeRequest, kind: 'cpu' | 'bandwidth' | 'filesystem_size' | 'filesystem_free'): FakeResponse {
		const start = Number(req.query.get('start'));
		const end = Number(req.query.get('end'));
		if (!Number.isInteger(start) || !Number.isInteger(end) || end < start)
			return err(400, 'bad_request', 'start and end must be unix timestamps, start before end');
		const hostId = req.query.get('host_id') ?? '';
		const d = state.droplets.find((x) => String(x.id) === hostId);
		const answer = (result: unknown[]) => ({
			status: 200,
			body: { status: 'success', data: { resultType: 'matrix', result } }
		});
		if (!d || (kind.startsWith('filesystem') && !metricsAgent)) return answer([]);
		const m = sim(d.id, d.created, SIZES.find((x) => x.slug === d.size)?.vcpus ?? 1);
		const times = grid(m, start, end, widenStep(start, end, 60, 300));
		const series = (labels: Record<string, string>, at: (t: number) => number) => ({
			metric: { host_id: hostId, ...labels },
			values: times.map((t) => [t, String(Math.round(at(t) * 100) / 100)])
		});
		if (kind === 'cpu') {
			const all = (t: number) => Math.max(0, t - m.createdS) * m.vcpus;
			return answer([
				series({ mode: 'idle' }, (t) => all(t) - busySeconds(m, t)),
				series({ mode: 'user' }, (t) => 0.7 * busySeconds(m, t)),
				series({ mode: 'system' }, (t) => 0.3 * busySeconds(m, t))
			]);
		}
		if (kind === 'bandwidth') {
			const direction = req.query.get('direction') === 'outbound' ? 'outbound' : 'inbound';
			const iface = req.query.get('interface') ?? 'public';
			const mbps = (t: number) =>
				iface === 'public' ? (network(m, t, direction === 'inbound' ? 'in' : 'out') * 8) / 1e6 : 0;
			return answer([series({ interface: iface, direction }, mbps)]);
		}
		const disks = [
			{ device: '/dev/vda9', mountpoint: '/', bytes: (SIZES.find((x) => x.slug === d.size)?.disk ?? 25) * 2 ** 30 },
			...state.volumes
				.filter((v) => v.droplets.includes(d.id))
				.map((v, i) => ({
					device: `/dev/sd${'abcdefgh'[i] ?? 'z'}`,
					mountpoint: '/var/lib/nassella/data',
					bytes: v.size * 2 ** 30
				}))
		];
		return answer(
			disks.map((x, i) =>
				series({ device: x.device, fstype: 'ext4', mountpoint: x.mountpoint }, (t) =>
					kind === 'filesystem_size' ? x.bytes : Math.round(x.bytes * (1 - diskUsedShare(m, t, i === 0 ? 0.2 : 0.02)))
				)
			)
		);
	}

	return {
		api,
		state,
		lookup(fqdn: string, type: string) {
			const zone = [...state.domains.keys()]
				.filter((z) => fqdn === z || fqdn.endsWith('.' + z))
				.sort((a, b) => b.length - a.length)[0];
			if (!zone) return undefined;
			const rel = fqdn === zone ? '@' : fqdn.slice(0, -(zone.length + 1));
			const recs = state.domains.get(zone)!.filter((r) => r.name === rel && r.type === type);
			const value = (r: DnsRecord) =>
				r.type === 'TXT'
					? `"${r.data}"`
					: r.type === 'CAA'
						? `${r.flags ?? 0} ${r.tag ?? 'issue'} "${r.data}"`
						: r.data;
			return recs.length ? { values: recs.map(value), ttl: recs[0]!.ttl } : undefined;
		},
		/** Adds a domain as if the person had added it in DigitalOcean's control panel. */
		addDomain(name: string) {
			if (!state.domains.has(name))
				state.domains.set(name, [{ id: nextId++, type: 'NS', name: '@', data: 'ns1.digitalocean.com', ttl: 1800 }]);
		},
		reset() {
			state.images = [];
			state.droplets = [];
			state.volumes = [];
			state.firewalls = [];
			state.keys = [];
			state.domains.clear();
			api.faults = [];
		}
	};
}

function dnsRecord(b: DnsRecord): DnsRecord {
	const r: DnsRecord = { id: b.id, type: b.type, name: b.name, data: b.data, ttl: b.ttl ?? 1800 };
	if (b.type === 'CAA') {
		r.flags = b.flags ?? 0;
		r.tag = b.tag ?? 'issue';
	}
	return r;
}

function fingerprint(publicKey: string): string {
	let h = 0;
	for (const ch of publicKey) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
	const hex = (h.toString(16).padStart(8, '0') + publicKey.length.toString(16).padStart(8, '0')).repeat(2);
	return hex.match(/../g)!.join(':');
}

export type DigitalOceanFake = ReturnType<typeof createDigitalOceanFake>;
