/** Hetzner volumes: created on their own, attached when a server is created with them. */
import { iso } from '../kit.ts';
import { actionView } from './actions.ts';
import { err, getById, labelledList, notFound, now, validLabels, type HetznerContext } from './common.ts';
import { from } from '../routes.ts';
import type { LabelMap } from './labels.ts';
import { location } from './locations.ts';

export interface Volume {
	id: number;
	name: string;
	size: number;
	location: string;
	labels: LabelMap;
	server: number | null;
	created: number;
}

export const volumeView = (v: Volume) => ({
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

export function volumeRoutes(ctx: HetznerContext): void {
	const { api, state, newId, action } = ctx;
	api
		.on('GET', '/v1/volumes', labelledList('volumes', from(state, 'volumes'), volumeView))
		.on('POST', '/v1/volumes', (req) => {
			const b = req.body as { name: string; size: number; location?: string; labels?: LabelMap; format?: string };
			if (!validLabels(b.labels)) return err(400, 'invalid_input', 'invalid input in field labels');
			if (state.volumes.some((v) => v.name === b.name))
				return err(409, 'uniqueness_error', 'volume name is already used');
			if (b.size < 10) return err(400, 'invalid_input', 'size must be at least 10');
			const v: Volume = {
				id: newId(),
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
		.on('GET', '/v1/volumes/:id', getById('volume', from(state, 'volumes'), volumeView))
		.on('DELETE', '/v1/volumes/:id', (req) => {
			const v = state.volumes.find((x) => String(x.id) === req.params[0]);
			if (!v) return notFound();
			if (v.server !== null) return err(423, 'locked', 'volume is attached to a server');
			state.volumes = state.volumes.filter((x) => x !== v);
			return { status: 204 };
		});
}
