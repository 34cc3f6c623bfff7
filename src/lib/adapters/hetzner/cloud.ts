/**
 * Hetzner Cloud as a CloudProvider (through the proxy). Flatcar comes from a labelled snapshot
 * made once by a temporary builder server (builder.ts; experimental until it has run on a
 * real account). Names are unique per project, so a retried create meets `uniqueness_error`
 * and looks again instead of making a second.
 */
import { ProviderError } from '../../core/errors.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Labels } from '../../core/labels.ts';
import type {
	CloudProvider,
	CloudResource,
	Metrics,
	MetricsQuery,
	ServerMetrics,
	Progress,
	Region,
	Server,
	ServerSpec,
	Size,
	VolumePrice
} from '../../ports/cloud.ts';
import { toLegacyMetrics } from '../../core/metrics.ts';
import { fromHetznerMetrics, hetznerMetricsRequest } from './convert.ts';
import { deleteIfThere, realSleep, type JsonApi } from '../http/chain.ts';
import { ensureOnce, pollUntil } from '../http/reconcile.ts';
import { hetznerApi, listAll, selector, type HetznerOptions } from './api.ts';
import { builderUserData } from './builder.ts';

interface HAction {
	id: number;
	status: 'running' | 'success' | 'error';
	error?: { code: string; message: string } | null;
}
interface HServer {
	id: number;
	name: string;
	status: string;
	labels: Record<string, string>;
	location: { name: string };
	public_net: { ipv4: { ip: string } | null; ipv6: { ip: string } | null };
}
interface HImage {
	id: number;
	status: string;
	description: string;
	labels: Record<string, string>;
}
interface Named {
	id: number;
	name: string;
	labels: Record<string, string>;
	location?: { name: string };
}

export const BUILDER_NAME = 'nassella-flatcar-builder';
const ROLE_LABEL = 'nassella-role';

export class HetznerCloud implements CloudProvider {
	readonly id: string;
	readonly displayName: string;
	/** Shown next to the choice: the Flatcar route has not yet run on a real account. */
	readonly experimental = true;
	private readonly api: JsonApi;
	private readonly options: HetznerOptions;

	constructor(options: HetznerOptions & { id?: string; displayName?: string }) {
		this.options = options;
		this.api = hetznerApi(options);
		this.id = options.id ?? 'hetzner';
		this.displayName = options.displayName ?? 'Hetzner Cloud (experimental)';
	}

	private get sleep() {
		return this.options.sleep ?? realSleep;
	}

	private wait<T>(
		check: () => Promise<T | undefined>,
		what: string,
		timeoutMs: number,
		progress?: Progress,
		signal?: AbortSignal,
		label?: string
	) {
		return pollUntil(check, {
			intervalMs: this.options.pollMs ?? 5_000,
			timeoutMs,
			sleep: this.sleep,
			signal,
			what,
			provider: 'Hetzner',
			onTick: (ms) => progress?.({ message: label ?? `Waiting for ${what}`, fraction: Math.min(0.95, ms / timeoutMs) })
		});
	}

	private async waitAction(id: number, what: string) {
		await this.wait(
			async () => {
				const { data } = await this.api.call<{ action: HAction }>('GET', `/actions/${id}`);
				if (data.action.status === 'error')
					throw new ProviderError({
						code: 'unavailable',
						provider: 'Hetzner',
						message: `Hetzner could not finish ${what}.`,
						action: "Try again; if it keeps failing, check the project in Hetzner's console."
					});
				return data.action.status === 'success' ? true : undefined;
			},
			what,
			this.options.waitTimeoutMs ?? 10 * 60_000
		);
	}

	async verify() {
		// Hetzner has no "who am I"; a cheap authorised read proves the token works for this project.
		await this.api.call('GET', '/locations', { query: { per_page: 1 } });
		return { account: 'Hetzner Cloud project' };
	}

	async regions(): Promise<Region[]> {
		const list = await listAll<{ name: string; description: string; country: string; city: string }>(
			this.api,
			'/locations',
			'locations'
		);
		return list.map((l) => ({ id: l.name, name: `${l.city} (${l.name})`, country: l.country, available: true }));
	}

	async sizes(): Promise<Size[]> {
		type T = {
			name: string;
			description: string;
			cores: number;
			memory: number;
			disk: number;
			architecture: 'x86' | 'arm';
			deprecated: boolean | null;
			prices: { location: string; price_monthly: { gross: string } }[];
		};
		const list = await listAll<T>(this.api, '/server_types', 'server_types');
		return list
			.filter((t) => !t.deprecated && t.prices.length)
			.map((t) => ({
				id: t.name,
				name: t.description,
				vcpus: t.cores,
				memoryMiB: Math.round(t.memory * 1024),
				diskGiB: t.disk,
				monthlyPrice: Math.min(...t.prices.map((p) => Number(p.price_monthly.gross))),
				currency: 'EUR',
				regions: t.prices.map((p) => p.location),
				arch: t.architecture === 'arm' ? ('arm64' as const) : ('amd64' as const)
			}));
	}

	/** Hetzner states the volume price per GB and month, with VAT ("gross"), in GET /pricing. */
	async volumePrice(_region: string): Promise<VolumePrice> {
		const { data } = await this.api.call<{
			pricing: { currency: string; volume: { price_per_gb_month: { gross: string } } };
		}>('GET', '/pricing');
		const perGiB = Number(data.pricing.volume.price_per_gb_month.gross);
		if (!Number.isFinite(perGiB) || perGiB < 0)
			throw new ProviderError({
				code: 'unexpected',
				provider: 'Hetzner',
				message: 'Hetzner gave no usable price for volumes.',
				action: 'Try again later.'
			});
		return { monthlyPerGiB: perGiB, currency: data.pricing.currency, source: 'provider' };
	}

	private snapshotLabels(arch: 'x86' | 'arm'): Labels {
		return {
			[MANAGED_BY_LABEL]: MANAGED_BY_VALUE,
			os: 'flatcar',
			channel: this.options.flatcarChannel ?? 'stable',
			arch
		};
	}

	/**
	 * A Flatcar snapshot, built once per project and reused for every server (snapshots work in
	 * every location). Resumable: an existing snapshot, a builder still writing, or a builder
	 * already off are each picked up where they stand.
	 */
	/** The shared Flatcar snapshot (one per project and architecture; snapshots are not tied to a location). */
	private async findSnapshot(arch: 'x86' | 'arm'): Promise<HImage | undefined> {
		const images = await listAll<HImage>(this.api, '/images', 'images', {
			type: 'snapshot',
			label_selector: selector(this.snapshotLabels(arch))
		});
		return images.find((i) => i.status === 'available') ?? images.find((i) => i.status === 'creating');
	}

	private snapshotView(i: HImage): CloudResource {
		return { kind: 'snapshot', id: String(i.id), name: i.description, labels: i.labels, status: i.status };
	}

	async findImage(_region: string): Promise<CloudResource | undefined> {
		const snapshot = await this.findSnapshot('x86');
		return snapshot && this.snapshotView(snapshot);
	}

	async ensureImage(region: string, _labels: Labels, progress?: Progress): Promise<CloudResource> {
		const arch = 'x86' as const;
		const labels = this.snapshotLabels(arch);
		const findSnapshot = () => this.findSnapshot(arch);
		const view = (i: HImage): CloudResource => this.snapshotView(i);
		progress?.({ message: 'Looking for a Flatcar snapshot in your Hetzner project', fraction: 0 });
		let snapshot = await findSnapshot();
		if (!snapshot) {
			const builder = await this.ensureBuilder(region, arch, progress);
			snapshot = (await findSnapshot()) ?? (await this.snapshotBuilder(builder, labels, progress));
		}
		if (snapshot.status !== 'available') {
			progress?.({ message: 'Hetzner is saving the Flatcar snapshot', fraction: 0.85 });
			snapshot = await this.wait(
				async () => {
					const { data } = await this.api.call<{ image: HImage }>('GET', `/images/${snapshot!.id}`);
					return data.image.status === 'available' ? data.image : undefined;
				},
				'the Flatcar snapshot',
				this.options.waitTimeoutMs ?? 30 * 60_000
			);
		}
		await this.removeBuilder();
		progress?.({ message: 'Flatcar snapshot ready', fraction: 1 });
		return view(snapshot);
	}

	/**
	 * The server type for the temporary builder: the cheapest one Hetzner sells in `region` for
	 * this architecture (not deprecated there). Types differ per location (the CX line is sold in
	 * Europe only) and are replaced over time, so none is written down here.
	 */
	private async builderType(region: string, arch: 'x86' | 'arm'): Promise<string> {
		const types = await listAll<{
			name: string;
			architecture: string;
			deprecated: boolean | null;
			prices: { location: string; price_monthly: { gross: string } }[];
			locations?: { name: string; deprecation: unknown }[];
		}>(this.api, '/server_types', 'server_types');
		const offers = types
			.filter((t) => t.architecture === arch && !t.deprecated)
			.filter((t) => !t.locations || t.locations.some((l) => l.name === region && !l.deprecation))
			.flatMap((t) =>
				t.prices
					.filter((p) => p.location === region)
					.map((p) => ({ name: t.name, price: Number(p.price_monthly.gross) }))
			)
			.sort((a, b) => a.price - b.price);
		if (!offers[0])
			throw new ProviderError({
				code: 'invalid',
				provider: 'Hetzner',
				message: `Hetzner sells no server type in ${region} that can prepare the Flatcar image.`,
				action: 'Choose another region for your server.'
			});
		return offers[0].name;
	}

	private async ensureBuilder(region: string, arch: 'x86' | 'arm', progress?: Progress): Promise<HServer> {
		const find = async () => (await listAll<HServer>(this.api, '/servers', 'servers', { name: BUILDER_NAME }))[0];
		progress?.({ message: 'Starting a temporary server that writes Flatcar to its disk', fraction: 0.05 });
		let builder = await ensureOnce(find, async () => {
			const serverType = await this.builderType(region, arch);
			const { data } = await this.api.call<{ server: HServer }>('POST', '/servers', {
				body: {
					name: BUILDER_NAME,
					server_type: serverType,
					location: region,
					image: 'ubuntu-24.04',
					user_data: builderUserData(this.options.flatcarChannel ?? 'stable', arch),
					labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [ROLE_LABEL]: 'flatcar-builder' },
					start_after_create: true,
					public_net: { enable_ipv4: true, enable_ipv6: true }
				}
			});
			return data.server;
		});
		if (builder.status !== 'off') {
			progress?.({ message: 'Writing Flatcar Container Linux (about 5 to 10 minutes)', fraction: 0.1 });
			builder = await this.wait(
				async () => {
					const { data } = await this.api.call<{ server: HServer }>('GET', `/servers/${builder.id}`);
					return data.server.status === 'off' ? data.server : undefined;
				},
				'the temporary server to write Flatcar and power off',
				this.options.buildTimeoutMs ?? 30 * 60_000,
				progress,
				undefined,
				'Writing Flatcar Container Linux (about 5 to 10 minutes)'
			);
		}
		return builder;
	}

	private async snapshotBuilder(builder: HServer, labels: Labels, progress?: Progress): Promise<HImage> {
		progress?.({ message: 'Saving the Flatcar disk as a snapshot', fraction: 0.8 });
		const { data } = await this.api.call<{ image: HImage; action: HAction }>(
			'POST',
			`/servers/${builder.id}/actions/create_image`,
			{
				body: { type: 'snapshot', description: `Flatcar Container Linux (${labels.channel}) for nassella`, labels }
			}
		);
		await this.waitAction(data.action.id, 'the snapshot');
		return data.image;
	}

	private async removeBuilder() {
		const builders = await listAll<HServer>(this.api, '/servers', 'servers', { name: BUILDER_NAME });
		for (const b of builders) await this.delete({ kind: 'server', id: String(b.id) });
	}

	async ensureSshKey(name: string, publicKey: string, labels: Labels): Promise<CloudResource> {
		const view = (k: Named): CloudResource => ({ kind: 'ssh-key', id: String(k.id), name: k.name, labels: k.labels });
		const find = async () => {
			const k = (await listAll<Named & { public_key: string }>(this.api, '/ssh_keys', 'ssh_keys')).find(
				(x) =>
					x.name === name ||
					x.public_key.split(/\s+/).slice(0, 2).join(' ') === publicKey.trim().split(/\s+/).slice(0, 2).join(' ')
			);
			return k && view(k);
		};
		return ensureOnce(find, async () => {
			const { data } = await this.api.call<{ ssh_key: Named }>('POST', '/ssh_keys', {
				body: { name, public_key: publicKey.trim(), labels }
			});
			return view(data.ssh_key);
		});
	}

	async ensureVolume(name: string, region: string, sizeGiB: number, labels: Labels): Promise<CloudResource> {
		const view = (v: Named): CloudResource => ({
			kind: 'volume',
			id: String(v.id),
			name: v.name,
			labels: v.labels,
			region: v.location?.name
		});
		const find = async () => {
			const v = (await listAll<Named>(this.api, '/volumes', 'volumes', { name }))[0];
			return v && view(v);
		};
		return ensureOnce(find, async () => {
			const { data } = await this.api.call<{ volume: Named }>('POST', '/volumes', {
				body: { name, size: Math.max(10, sizeGiB), location: region, labels, format: 'ext4' }
			});
			return view(data.volume);
		});
	}

	async ensureFirewall(name: string, allowSsh: boolean, labels: Labels): Promise<CloudResource> {
		const view = (f: Named): CloudResource => ({ kind: 'firewall', id: String(f.id), name: f.name, labels: f.labels });
		const find = async () => {
			const f = (await listAll<Named>(this.api, '/firewalls', 'firewalls', { name }))[0];
			return f && view(f);
		};
		const anywhere = ['0.0.0.0/0', '::/0'];
		const rules = [
			{ direction: 'in', protocol: 'tcp', port: '80', source_ips: anywhere, description: 'HTTP' },
			{ direction: 'in', protocol: 'tcp', port: '443', source_ips: anywhere, description: 'HTTPS' },
			{ direction: 'in', protocol: 'udp', port: '443', source_ips: anywhere, description: 'HTTP/3' },
			...(allowSsh ? [{ direction: 'in', protocol: 'tcp', port: '22', source_ips: anywhere, description: 'SSH' }] : [])
		];
		return ensureOnce(find, async () => {
			const { data } = await this.api.call<{ firewall: Named }>('POST', '/firewalls', {
				body: { name, labels, rules }
			});
			return view(data.firewall);
		});
	}

	private server(s: HServer): Server {
		return {
			kind: 'server',
			id: String(s.id),
			name: s.name,
			labels: s.labels,
			status: s.status,
			region: s.location.name,
			ipv4: s.public_net.ipv4?.ip,
			ipv6: s.public_net.ipv6?.ip?.replace(/\/64$/, '1')
		};
	}

	async ensureServer(spec: ServerSpec): Promise<Server> {
		if (new TextEncoder().encode(spec.userData).length > 32 * 1024)
			throw new ProviderError({
				code: 'invalid',
				provider: 'Hetzner',
				message: 'The server configuration is larger than the 32 KiB Hetzner accepts.',
				action: 'Choose fewer apps for this server, or report this: the configuration should stay small.'
			});
		const find = async () => {
			const s = (await listAll<HServer>(this.api, '/servers', 'servers', { name: spec.name }))[0];
			return s && this.server(s);
		};
		return ensureOnce(find, async () => {
			const { data } = await this.api.call<{ server: HServer }>('POST', '/servers', {
				body: {
					name: spec.name,
					server_type: spec.size,
					location: spec.region,
					image: spec.imageId,
					user_data: spec.userData,
					labels: spec.labels,
					volumes: spec.volumeIds.map(Number),
					firewalls: spec.firewallId ? [{ firewall: Number(spec.firewallId) }] : [],
					ssh_keys: spec.sshKeyIds,
					automount: false,
					start_after_create: true
				}
			});
			return this.server(data.server);
		});
	}

	async waitForServer(id: string, progress?: Progress, signal?: AbortSignal): Promise<Server> {
		progress?.({ message: 'Waiting for the server to start', fraction: 0 });
		const s = await this.wait(
			async () => {
				const { data } = await this.api.call<{ server: HServer }>('GET', `/servers/${encodeURIComponent(id)}`, {
					signal
				});
				const s = this.server(data.server);
				return s.status === 'running' && s.ipv4 ? s : undefined;
			},
			'the server',
			this.options.waitTimeoutMs ?? 10 * 60_000,
			progress,
			signal,
			'Waiting for the server to start'
		);
		progress?.({ message: 'The server is running', fraction: 1 });
		return s;
	}

	async findByLabels(labels: Labels): Promise<CloudResource[]> {
		const q = { label_selector: selector(labels) };
		const [servers, volumes, firewalls, keys, images] = await Promise.all([
			listAll<HServer>(this.api, '/servers', 'servers', q),
			listAll<Named>(this.api, '/volumes', 'volumes', q),
			listAll<Named>(this.api, '/firewalls', 'firewalls', q),
			listAll<Named>(this.api, '/ssh_keys', 'ssh_keys', q),
			listAll<HImage>(this.api, '/images', 'images', { ...q, type: 'snapshot' })
		]);
		return [
			...servers.map((s) => this.server(s)),
			...volumes.map((v): CloudResource => ({
				kind: 'volume',
				id: String(v.id),
				name: v.name,
				labels: v.labels,
				region: v.location?.name
			})),
			...firewalls.map((f): CloudResource => ({ kind: 'firewall', id: String(f.id), name: f.name, labels: f.labels })),
			...keys.map((k): CloudResource => ({ kind: 'ssh-key', id: String(k.id), name: k.name, labels: k.labels })),
			...images.map((i): CloudResource => ({
				kind: 'snapshot',
				id: String(i.id),
				name: i.description,
				labels: i.labels,
				status: i.status
			}))
		];
	}

	async metrics(serverId: string, sinceMs: number): Promise<Metrics> {
		return toLegacyMetrics(
			await this.serverMetrics(serverId, { from: sinceMs, to: Date.now(), kinds: ['cpu', 'network'] })
		);
	}

	async serverMetrics(serverId: string, query: MetricsQuery, signal?: AbortSignal): Promise<ServerMetrics> {
		const req = hetznerMetricsRequest(serverId, query, Date.now());
		const { data } = await this.api.call<unknown>('GET', req.path, { query: req.query, signal });
		return fromHetznerMetrics(data, req);
	}

	async delete(resource: Pick<CloudResource, 'kind' | 'id'>): Promise<void> {
		const path = {
			image: '/images/',
			snapshot: '/images/',
			'ssh-key': '/ssh_keys/',
			volume: '/volumes/',
			firewall: '/firewalls/',
			server: '/servers/'
		}[resource.kind];
		await deleteIfThere(this.api, path + encodeURIComponent(resource.id));
	}
}
