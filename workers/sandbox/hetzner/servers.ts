/**
 * Hetzner servers: created from the system image or a snapshot (the builder's cloud-init
 * power-off simulated), deleted, snapshotted (create_image), and their metrics.
 */
import { iso } from '../kit.ts';
import { busy, diskBytes, diskOps, grid, network, sim, widenStep } from '../metrics.ts';
import { actionView } from './actions.ts';
import { err, getById, labelledList, notFound, now, validLabels, type HetznerContext } from './common.ts';
import { from } from '../routes.ts';
import { hetznerDialect } from './dialect.ts';
import { imageView, SYSTEM_IMAGES, systemImageView, type Image } from './images.ts';
import type { LabelMap } from './labels.ts';
import { location } from './locations.ts';
import { soldIn, TYPES, typeView } from './server-types.ts';

export interface Server {
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

export function serverRoutes(ctx: HetznerContext): void {
	const { api, state, options, bootMs, builderMs, snapshotMs, serverLimit, newId, action } = ctx;
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
					supported: TYPES.filter((t) => t.sold.includes(loc.name)).map((t) => t.id),
					available: TYPES.filter((t) => t.sold.includes(loc.name)).map((t) => t.id),
					available_for_migration: []
				}
			},
			image: systemImageView(state.images, s.image),
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
	api
		.on('GET', '/v1/servers', labelledList('servers', from(state, 'servers'), serverView))
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
			// What Hetzner answers for a type it does not sell in the location.
			if (!soldIn(b.server_type, loc)) return err(400, 'invalid_input', 'unsupported location for server type');
			for (const vid of b.volumes ?? []) {
				const v = state.volumes.find((x) => x.id === vid);
				if (!v) return err(400, 'invalid_input', 'volume not found');
				if (v.location !== loc) return err(400, 'invalid_input', 'volume is in another location');
				if (v.server !== null) return err(423, 'locked', 'volume is already attached');
			}
			for (const f of b.firewalls ?? [])
				if (!state.firewalls.some((x) => x.id === f.firewall)) return err(400, 'invalid_input', 'firewall not found');
			const id = newId();
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
		.on('GET', '/v1/servers/:id', getById('server', from(state, 'servers'), serverView))
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
				id: newId(),
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
		});
}
