/** DigitalOcean droplets, created from a custom image with their volumes. */
import { iso } from '../kit.ts';
import { err, getById, listOf, notFound, tagged, type DigitalOceanContext } from './common.ts';
import { from } from '../routes.ts';
import { digitalOceanDialect } from './dialect.ts';
import { imageView } from './images.ts';
import { region } from './regions.ts';
import { size } from './sizes.ts';

export interface Droplet {
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
	/** Whether the create request asked for DigitalOcean's metrics agent (`monitoring: true`). */
	monitoring: boolean;
	/**
	 * Whether the metrics agent runs on the droplet, which decides whether it reports disk space.
	 * DigitalOcean installs it only on its own distribution images: "You cannot enable monitoring
	 * automatically during Droplet creation when using a custom image. Instead, enable monitoring
	 * manually." (docs.digitalocean.com/products/custom-images/details/limits/). The request is
	 * not refused; the agent is just not there. Every image here is a custom one, so `monitoring`
	 * never installs it; the fake's `metricsAgent` stands for an agent installed by hand.
	 */
	agent: boolean;
	/**
	 * Whether the create request asked for IPv6 (`ipv6: true`). DigitalOcean gives none to a
	 * droplet of a custom image: "You cannot enable IPv6 on Droplets created from custom images"
	 * (docs.digitalocean.com/products/networking/ipv6/details/limits/; "You cannot use IPv6 with
	 * Droplets created from custom images", docs.digitalocean.com/products/custom-images/details/limits/).
	 * The flag is accepted, as the create request's schema allows it; the droplet just has no
	 * IPv6 address. Every image here is a custom one, so `networks.v6` is always empty.
	 */
	ipv6: boolean;
}

export function dropletRoutes(ctx: DigitalOceanContext): void {
	const { api, state, importMs, bootMs, dropletLimit, metricsAgent, newId } = ctx;
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
			// What DigitalOcean set up at creation; monitoring never, on a custom image.
			features: [],
			backup_ids: [],
			next_backup_window: null,
			snapshot_ids: [],
			image: img ? imageView(img, importMs) : {},
			volume_ids: d.volumes,
			size: s,
			size_slug: d.size,
			networks: {
				v4: up ? [{ ip_address: d.ip, netmask: '255.255.240.0', gateway: '203.0.113.1', type: 'public' }] : [],
				// No IPv6 on a droplet of a custom image, whatever `ipv6` asked (see `Droplet.ipv6`).
				v6: []
			},
			region: region(d.region),
			tags: d.tags
		};
	};
	api
		.on(
			'GET',
			'/v2/droplets',
			listOf(
				'droplets',
				(req) => {
					const name = req.query.get('name');
					return state.droplets.filter((d) => tagged(d.tags, req) && (!name || d.name === name));
				},
				dropletView
			)
		)
		.on('POST', '/v2/droplets', (req) => {
			const b = req.body as {
				name: string;
				region: string;
				size: string;
				image: number | string;
				tags?: string[];
				volumes?: string[];
				user_data?: string;
				monitoring?: boolean;
				ipv6?: boolean;
			};
			if (state.droplets.length >= dropletLimit) return digitalOceanDialect.quota;
			const image = state.images.find((i) => String(i.id) === String(b.image));
			if (!image || image.failure)
				return err(422, 'unprocessable_entity', 'You specified an invalid image for Droplet creation.');
			if (Date.now() - image.created < importMs) return err(422, 'unprocessable_entity', 'Image is not yet available.');
			if (image.region !== b.region)
				return err(422, 'unprocessable_entity', 'Image is not available in the selected region.');
			for (const vid of b.volumes ?? []) {
				const v = state.volumes.find((x) => x.id === vid);
				if (!v) return err(422, 'unprocessable_entity', 'Volume not found.');
				if (v.region !== b.region)
					return err(422, 'unprocessable_entity', 'Volume is in a different region than the Droplet.');
			}
			if (new TextEncoder().encode(b.user_data ?? '').length > 64 * 1024)
				return err(422, 'unprocessable_entity', 'user_data exceeds 64 KiB');
			const id = newId();
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
				ip: `203.0.113.${(id % 200) + 20}`,
				monitoring: b.monitoring === true,
				agent: metricsAgent,
				ipv6: b.ipv6 === true
			};
			for (const vid of d.volumes) state.volumes.find((v) => v.id === vid)?.droplets.push(id);
			state.droplets.push(d);
			const actionId = newId();
			return {
				status: 202,
				body: {
					droplet: dropletView(d),
					links: {
						actions: [{ id: actionId, rel: 'create', href: `https://api.digitalocean.com/v2/actions/${actionId + 1}` }]
					}
				}
			};
		})
		.on('GET', '/v2/droplets/:id', getById('droplet', from(state, 'droplets'), dropletView))
		.on('DELETE', '/v2/droplets/:id', (req) => {
			const d = state.droplets.find((x) => String(x.id) === req.params[0]);
			if (!d) return notFound();
			state.droplets = state.droplets.filter((x) => x !== d);
			for (const v of state.volumes) v.droplets = v.droplets.filter((x) => x !== d.id);
			return { status: 204 };
		});
}
