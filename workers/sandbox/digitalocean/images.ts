/** DigitalOcean custom images, imported from a URL (the Flatcar image). */
import { iso } from '../kit.ts';
import { getById, listOf, notFound, tagged, type DigitalOceanContext } from './common.ts';
import { from } from '../routes.ts';

export interface Image {
	id: number;
	name: string;
	region: string;
	tags: string[];
	created: number;
	url: string;
	description: string;
}

export const imageView = (i: Image, importMs: number) => ({
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

export function imageRoutes(ctx: DigitalOceanContext): void {
	const { api, state, importMs, newId } = ctx;
	api
		.on(
			'GET',
			'/v2/images',
			listOf(
				'images',
				(req) => state.images.filter((i) => tagged(i.tags, req)),
				(i) => imageView(i, importMs)
			)
		)
		.on('POST', '/v2/images', (req) => {
			const b = req.body as { name: string; url: string; region: string; tags?: string[]; description?: string };
			const image: Image = {
				id: newId(),
				name: b.name,
				region: b.region,
				tags: b.tags ?? [],
				created: Date.now(),
				url: b.url,
				description: b.description ?? ''
			};
			state.images.push(image);
			return { status: 202, body: { image: imageView(image, importMs) } };
		})
		.on(
			'GET',
			'/v2/images/:id',
			getById('image', from(state, 'images'), (i) => imageView(i, importMs))
		)
		.on('DELETE', '/v2/images/:id', (req) => {
			const n = state.images.length;
			state.images = state.images.filter((x) => String(x.id) !== req.params[0]);
			return n === state.images.length ? notFound() : { status: 204 };
		});
}
