/** DigitalOcean block storage volumes. */
import { iso } from '../kit.ts';
import { err, getById, listOf, notFound, type DigitalOceanContext } from './common.ts';
import { from } from '../routes.ts';
import { region } from './regions.ts';

export interface Volume {
	id: string;
	name: string;
	region: string;
	size: number;
	tags: string[];
	created: number;
	droplets: number[];
}

export const volumeView = (v: Volume) => ({
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

export function volumeRoutes(ctx: DigitalOceanContext): void {
	const { api, state } = ctx;
	api
		.on(
			'GET',
			'/v2/volumes',
			listOf(
				'volumes',
				(req) => {
					const name = req.query.get('name');
					const reg = req.query.get('region');
					return state.volumes.filter((v) => (!name || v.name === name) && (!reg || v.region === reg));
				},
				volumeView
			)
		)
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
		.on('GET', '/v2/volumes/:id', getById('volume', from(state, 'volumes'), volumeView))
		.on('DELETE', '/v2/volumes/:id', (req) => {
			const v = state.volumes.find((x) => x.id === req.params[0]);
			if (!v) return notFound();
			if (v.droplets.some((d) => state.droplets.some((x) => x.id === d)))
				return err(409, 'conflict', 'Volume is attached to a Droplet; detach it first.');
			state.volumes = state.volumes.filter((x) => x !== v);
			return { status: 204 };
		});
}
