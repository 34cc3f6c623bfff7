/** Hetzner images: the system image servers start from, and the snapshots nassella takes. */
import { iso } from '../kit.ts';
import { getById, labelledList, notFound, now, type HetznerContext } from './common.ts';
import { from } from '../routes.ts';
import type { LabelMap } from './labels.ts';

export const SYSTEM_IMAGES = [{ id: 161547269, name: 'ubuntu-24.04', flavor: 'ubuntu', version: '24.04' }];

export interface Image {
	id: number;
	description: string;
	labels: LabelMap;
	created: number;
	readyAt: number;
	fromServer: { id: number; name: string };
}

export const imageView = (i: Image) => ({
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
export const systemImageView = (images: Image[], id: number) => {
	const s = SYSTEM_IMAGES.find((x) => x.id === id);
	if (!s) return imageView(images.find((x) => x.id === id)!);
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

export function imageRoutes(ctx: HetznerContext): void {
	const { api, state } = ctx;
	api
		.on(
			'GET',
			'/v1/images',
			labelledList(
				'images',
				(req) => state.images.filter(() => !req.query.get('type') || req.query.get('type') === 'snapshot'),
				imageView
			)
		)
		.on('GET', '/v1/images/:id', getById('image', from(state, 'images'), imageView))
		.on('DELETE', '/v1/images/:id', (req) => {
			const n = state.images.length;
			state.images = state.images.filter((x) => String(x.id) !== req.params[0]);
			return n === state.images.length ? notFound() : { status: 204 };
		});
}
