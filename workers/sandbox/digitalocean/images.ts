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
	/** Why the import fails, for a file DigitalOcean does not take (see `importProblem`). */
	failure?: string;
}

/**
 * The files an import takes. DigitalOcean's API reference (POST /v2/images, `url`): "The image
 * it points to must be in the raw, qcow2, vhdx, vdi, or vmdk format. It may be compressed using
 * gzip or bzip2". The fake reads format and compression from the file name: a raw disk goes by
 * `.img` (DigitalOcean's custom image docs) or `.bin` (Flatcar's raw disk images, which Flatcar's
 * DigitalOcean guide and DigitalOcean's own Terraform example import), optionally followed by
 * `.gz` or `.bz2`. Anything else fails: xz, zstd or zip compression, a tar archive, an ISO.
 */
const IMPORTABLE = /\.(img|bin|qcow2|vhdx|vdi|vmdk)(\.(gz|bz2))?$/i;

/**
 * Why DigitalOcean would fail to import `url`, or undefined when it takes it. DigitalOcean
 * accepts the request and fails the import later: the image turns `deleted` and its
 * `error_message` says why (the spec's image model; digitalocean/doctl#671). The wording of the
 * message is the fake's own.
 */
export function importProblem(url: string): string | undefined {
	let path = '';
	try {
		const u = new URL(url);
		if (u.protocol === 'https:' || u.protocol === 'http:') path = u.pathname;
	} catch {
		// Not a URL: no file to fetch.
	}
	if (IMPORTABLE.test(path)) return undefined;
	return "We don't support the file type of this image. Import a raw (.img), qcow2, VHDX, VDI or VMDK disk image, uncompressed or compressed with gzip or bzip2.";
}

export const imageView = (i: Image, importMs: number) => {
	const done = Date.now() - i.created >= importMs;
	return {
		id: i.id,
		name: i.name,
		type: 'custom',
		distribution: 'CoreOS',
		slug: null,
		public: false,
		regions: done && !i.failure ? [i.region] : [],
		created_at: iso(i.created),
		min_disk_size: 10,
		size_gigabytes: 0.45,
		description: i.description,
		tags: i.tags,
		status: !done ? 'NEW' : i.failure ? 'deleted' : 'available',
		error_message: done && i.failure ? i.failure : ''
	};
};

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
				description: b.description ?? '',
				failure: importProblem(b.url)
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
