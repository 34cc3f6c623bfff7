/**
 * Stateful fake of the Hetzner Cloud API endpoints nassella uses: servers (with the
 * builder's cloud-init power-off simulated), snapshots, SSH keys, volumes, firewalls, async
 * actions, metrics, and DNS zones with rrsets. Validated against the official spec.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeApi, bearer, iso, type Dialect, type FakeRequest, type FakeResponse } from '../kit.ts';
import { SpecValidator } from '../openapi.ts';
import { here } from '../specs/extract.ts';
import { matchesSelector, type LabelMap } from './labels.ts';
import { busy, diskBytes, diskOps, grid, network, sim, widenStep } from '../metrics.ts';

const LOCATIONS = [
	{
		id: 1,
		name: 'fsn1',
		description: 'Falkenstein DC Park 1',
		country: 'DE',
		city: 'Falkenstein',
		latitude: 50.47612,
		longitude: 12.370071,
		network_zone: 'eu-central'
	},
	{
		id: 2,
		name: 'nbg1',
		description: 'Nuremberg DC Park 1',
		country: 'DE',
		city: 'Nuremberg',
		latitude: 49.452102,
		longitude: 11.076665,
		network_zone: 'eu-central'
	},
	{
		id: 3,
		name: 'hel1',
		description: 'Helsinki DC Park 1',
		country: 'FI',
		city: 'Helsinki',
		latitude: 60.169855,
		longitude: 24.938379,
		network_zone: 'eu-central'
	}
];
const TYPES = [
	{ id: 104, name: 'cx22', cores: 2, memory: 4, disk: 40, architecture: 'x86', monthly: '4.5100000000' },
	{ id: 105, name: 'cx32', cores: 4, memory: 8, disk: 80, architecture: 'x86', monthly: '8.2400000000' },
	{ id: 45, name: 'cax11', cores: 2, memory: 4, disk: 40, architecture: 'arm', monthly: '4.5100000000' }
];
const SYSTEM_IMAGES = [{ id: 161547269, name: 'ubuntu-24.04', flavor: 'ubuntu', version: '24.04' }];

export const hetznerDialect: Dialect = {
	name: 'Hetzner',
	token: bearer,
	error: (_status, code, message) => ({ error: { code: hetznerCode(code), message, details: {} } }),
	rateLimitHeaders: (remaining, limit, reset) => ({
		'RateLimit-Limit': String(limit),
		'RateLimit-Remaining': String(remaining),
		'RateLimit-Reset': String(reset)
	}),
	quota: {
		status: 403,
		body: { error: { code: 'resource_limit_exceeded', message: 'server limit exceeded', details: {} } }
	}
};

function hetznerCode(code: string): string {
	return (
		(
			{
				unauthorized: 'unauthorized',
				rate_limit_exceeded: 'rate_limit_exceeded',
				unavailable: 'unavailable',
				not_found: 'not_found',
				invalid_input: 'invalid_input'
			} as Record<string, string>
		)[code] ?? code
	);
}

let cachedValidator: SpecValidator | undefined;
export function hetznerValidator(): SpecValidator {
	cachedValidator ??= new SpecValidator(JSON.parse(readFileSync(join(here, 'hetzner.subset.json'), 'utf8')), '/v1');
	return cachedValidator;
}

interface Action {
	id: number;
	command: string;
	resources: { id: number; type: string }[];
	started: number;
	doneAt: number;
}
interface Server {
	id: number;
	name: string;
	type: string;
	location: string;
	image: number;
	labels: LabelMap;
	volumes: number[];
	firewalls: number[];
	created: number;
	userData: string;
	powersOffAt?: number;
	ip: string;
}
interface Image {
	id: number;
	description: string;
	labels: LabelMap;
	created: number;
	readyAt: number;
	fromServer: { id: number; name: string };
}
interface Key {
	id: number;
	name: string;
	public_key: string;
	labels: LabelMap;
	created: number;
}
interface Volume {
	id: number;
	name: string;
	size: number;
	location: string;
	labels: LabelMap;
	server: number | null;
	created: number;
}
interface Firewall {
	id: number;
	name: string;
	labels: LabelMap;
	rules: unknown[];
	created: number;
	servers: number[];
}
interface RRSet {
	name: string;
	type: string;
	ttl: number | null;
	records: { value: string; comment?: string }[];
	labels: LabelMap;
}
interface Zone {
	id: number;
	name: string;
	ttl: number;
	created: number;
	rrsets: RRSet[];
}

export interface HetznerFakeOptions {
	tokens?: string[];
	latencyMs?: number;
	bootMs?: number;
	/** How long the builder's cloud-init takes to write Flatcar and power off. */
	builderMs?: number;
	snapshotMs?: number;
	actionMs?: number;
	serverLimit?: number;
	/** The builder's script fails before writing (it then reboots into Ubuntu instead of powering off). */
	builderFails?: boolean;
	validate?: boolean;
	acceptAnyToken?: boolean;
}

export function createHetznerFake(options: HetznerFakeOptions = {}) {
	const api = new FakeApi({
		dialect: hetznerDialect,
		validator: options.validate === false ? undefined : hetznerValidator(),
		tokens: options.tokens,
		acceptAnyToken: options.acceptAnyToken,
		latencyMs: options.latencyMs,
		rateLimit: 3600
	});
	const bootMs = options.bootMs ?? 50;
	const builderMs = options.builderMs ?? 100;
	const snapshotMs = options.snapshotMs ?? 50;
	const actionMs = options.actionMs ?? 20;
	const serverLimit = options.serverLimit ?? 10;
	let nextId = 5000;
	const state = {
		actions: [] as Action[],
		servers: [] as Server[],
		images: [] as Image[],
		keys: [] as Key[],
		volumes: [] as Volume[],
		firewalls: [] as Firewall[],
		zones: [] as Zone[]
	};
	const now = () => Date.now();
	const err = (status: number, code: string, message: string): FakeResponse => ({
		status,
		body: { error: { code, message, details: {} } }
	});
	const notFound = () => err(404, 'not_found', 'resource not found');
	const location = (name: string) => LOCATIONS.find((l) => l.name === name) ?? LOCATIONS[0]!;
	const action = (command: string, resources: { id: number; type: string }[], ms = actionMs): Action => {
		const a = { id: nextId++, command, resources, started: now(), doneAt: now() + ms };
		state.actions.push(a);
		return a;
	};
	const actionView = (a: Action) => {
		const done = now() >= a.doneAt;
		return {
			id: a.id,
			command: a.command,
			status: done ? 'success' : 'running',
			progress: done ? 100 : 50,
			started: iso(a.started),
			finished: done ? iso(a.doneAt) : null,
			resources: a.resources,
			error: null
		};
	};
	const pagination = (req: FakeRequest, items: unknown[]) => {
		const per = Math.min(50, Number(req.query.get('per_page') ?? 25));
		const p = Number(req.query.get('page') ?? 1);
		const last = Math.max(1, Math.ceil(items.length / per));
		return {
			items: items.slice((p - 1) * per, p * per),
			meta: {
				pagination: {
					page: p,
					per_page: per,
					previous_page: p > 1 ? p - 1 : null,
					next_page: p < last ? p + 1 : null,
					last_page: last,
					total_entries: items.length
				}
			}
		};
	};
	const list = (req: FakeRequest, key: string, items: unknown[]): FakeResponse => {
		const { items: slice, meta } = pagination(req, items);
		return { status: 200, body: { [key]: slice, meta } };
	};
	const select = <T extends { labels: LabelMap; name?: string }>(req: FakeRequest, items: T[]) => {
		const selector = req.query.get('label_selector');
		const name = req.query.get('name');
		return items.filter((i) => (!selector || matchesSelector(i.labels, selector)) && (!name || i.name === name));
	};
	const typeView = (name: string) => {
		const t = TYPES.find((x) => x.name === name) ?? TYPES[0]!;
		return {
			id: t.id,
			name: t.name,
			description: t.name.toUpperCase(),
			cores: t.cores,
			memory: t.memory,
			disk: t.disk,
			deprecated: false,
			prices: LOCATIONS.map((l) => ({
				location: l.name,
				price_hourly: { net: '0.0060000000', gross: '0.0071400000' },
				price_monthly: { net: t.monthly, gross: (Number(t.monthly) * 1.19).toFixed(10) },
				included_traffic: 21990232555520,
				price_per_tb_traffic: { net: '1.0000000000', gross: '1.1900000000' }
			})),
			storage_type: 'local',
			cpu_type: 'shared',
			category: 'cost_optimized',
			architecture: t.architecture,
			locations: LOCATIONS.map((l) => ({ id: l.id, name: l.name, deprecation: null }))
		};
	};
	const imageView = (i: Image) => ({
		id: i.id,
		type: 'snapshot',
		status: now() >= i.readyAt ? 'available' : 'creating',
		name: null,
		description: i.description,
		image_size: 0.6,
		disk_size: 40,
		created: iso(i.created),
		created_from: i.fromServer,
		bound_to: null,
		os_flavor: 'unknown',
		os_version: null,
		rapid_deploy: false,
		protection: { delete: false },
		deprecated: null,
		deleted: null,
		labels: i.labels,
		architecture: 'x86'
	});
	const systemImageView = (id: number) => {
		const s = SYSTEM_IMAGES.find((x) => x.id === id);
		if (!s) return imageView(state.images.find((x) => x.id === id)!);
		return {
			id: s.id,
			type: 'system',
			status: 'available',
			name: s.name,
			description: 'Ubuntu 24.04',
			image_size: null,
			disk_size: 5,
			created: '2024-04-25T00:00:00Z',
			created_from: null,
			bound_to: null,
			os_flavor: s.flavor,
			os_version: s.version,
			rapid_deploy: true,
			protection: { delete: false },
			deprecated: null,
			deleted: null,
			labels: {},
			architecture: 'x86'
		};
	};
	const status = (s: Server) => {
		const t = now();
		if (t - s.created < bootMs) return 'initializing';
		if (s.powersOffAt !== undefined && t >= s.powersOffAt) return 'off';
		return 'running';
	};
	const serverView = (s: Server) => {
		const loc = location(s.location);
		const booted = now() - s.created >= bootMs;
		return {
			id: s.id,
			name: s.name,
			status: status(s),
			created: iso(s.created),
			public_net: {
				ipv4: booted
					? { id: s.id + 1, ip: s.ip, blocked: false, dns_ptr: `static.${s.ip}.clients.your-server.de` }
					: null,
				ipv6: null,
				floating_ips: [],
				firewalls: s.firewalls.map((id) => ({ id, status: 'applied' }))
			},
			private_net: [],
			server_type: typeView(s.type),
			datacenter: {
				id: loc.id,
				name: `${loc.name}-dc14`,
				description: `${loc.description} DC14`,
				location: loc,
				server_types: {
					supported: TYPES.map((t) => t.id),
					available: TYPES.map((t) => t.id),
					available_for_migration: []
				}
			},
			image: systemImageView(s.image),
			iso: null,
			rescue_enabled: false,
			locked: false,
			backup_window: null,
			outgoing_traffic: 0,
			ingoing_traffic: 0,
			included_traffic: 21990232555520,
			protection: { delete: false, rebuild: false },
			labels: s.labels,
			volumes: s.volumes,
			load_balancers: [],
			primary_disk_size: 40,
			location: loc
		};
	};
	const volumeView = (v: Volume) => ({
		id: v.id,
		created: iso(v.created),
		name: v.name,
		server: v.server,
		location: location(v.location),
		size: v.size,
		linux_device: `/dev/disk/by-id/scsi-0HC_Volume_${v.id}`,
		protection: { delete: false },
		labels: v.labels,
		status: 'available',
		format: 'ext4'
	});
	const firewallView = (f: Firewall) => ({
		id: f.id,
		name: f.name,
		labels: f.labels,
		created: iso(f.created),
		rules: f.rules,
		applied_to: f.servers.map((id) => ({ type: 'server', server: { id } }))
	});
	const keyView = (k: Key) => ({
		id: k.id,
		name: k.name,
		fingerprint: fingerprint(k.public_key),
		public_key: k.public_key,
		labels: k.labels,
		created: iso(k.created)
	});
	const zone = (idOrName: string) => state.zones.find((z) => String(z.id) === idOrName || z.name === idOrName);
	const rrsetView = (z: Zone, r: RRSet) => ({
		id: `${r.name}/${r.type}`,
		name: r.name,
		type: r.type,
		ttl: r.ttl,
		labels: r.labels,
		protection: { change: false },
		records: r.records,
		zone: z.id
	});
	const zoneView = (z: Zone) => ({
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
	const selectorError = (req: FakeRequest): FakeResponse | undefined => {
		const s = req.query.get('label_selector');
		if (!s) return undefined;
		try {
			matchesSelector({}, s);
			return undefined;
		} catch {
			return err(400, 'invalid_input', 'invalid label_selector');
		}
	};
	const validLabels = (labels: LabelMap | undefined) =>
		Object.entries(labels ?? {}).every(
			([k, v]) =>
				/^([a-z0-9.-]+\/)?[A-Za-z0-9]([\w.-]{0,61}[A-Za-z0-9])?$/.test(k) &&
				/^([A-Za-z0-9]([\w.-]{0,61}[A-Za-z0-9])?)?$/.test(v)
		);

	api
		.on('GET', '/v1/locations', (req) => list(req, 'locations', LOCATIONS))
		// Prices as Hetzner states them for the project (net and with VAT); the volume price is
		// what the review page adds for the data disk.
		.on('GET', '/v1/pricing', () => {
			const price = (net: string) => ({ net, gross: (Number(net) * 1.19).toFixed(10) });
			return {
				status: 200,
				body: {
					pricing: {
						currency: 'EUR',
						vat_rate: '19.00',
						image: { price_per_gb_month: price('0.0110000000') },
						floating_ip: { price_monthly: price('3.0000000000') },
						floating_ips: [
							{
								type: 'ipv4',
								prices: LOCATIONS.map((l) => ({ location: l.name, price_monthly: price('3.0000000000') }))
							}
						],
						primary_ips: [
							{
								type: 'ipv4',
								prices: LOCATIONS.map((l) => ({
									location: l.name,
									price_hourly: price('0.0010000000'),
									price_monthly: price('0.5000000000')
								}))
							}
						],
						load_balancer_types: [],
						server_backup: { percentage: '20.00' },
						server_types: TYPES.map((t) => ({ id: t.id, name: t.name, prices: typeView(t.name).prices })),
						volume: { price_per_gb_month: price('0.0440000000') }
					}
				}
			};
		})
		.on('GET', '/v1/server_types', (req) =>
			list(
				req,
				'server_types',
				TYPES.map((t) => typeView(t.name))
			)
		)
		.on(
			'GET',
			'/v1/images',
			(req) =>
				selectorError(req) ??
				list(
					req,
					'images',
					select(req, state.images)
						.filter(() => !req.query.get('type') || req.query.get('type') === 'snapshot')
						.map(imageView)
				)
		)
		.on('GET', '/v1/images/:id', (req) => {
			const i = state.images.find((x) => String(x.id) === req.params[0]);
			return i ? { status: 200, body: { image: imageView(i) } } : notFound();
		})
		.on('DELETE', '/v1/images/:id', (req) => {
			const n = state.images.length;
			state.images = state.images.filter((x) => String(x.id) !== req.params[0]);
			return n === state.images.length ? notFound() : { status: 204 };
		})
		.on(
			'GET',
			'/v1/ssh_keys',
			(req) => selectorError(req) ?? list(req, 'ssh_keys', select(req, state.keys).map(keyView))
		)
		.on('POST', '/v1/ssh_keys', (req) => {
			const b = req.body as { name: string; public_key: string; labels?: LabelMap };
			if (!validLabels(b.labels)) return err(400, 'invalid_input', 'invalid input in field labels');
			if (state.keys.some((k) => k.name === b.name))
				return err(409, 'uniqueness_error', 'SSH key with the same name already exists');
			if (state.keys.some((k) => k.public_key === b.public_key))
				return err(409, 'uniqueness_error', 'SSH key with the same fingerprint already exists');
			const k: Key = { id: nextId++, name: b.name, public_key: b.public_key, labels: b.labels ?? {}, created: now() };
			state.keys.push(k);
			return { status: 201, body: { ssh_key: keyView(k) } };
		})
		.on('DELETE', '/v1/ssh_keys/:id', (req) => {
			const n = state.keys.length;
			state.keys = state.keys.filter((x) => String(x.id) !== req.params[0]);
			return n === state.keys.length ? notFound() : { status: 204 };
		})
		.on(
			'GET',
			'/v1/volumes',
			(req) => selectorError(req) ?? list(req, 'volumes', select(req, state.volumes).map(volumeView))
		)
		.on('POST', '/v1/volumes', (req) => {
			const b = req.body as { name: string; size: number; location?: string; labels?: LabelMap; format?: string };
			if (!validLabels(b.labels)) return err(400, 'invalid_input', 'invalid input in field labels');
			if (state.volumes.some((v) => v.name === b.name))
				return err(409, 'uniqueness_error', 'volume name is already used');
			if (b.size < 10) return err(400, 'invalid_input', 'size must be at least 10');
			const v: Volume = {
				id: nextId++,
				name: b.name,
				size: b.size,
				location: b.location ?? 'fsn1',
				labels: b.labels ?? {},
				server: null,
				created: now()
			};
			state.volumes.push(v);
			const a = action('create_volume', [{ id: v.id, type: 'volume' }]);
			return { status: 201, body: { volume: volumeView(v), action: actionView(a), next_actions: [] } };
		})
		.on('GET', '/v1/volumes/:id', (req) => {
			const v = state.volumes.find((x) => String(x.id) === req.params[0]);
			return v ? { status: 200, body: { volume: volumeView(v) } } : notFound();
		})
		.on('DELETE', '/v1/volumes/:id', (req) => {
			const v = state.volumes.find((x) => String(x.id) === req.params[0]);
			if (!v) return notFound();
			if (v.server !== null) return err(423, 'locked', 'volume is attached to a server');
			state.volumes = state.volumes.filter((x) => x !== v);
			return { status: 204 };
		})
		.on(
			'GET',
			'/v1/firewalls',
			(req) => selectorError(req) ?? list(req, 'firewalls', select(req, state.firewalls).map(firewallView))
		)
		.on('POST', '/v1/firewalls', (req) => {
			const b = req.body as { name: string; labels?: LabelMap; rules?: unknown[] };
			if (!validLabels(b.labels)) return err(400, 'invalid_input', 'invalid input in field labels');
			if (state.firewalls.some((f) => f.name === b.name))
				return err(409, 'uniqueness_error', 'firewall name is already used');
			const rules = (b.rules ?? []).map((r) => ({
				description: null,
				port: null,
				source_ips: [],
				destination_ips: [],
				...(r as object)
			}));
			const f: Firewall = { id: nextId++, name: b.name, labels: b.labels ?? {}, rules, created: now(), servers: [] };
			state.firewalls.push(f);
			return { status: 201, body: { firewall: firewallView(f), actions: [] } };
		})
		.on('DELETE', '/v1/firewalls/:id', (req) => {
			const f = state.firewalls.find((x) => String(x.id) === req.params[0]);
			if (!f) return notFound();
			if (state.servers.some((s) => s.firewalls.includes(f.id)))
				return err(422, 'resource_in_use', 'firewall is still applied to a server');
			state.firewalls = state.firewalls.filter((x) => x !== f);
			return { status: 204 };
		})
		.on(
			'GET',
			'/v1/servers',
			(req) => selectorError(req) ?? list(req, 'servers', select(req, state.servers).map(serverView))
		)
		.on('POST', '/v1/servers', (req) => {
			const b = req.body as {
				name: string;
				server_type: string;
				location?: string;
				image: string;
				user_data?: string;
				labels?: LabelMap;
				volumes?: number[];
				firewalls?: { firewall: number }[];
				ssh_keys?: string[];
				automount?: boolean;
			};
			if (!validLabels(b.labels)) return err(400, 'invalid_input', 'invalid input in field labels');
			if (state.servers.some((s) => s.name === b.name))
				return err(409, 'uniqueness_error', 'server name is already used');
			if (state.servers.length >= serverLimit) return hetznerDialect.quota;
			if ((b.user_data ?? '').length > 32 * 1024) return err(400, 'invalid_input', 'user_data is limited to 32KiB');
			if (!TYPES.some((t) => t.name === b.server_type)) return err(400, 'invalid_input', 'unknown server type');
			const sys = SYSTEM_IMAGES.find((i) => i.name === b.image || String(i.id) === b.image);
			const snap = state.images.find((i) => String(i.id) === b.image);
			if (!sys && !snap) return err(400, 'invalid_input', 'image not found');
			if (snap && now() < snap.readyAt) return err(423, 'locked', 'image is still being created');
			const loc = b.location ?? 'fsn1';
			for (const vid of b.volumes ?? []) {
				const v = state.volumes.find((x) => x.id === vid);
				if (!v) return err(400, 'invalid_input', 'volume not found');
				if (v.location !== loc) return err(400, 'invalid_input', 'volume is in another location');
				if (v.server !== null) return err(423, 'locked', 'volume is already attached');
			}
			for (const f of b.firewalls ?? [])
				if (!state.firewalls.some((x) => x.id === f.firewall)) return err(400, 'invalid_input', 'firewall not found');
			const id = nextId++;
			const userData = b.user_data ?? '';
			// cloud-init that ends by powering off (power_state, or a sysrq "o"): the builder's disk-write-then-poweroff.
			const poweroff =
				/^#cloud-config/.test(userData) &&
				/power_state:\s*\n\s+mode:\s*poweroff|echo o > \/proc\/sysrq-trigger/.test(userData);
			const s: Server = {
				id,
				name: b.name,
				type: b.server_type,
				location: loc,
				image: sys?.id ?? snap!.id,
				labels: b.labels ?? {},
				volumes: b.volumes ?? [],
				firewalls: (b.firewalls ?? []).map((f) => f.firewall),
				created: now(),
				userData,
				ip: `198.51.100.${(id % 200) + 20}`,
				powersOffAt: poweroff && !options.builderFails ? now() + bootMs + builderMs : undefined
			};
			for (const vid of s.volumes) state.volumes.find((v) => v.id === vid)!.server = id;
			for (const fid of s.firewalls) state.firewalls.find((f) => f.id === fid)!.servers.push(id);
			state.servers.push(s);
			const a = action('create_server', [{ id, type: 'server' }], bootMs);
			const start = action('start_server', [{ id, type: 'server' }], bootMs);
			return {
				status: 201,
				body: { server: serverView(s), action: actionView(a), next_actions: [actionView(start)], root_password: null }
			};
		})
		.on('GET', '/v1/servers/:id', (req) => {
			const s = state.servers.find((x) => String(x.id) === req.params[0]);
			return s ? { status: 200, body: { server: serverView(s) } } : notFound();
		})
		.on('DELETE', '/v1/servers/:id', (req) => {
			const s = state.servers.find((x) => String(x.id) === req.params[0]);
			if (!s) return notFound();
			state.servers = state.servers.filter((x) => x !== s);
			for (const v of state.volumes) if (v.server === s.id) v.server = null;
			for (const f of state.firewalls) f.servers = f.servers.filter((x) => x !== s.id);
			return { status: 200, body: { action: actionView(action('delete_server', [{ id: s.id, type: 'server' }])) } };
		})
		.on('POST', '/v1/servers/:id/actions/create_image', (req) => {
			const s = state.servers.find((x) => String(x.id) === req.params[0]);
			if (!s) return notFound();
			const b = (req.body ?? {}) as { description?: string; labels?: LabelMap; type?: string };
			if (!validLabels(b.labels)) return err(400, 'invalid_input', 'invalid input in field labels');
			const i: Image = {
				id: nextId++,
				description: b.description ?? '',
				labels: b.labels ?? {},
				created: now(),
				readyAt: now() + snapshotMs,
				fromServer: { id: s.id, name: s.name }
			};
			state.images.push(i);
			const a = action(
				'create_image',
				[
					{ id: s.id, type: 'server' },
					{ id: i.id, type: 'image' }
				],
				snapshotMs
			);
			return { status: 201, body: { image: imageView(i), action: actionView(a) } };
		})
		.on('GET', '/v1/servers/:id/metrics', (req) => {
			const s = state.servers.find((x) => String(x.id) === req.params[0]);
			if (!s) return notFound();
			const start = Date.parse(req.query.get('start') ?? '');
			const end = Date.parse(req.query.get('end') ?? '');
			if (Number.isNaN(start) || Number.isNaN(end) || end < start)
				return err(400, 'invalid_input', 'start and end must be RFC 3339 times, start before end');
			const asked = req.query.get('step');
			if (asked !== null && !/^[1-9][0-9]{0,7}$/.test(asked)) return err(400, 'invalid_input', 'invalid step');
			const [startS, endS] = [Math.floor(start / 1000), Math.floor(end / 1000)];
			// As documented: about 200 samples without a step, never more than 500.
			const step = widenStep(startS, endS, asked ? Number(asked) : 0, asked ? 500 : 200);
			const m = sim(s.id, s.created, TYPES.find((t) => t.name === s.type)?.cores ?? 1);
			const times = grid(m, startS, endS, step);
			const values = (f: (t: number) => number) => ({ values: times.map((t) => [t, String(f(t))]) });
			const types = new Set((req.query.get('type') ?? '').split(','));
			const series: Record<string, { values: (string | number)[][] }> = {};
			if (types.has('cpu')) series.cpu = values((t) => Math.round(busy(m, t) * 1000) / 10);
			if (types.has('disk')) {
				series['disk.0.iops.read'] = values((t) => diskOps(m, t, 'read'));
				series['disk.0.iops.write'] = values((t) => diskOps(m, t, 'write'));
				series['disk.0.bandwidth.read'] = values((t) => diskBytes(m, t, 'read'));
				series['disk.0.bandwidth.write'] = values((t) => diskBytes(m, t, 'write'));
			}
			if (types.has('network')) {
				series['network.0.pps.in'] = values((t) => Math.round(network(m, t, 'in') / 900));
				series['network.0.pps.out'] = values((t) => Math.round(network(m, t, 'out') / 900));
				series['network.0.bandwidth.in'] = values((t) => network(m, t, 'in'));
				series['network.0.bandwidth.out'] = values((t) => network(m, t, 'out'));
			}
			return {
				status: 200,
				body: { metrics: { start: iso(start), end: iso(end), step, time_series: series } }
			};
		})
		.on('GET', '/v1/actions/:id', (req) => {
			const a = state.actions.find((x) => String(x.id) === req.params[0]);
			return a ? { status: 200, body: { action: actionView(a) } } : notFound();
		})
		.on('GET', '/v1/zones', (req) => {
			const name = req.query.get('name');
			return list(req, 'zones', state.zones.filter((z) => !name || z.name === name).map(zoneView));
		})
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

	return {
		api,
		state,
		lookup(fqdn: string, type: string) {
			const z = state.zones
				.filter((x) => fqdn === x.name || fqdn.endsWith('.' + x.name))
				.sort((a, b) => b.name.length - a.name.length)[0];
			const rel = z && (fqdn === z.name ? '@' : fqdn.slice(0, -(z.name.length + 1)));
			const r = z?.rrsets.find((x) => x.name === rel && x.type === type);
			return r && { values: r.records.map((x) => x.value), ttl: r.ttl ?? z!.ttl };
		},
		/** Adds a DNS zone as if the person had created it in Hetzner's console. */
		addZone(name: string) {
			if (!state.zones.some((z) => z.name === name))
				state.zones.push({
					id: nextId++,
					name,
					ttl: 3600,
					created: now(),
					rrsets: [{ name: '@', type: 'NS', ttl: null, labels: {}, records: [{ value: 'hydrogen.ns.hetzner.com.' }] }]
				});
		},
		reset() {
			for (const k of Object.keys(state) as (keyof typeof state)[]) state[k].length = 0;
			api.faults = [];
		}
	};
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

function fingerprint(publicKey: string): string {
	let h = 7;
	for (const ch of publicKey) h = (h * 33 + ch.charCodeAt(0)) >>> 0;
	return h.toString(16).padStart(8, '0').repeat(4).match(/../g)!.join(':');
}

export type HetznerFake = ReturnType<typeof createHetznerFake>;
