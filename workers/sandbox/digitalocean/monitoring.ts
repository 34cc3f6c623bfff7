/** DigitalOcean monitoring: a droplet's CPU, bandwidth and (with the metrics agent) filesystem figures. */
import type { FakeRequest, FakeResponse } from '../kit.ts';
import { busySeconds, diskUsedShare, grid, network, sim, widenStep } from '../metrics.ts';
import { err, type DigitalOceanContext } from './common.ts';
import { SIZES } from './sizes.ts';

export function monitoringRoutes(ctx: DigitalOceanContext): void {
	const { api, state } = ctx;
	api
		.on('GET', '/v2/monitoring/metrics/droplet/cpu', (req) => metrics(req, 'cpu'))
		.on('GET', '/v2/monitoring/metrics/droplet/bandwidth', (req) => metrics(req, 'bandwidth'))
		.on('GET', '/v2/monitoring/metrics/droplet/filesystem_size', (req) => metrics(req, 'filesystem_size'))
		.on('GET', '/v2/monitoring/metrics/droplet/filesystem_free', (req) => metrics(req, 'filesystem_free'));

	/**
	 * Prometheus-style matrices as DigitalOcean's monitoring API sends them: CPU as cumulative
	 * seconds per mode, bandwidth in Mbps, filesystem sizes in bytes (those only from a droplet
	 * whose metrics agent runs, which DigitalOcean never installs on a custom image such as
	 * nassella's Flatcar one: see `Droplet.agent`).
	 * An unknown host gets an empty result, as a query that matches nothing would.
	 */
	function metrics(req: FakeRequest, kind: 'cpu' | 'bandwidth' | 'filesystem_size' | 'filesystem_free'): FakeResponse {
		const start = Number(req.query.get('start'));
		const end = Number(req.query.get('end'));
		if (!Number.isInteger(start) || !Number.isInteger(end) || end < start)
			return err(400, 'bad_request', 'start and end must be unix timestamps, start before end');
		const hostId = req.query.get('host_id') ?? '';
		const d = state.droplets.find((x) => String(x.id) === hostId);
		const answer = (result: unknown[]) => ({
			status: 200,
			body: { status: 'success', data: { resultType: 'matrix', result } }
		});
		if (!d || (kind.startsWith('filesystem') && !d.agent)) return answer([]);
		const m = sim(d.id, d.created, SIZES.find((x) => x.slug === d.size)?.vcpus ?? 1);
		const times = grid(m, start, end, widenStep(start, end, 60, 300));
		const series = (labels: Record<string, string>, at: (t: number) => number) => ({
			metric: { host_id: hostId, ...labels },
			values: times.map((t) => [t, String(Math.round(at(t) * 100) / 100)])
		});
		if (kind === 'cpu') {
			const all = (t: number) => Math.max(0, t - m.createdS) * m.vcpus;
			return answer([
				series({ mode: 'idle' }, (t) => all(t) - busySeconds(m, t)),
				series({ mode: 'user' }, (t) => 0.7 * busySeconds(m, t)),
				series({ mode: 'system' }, (t) => 0.3 * busySeconds(m, t))
			]);
		}
		if (kind === 'bandwidth') {
			const direction = req.query.get('direction') === 'outbound' ? 'outbound' : 'inbound';
			const iface = req.query.get('interface') ?? 'public';
			const mbps = (t: number) =>
				iface === 'public' ? (network(m, t, direction === 'inbound' ? 'in' : 'out') * 8) / 1e6 : 0;
			return answer([series({ interface: iface, direction }, mbps)]);
		}
		const disks = [
			{ device: '/dev/vda9', mountpoint: '/', bytes: (SIZES.find((x) => x.slug === d.size)?.disk ?? 25) * 2 ** 30 },
			...state.volumes
				.filter((v) => v.droplets.includes(d.id))
				.map((v, i) => ({
					device: `/dev/sd${'abcdefgh'[i] ?? 'z'}`,
					mountpoint: '/var/lib/nassella/data',
					bytes: v.size * 2 ** 30
				}))
		];
		return answer(
			disks.map((x, i) =>
				series({ device: x.device, fstype: 'ext4', mountpoint: x.mountpoint }, (t) =>
					kind === 'filesystem_size' ? x.bytes : Math.round(x.bytes * (1 - diskUsedShare(m, t, i === 0 ? 0.2 : 0.02)))
				)
			)
		);
	}
}
