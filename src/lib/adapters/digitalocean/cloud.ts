/**
 * DigitalOcean as a CloudProvider. Flatcar comes in as a custom image imported from Flatcar's
 * published URL, once per region, and is reused; droplets boot it with the Ignition config as
 * user data. Everything carries tags made from the deployment's labels.
 */
import type { Labels } from '../../core/labels.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../core/labels.ts';
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
import { digitalOceanMetricsRequest, fromDigitalOceanMetrics } from './convert.ts';
import { deleteIfThere, realSleep, type JsonApi } from '../http/chain.ts';
import { ensureOnce, pollUntil } from '../http/reconcile.ts';
import { digitalOceanApi, labelsToTags, listAll, tagsToLabels, type DigitalOceanOptions } from './api.ts';
import { ProviderError } from '../../core/errors.ts';

/** The most user data a droplet takes, in bytes (DigitalOcean's API reference: 64 KiB). */
const USER_DATA_LIMIT = 64 * 1024;

/**
 * The Flatcar file DigitalOcean imports: Flatcar's image for DigitalOcean (the `digitalocean` OEM
 * build, a raw disk: `.bin`), gzip-compressed.
 * - DigitalOcean imports raw, qcow2, VHDX, VDI or VMDK images, "compressed using gzip or bzip2"
 *   (API reference, POST /v2/images `url`:
 *   https://docs.digitalocean.com/reference/api/api-reference/#operation/images_create_custom).
 * - Flatcar's DigitalOcean guide names `flatcar_production_digitalocean_image.bin.bz2` and notes
 *   that bzip2 imports have been seen to time out or fail, recommending gzip instead
 *   (https://www.flatcar.org/docs/latest/installing/cloud/digitalocean/).
 * - Flatcar publishes that image in both compressions, `.bin.gz` and `.bin.bz2`
 *   (`COMPRESSION_FORMAT="gz,bz2"` for digitalocean in
 *   https://github.com/flatcar/scripts/blob/main/ci-automation/vms.sh), so the gzip file is the
 *   same image without the bzip2 step Flatcar warns about.
 */
export const FLATCAR_DIGITALOCEAN_IMAGE =
	'https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_digitalocean_image.bin.gz';

interface DoImage {
	id: number;
	name: string;
	status: string;
	tags: string[];
	regions: string[];
	/** Why an import failed (the image is then `deleted`). */
	error_message?: string;
}
interface DoDroplet {
	id: number;
	name: string;
	status: string;
	tags: string[];
	region: { slug: string };
	networks: { v4: { ip_address: string; type: string }[]; v6: { ip_address: string; type: string }[] };
}
interface DoVolume {
	id: string;
	name: string;
	tags?: string[];
	region?: { slug: string };
}
interface DoFirewall {
	id: string;
	name: string;
	tags?: string[];
	status?: string;
}
interface DoKey {
	id: number;
	name: string;
	public_key: string;
	fingerprint: string;
}

const hasAll = (have: Record<string, string>, want: Labels) => Object.entries(want).every(([k, v]) => have[k] === v);

/**
 * Volumes Block Storage: USD 0.10 per GiB and month, in every region, as published on
 * digitalocean.com/pricing/volumes (the figure DigitalOcean has listed since volumes launched;
 * recorded 2026-11-25). No API endpoint states it, so it is kept here; update it when the
 * price list changes.
 */
export const DIGITALOCEAN_VOLUME_PRICE: VolumePrice = {
	monthlyPerGiB: 0.1,
	currency: 'USD',
	source: 'published',
	note: 'DigitalOcean’s published price for volumes (digitalocean.com/pricing/volumes), recorded 2026-11-25'
};

export class DigitalOceanCloud implements CloudProvider {
	readonly id: string;
	readonly displayName: string;
	private readonly api: JsonApi;
	private readonly options: DigitalOceanOptions;

	constructor(options: DigitalOceanOptions & { id?: string; displayName?: string }) {
		this.options = options;
		this.api = digitalOceanApi(options);
		this.id = options.id ?? 'digitalocean';
		this.displayName = options.displayName ?? 'DigitalOcean';
	}

	private get sleep() {
		return this.options.sleep ?? realSleep;
	}

	async verify() {
		const { data } = await this.api.call<{ account: { email: string; status: string } }>('GET', '/v2/account');
		if (data.account.status === 'locked')
			throw new ProviderError({
				code: 'forbidden',
				provider: 'DigitalOcean',
				message: 'This DigitalOcean account is locked.',
				action: 'Sign in to DigitalOcean and resolve the notice on your account.'
			});
		return { account: data.account.email };
	}

	async regions(): Promise<Region[]> {
		const list = await listAll<{ slug: string; name: string; available: boolean }>(this.api, '/v2/regions', 'regions');
		return list.map((r) => ({ id: r.slug, name: r.name, available: r.available }));
	}

	/**
	 * DigitalOcean's API states no price for volumes; this is the published price of Volumes
	 * Block Storage (digitalocean.com/pricing/volumes), the same in every region.
	 */
	async volumePrice(_region: string): Promise<VolumePrice> {
		return { ...DIGITALOCEAN_VOLUME_PRICE };
	}

	async sizes(): Promise<Size[]> {
		const list = await listAll<{
			slug: string;
			description: string;
			vcpus: number;
			memory: number;
			disk: number;
			price_monthly: number;
			regions: string[];
			available: boolean;
		}>(this.api, '/v2/sizes', 'sizes');
		return list
			.filter((s) => s.available)
			.map((s) => ({
				id: s.slug,
				name: `${s.description} ${s.slug}`,
				vcpus: s.vcpus,
				memoryMiB: s.memory,
				diskGiB: s.disk,
				monthlyPrice: s.price_monthly,
				currency: 'USD',
				regions: s.regions,
				arch: 'amd64' as const
			}));
	}

	private imageResource(i: DoImage, region: string): CloudResource {
		return { kind: 'image', id: String(i.id), name: i.name, labels: tagsToLabels(i.tags), status: i.status, region };
	}

	/** The shared Flatcar image of a region (one per account, tagged managed-by only). */
	private async findDoImage(region: string): Promise<DoImage | undefined> {
		const name = `flatcar-stable-${region}`;
		const managed = `${MANAGED_BY_LABEL}:${MANAGED_BY_VALUE}`;
		const images = await listAll<DoImage>(this.api, '/v2/images', 'images', { private: 'true', tag_name: managed });
		return images.find((i) => i.name === name && i.status !== 'deleted' && i.status !== 'retired');
	}

	async findImage(region: string): Promise<CloudResource | undefined> {
		const image = await this.findDoImage(region);
		return image && this.imageResource(image, region);
	}

	async ensureImage(region: string, labels: Labels, progress?: Progress): Promise<CloudResource> {
		const name = `flatcar-stable-${region}`;
		const find = () => this.findDoImage(region);
		progress?.({ message: 'Looking for a Flatcar image in this region' });
		let image = await ensureOnce(find, async () => {
			progress?.({ message: 'Asking DigitalOcean to import Flatcar Container Linux', fraction: 0.05 });
			const { data } = await this.api.call<{ image: DoImage }>('POST', '/v2/images', {
				body: {
					name,
					url: this.options.flatcarImageUrl ?? FLATCAR_DIGITALOCEAN_IMAGE,
					region,
					distribution: 'CoreOS',
					description: 'Flatcar Container Linux (stable), imported by nassella',
					tags: labelsToTags({ ...labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE }).filter(
						(t) => !t.startsWith('nassella-deployment:')
					)
				}
			});
			return data.image;
		});
		if (image.status !== 'available') {
			image = await pollUntil(
				async () => {
					const { data } = await this.api.call<{ image: DoImage }>('GET', `/v2/images/${image.id}`);
					// A failed import turns the image `deleted` with an `error_message`: say so now
					// rather than wait out the timeout. The next try imports again (findDoImage skips it).
					if (data.image.status === 'deleted')
						throw new ProviderError({
							code: 'unavailable',
							provider: 'DigitalOcean',
							message: `DigitalOcean could not import Flatcar Container Linux${
								data.image.error_message?.trim() ? `: ${data.image.error_message.trim().slice(0, 300)}` : '.'
							}`,
							action:
								'Continue to start a new import; DigitalOcean sometimes fails an import that works on the next try.'
						});
					return data.image.status === 'available' ? data.image : undefined;
				},
				{
					intervalMs: this.options.pollMs ?? 10_000,
					timeoutMs: this.options.waitTimeoutMs ?? 30 * 60_000,
					sleep: this.sleep,
					what: 'the Flatcar image import',
					provider: 'DigitalOcean',
					onTick: (ms) =>
						progress?.({
							message: 'DigitalOcean is importing Flatcar (this takes several minutes)',
							fraction: Math.min(0.95, ms / 600_000)
						})
				}
			);
		}
		progress?.({ message: 'Flatcar image ready', fraction: 1 });
		return this.imageResource(image, region);
	}

	async ensureSshKey(name: string, publicKey: string, labels: Labels): Promise<CloudResource> {
		const key = publicKey.trim().split(/\s+/).slice(0, 2).join(' ');
		const view = (k: DoKey): CloudResource => ({ kind: 'ssh-key', id: String(k.id), name: k.name, labels });
		const find = async () => {
			const keys = await listAll<DoKey>(this.api, '/v2/account/keys', 'ssh_keys');
			const k = keys.find((x) => x.public_key.trim().split(/\s+/).slice(0, 2).join(' ') === key);
			return k && view(k);
		};
		return ensureOnce(find, async () => {
			const { data } = await this.api.call<{ ssh_key: DoKey }>('POST', '/v2/account/keys', {
				body: { name, public_key: publicKey.trim() }
			});
			return view(data.ssh_key);
		});
	}

	async ensureVolume(name: string, region: string, sizeGiB: number, labels: Labels): Promise<CloudResource> {
		const view = (v: DoVolume): CloudResource => ({
			kind: 'volume',
			id: v.id,
			name: v.name,
			labels: tagsToLabels(v.tags),
			region: v.region?.slug ?? region
		});
		const find = async () => {
			const vols = await listAll<DoVolume>(this.api, '/v2/volumes', 'volumes', { name, region });
			const v = vols.find((x) => x.name === name);
			return v && view(v);
		};
		return ensureOnce(find, async () => {
			const { data } = await this.api.call<{ volume: DoVolume }>('POST', '/v2/volumes', {
				body: {
					name,
					region,
					size_gigabytes: sizeGiB,
					filesystem_type: 'ext4',
					description: 'nassella data volume',
					tags: labelsToTags(labels)
				}
			});
			return view(data.volume);
		});
	}

	/**
	 * A cloud firewall that applies to the deployment's droplets by tag (so a droplet made
	 * later gets it without another call). Its target tags double as its labels. DigitalOcean
	 * applies a firewall only to tags that exist, and the firewall is made before any droplet
	 * carries them (beside the volume, which may not have carried them yet): the tags are made
	 * first (making one that exists changes nothing).
	 */
	async ensureFirewall(name: string, allowSsh: boolean, labels: Labels): Promise<CloudResource> {
		const targets = labelsToTags(labels).filter((t) => !t.startsWith(`${MANAGED_BY_LABEL}:`));
		const view = (f: DoFirewall): CloudResource => ({
			kind: 'firewall',
			id: f.id,
			name: f.name,
			labels: { ...tagsToLabels(f.tags), [MANAGED_BY_LABEL]: MANAGED_BY_VALUE },
			status: f.status
		});
		const find = async () => {
			const all = await listAll<DoFirewall>(this.api, '/v2/firewalls', 'firewalls');
			const f = all.find((x) => x.name === name);
			return f && view(f);
		};
		const everywhere = { addresses: ['0.0.0.0/0', '::/0'] };
		const ports = ['80', '443', ...(allowSsh ? ['22'] : [])];
		return ensureOnce(find, async () => {
			for (const tag of targets) await this.api.call('POST', '/v2/tags', { body: { name: tag } });
			const { data } = await this.api.call<{ firewall: DoFirewall }>('POST', '/v2/firewalls', {
				body: {
					name,
					tags: targets,
					inbound_rules: [
						...ports.map((p) => ({ protocol: 'tcp', ports: p, sources: everywhere })),
						{ protocol: 'udp', ports: '443', sources: everywhere }
					],
					// "0" is every port (DigitalOcean's API reference; ICMP has no ports and takes "0").
					outbound_rules: [
						{ protocol: 'tcp', ports: '0', destinations: everywhere },
						{ protocol: 'udp', ports: '0', destinations: everywhere },
						{ protocol: 'icmp', ports: '0', destinations: everywhere }
					]
				}
			});
			return view(data.firewall);
		});
	}

	private server(d: DoDroplet): Server {
		return {
			kind: 'server',
			id: String(d.id),
			name: d.name,
			labels: tagsToLabels(d.tags),
			status: d.status,
			region: d.region.slug,
			ipv4: d.networks.v4.find((n) => n.type === 'public')?.ip_address,
			ipv6: d.networks.v6.find((n) => n.type === 'public')?.ip_address
		};
	}

	async ensureServer(spec: ServerSpec): Promise<Server> {
		// DigitalOcean takes at most 64 KiB of user data (bytes): say so before asking.
		const bytes = new TextEncoder().encode(spec.userData).length;
		if (bytes > USER_DATA_LIMIT)
			throw new ProviderError({
				code: 'invalid',
				provider: 'DigitalOcean',
				message: `The server's start-up settings are ${Math.ceil(bytes / 1024)} KiB; DigitalOcean takes at most 64 KiB.`,
				action: 'Choose fewer apps for this server, then try again.'
			});
		const tags = labelsToTags(spec.labels);
		const find = async () => {
			const list = await listAll<DoDroplet>(this.api, '/v2/droplets', 'droplets', { tag_name: tags[0] ?? '' });
			const d = list.find((x) => x.name === spec.name && hasAll(tagsToLabels(x.tags), spec.labels));
			return d && this.server(d);
		};
		return ensureOnce(find, async () => {
			const { data } = await this.api.call<{ droplet: DoDroplet }>('POST', '/v2/droplets', {
				body: {
					name: spec.name,
					region: spec.region,
					size: spec.size,
					image: Number(spec.imageId),
					ssh_keys: spec.sshKeyIds.map(Number),
					user_data: spec.userData,
					tags,
					volumes: spec.volumeIds
					// No `monitoring`: it asks DigitalOcean to install its metrics agent, which it does
					// only on its own distribution images, never on a custom image such as Flatcar ("You
					// cannot enable monitoring automatically during Droplet creation when using a custom
					// image": https://docs.digitalocean.com/products/custom-images/details/limits/).
					// CPU and bandwidth figures come without it; disk space does not (see convert.ts).
					// No `ipv6` either: DigitalOcean gives no IPv6 address to a droplet of a custom
					// image ("You cannot enable IPv6 on Droplets created from custom images":
					// https://docs.digitalocean.com/products/networking/ipv6/details/limits/). The
					// server is IPv4-only: the DNS step writes A records and no AAAA, and nothing
					// waits for an IPv6 address (waitForServer below needs the IPv4 one only).
				}
			});
			return this.server(data.droplet);
		});
	}

	async waitForServer(id: string, progress?: Progress, signal?: AbortSignal): Promise<Server> {
		progress?.({ message: 'Waiting for the server to start', fraction: 0 });
		const s = await pollUntil(
			async () => {
				const { data } = await this.api.call<{ droplet: DoDroplet }>('GET', `/v2/droplets/${encodeURIComponent(id)}`, {
					signal
				});
				const s = this.server(data.droplet);
				return s.status === 'active' && s.ipv4 ? s : undefined;
			},
			{
				intervalMs: this.options.pollMs ?? 5_000,
				timeoutMs: this.options.waitTimeoutMs ?? 10 * 60_000,
				sleep: this.sleep,
				signal,
				what: 'the server',
				provider: 'DigitalOcean',
				onTick: (ms) =>
					progress?.({ message: 'Waiting for the server to start', fraction: Math.min(0.95, ms / 120_000) })
			}
		);
		progress?.({ message: 'The server is running', fraction: 1 });
		return s;
	}

	async findByLabels(labels: Labels): Promise<CloudResource[]> {
		const tags = labelsToTags(labels);
		const q = tags[0] ? { tag_name: tags[tags.length - 1]! } : undefined;
		const [droplets, images, volumes, firewalls] = await Promise.all([
			listAll<DoDroplet>(this.api, '/v2/droplets', 'droplets', q),
			listAll<DoImage>(this.api, '/v2/images', 'images', { private: 'true', ...q }),
			listAll<DoVolume>(this.api, '/v2/volumes', 'volumes'),
			listAll<DoFirewall>(this.api, '/v2/firewalls', 'firewalls')
		]);
		const out: CloudResource[] = [];
		for (const d of droplets) if (hasAll(tagsToLabels(d.tags), labels)) out.push(this.server(d));
		for (const i of images)
			if (hasAll(tagsToLabels(i.tags), labels)) out.push(this.imageResource(i, i.regions[0] ?? ''));
		for (const v of volumes)
			if (hasAll(tagsToLabels(v.tags), labels))
				out.push({ kind: 'volume', id: v.id, name: v.name, labels: tagsToLabels(v.tags), region: v.region?.slug });
		for (const f of firewalls) {
			const l = { ...tagsToLabels(f.tags), [MANAGED_BY_LABEL]: MANAGED_BY_VALUE };
			if (Object.keys(tagsToLabels(f.tags)).length && hasAll(l, labels))
				out.push({ kind: 'firewall', id: f.id, name: f.name, labels: l });
		}
		return out;
	}

	async metrics(serverId: string, sinceMs: number): Promise<Metrics> {
		return toLegacyMetrics(
			await this.serverMetrics(serverId, { from: sinceMs, to: Date.now(), kinds: ['cpu', 'network'] })
		);
	}

	/** One monitoring call per figure, side by side; conversions in convert.ts. */
	async serverMetrics(serverId: string, query: MetricsQuery, signal?: AbortSignal): Promise<ServerMetrics> {
		const req = digitalOceanMetricsRequest(serverId, query, Date.now());
		const answers = await Promise.all(
			req.calls.map((c) =>
				this.api.call<unknown>('GET', c.path, { query: c.query, signal }).then((a) => [c.key, a.data] as const)
			)
		);
		return fromDigitalOceanMetrics(Object.fromEntries(answers), req);
	}

	async delete(resource: Pick<CloudResource, 'kind' | 'id'>): Promise<void> {
		const path = {
			image: '/v2/images/',
			snapshot: '/v2/images/',
			'ssh-key': '/v2/account/keys/',
			volume: '/v2/volumes/',
			firewall: '/v2/firewalls/',
			server: '/v2/droplets/'
		}[resource.kind];
		await deleteIfThere(this.api, path + encodeURIComponent(resource.id));
	}
}
