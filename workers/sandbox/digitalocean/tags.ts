/**
 * DigitalOcean tags. A tag exists once it is made (POST /v2/tags) or while a resource carries
 * it; a cloud firewall applies only to tags that exist, so the API refuses a firewall whose
 * target tag does not (DigitalOcean's firewall documentation for doctl; the Typhoon project met
 * the same race: a firewall created before the droplets that carry its tag).
 */
import type { DigitalOceanContext, DigitalOceanState } from './common.ts';

export function tagExists(state: DigitalOceanState, tag: string): boolean {
	return (
		state.tags.has(tag) ||
		state.droplets.some((d) => d.tags.includes(tag)) ||
		state.volumes.some((v) => v.tags.includes(tag)) ||
		state.images.some((i) => i.tags.includes(tag))
	);
}

const tagView = (name: string) => ({
	name,
	resources: {
		count: 0,
		droplets: { count: 0 },
		images: { count: 0 },
		volumes: { count: 0 },
		volume_snapshots: { count: 0 },
		databases: { count: 0 }
	}
});

export function tagRoutes(ctx: DigitalOceanContext): void {
	const { api, state } = ctx;
	// Making a tag that exists answers as for a new one: the tag is there either way.
	api.on('POST', '/v2/tags', (req) => {
		const { name } = req.body as { name: string };
		state.tags.add(name);
		return { status: 201, body: { tag: tagView(name) } };
	});
}
