/**
 * Pure conversions between DigitalOcean's monitoring API and nassella's vendor-neutral shape.
 * Each `GET /v2/monitoring/metrics/droplet/<metric>?host_id&start&end` (unix seconds) answers
 * a Prometheus-style matrix: `{status, data: {resultType: "matrix", result: [{metric: {labels},
 * values: [[unix s, "value"], …]}]}}`.
 *
 * - CPU comes as cumulative seconds per mode (idle, user, system…): busy percent between two
 *   samples is 1 − Δidle / Δall.
 * - Bandwidth comes in megabits per second (the spec says so): × 125,000 gives bytes per second.
 * - Disk: DigitalOcean's API offers no disk I/O series, only filesystem size and free bytes,
 *   which need its metrics agent on the server; they become "disk space used" in percent.
 *   DigitalOcean installs the agent only on its own distribution images, never on a custom image
 *   such as nassella's Flatcar one, so these stay empty unless someone installs it by hand.
 */
import {
	cleanPoints,
	downsample,
	normalizeQuery,
	series,
	type MetricKind,
	type MetricPoint,
	type MetricSeries,
	type MetricsQuery,
	type ServerMetrics
} from '../../core/metrics.ts';

export type DoMetricCall = 'cpu' | 'bandwidth-in' | 'bandwidth-out' | 'filesystem-size' | 'filesystem-free';

export interface DigitalOceanMetricsRequest {
	from: number;
	to: number;
	kinds: MetricKind[];
	stepSeconds: number;
	calls: { key: DoMetricCall; path: string; query: Record<string, string> }[];
}

const BASE = '/v2/monitoring/metrics/droplet/';

export function digitalOceanMetricsRequest(serverId: string, q: MetricsQuery, now: number): DigitalOceanMetricsRequest {
	const n = normalizeQuery(q, now);
	const common = {
		host_id: serverId,
		start: String(Math.floor(n.from / 1000)),
		end: String(Math.ceil(n.to / 1000))
	};
	const calls: DigitalOceanMetricsRequest['calls'] = [];
	for (const kind of n.kinds) {
		if (kind === 'cpu') calls.push({ key: 'cpu', path: BASE + 'cpu', query: common });
		if (kind === 'network')
			for (const direction of ['inbound', 'outbound'] as const)
				calls.push({
					key: direction === 'inbound' ? 'bandwidth-in' : 'bandwidth-out',
					path: BASE + 'bandwidth',
					query: { ...common, interface: 'public', direction }
				});
		if (kind === 'disk') {
			calls.push({ key: 'filesystem-size', path: BASE + 'filesystem_size', query: common });
			calls.push({ key: 'filesystem-free', path: BASE + 'filesystem_free', query: common });
		}
	}
	return { ...n, calls };
}

interface Matrix {
	labels: Record<string, string>;
	values: [number, number][];
}

/** The matrix of one answer, read defensively (odd entries are skipped). */
export function readMatrix(body: unknown): Matrix[] {
	const result = (body as { data?: { result?: unknown } } | null)?.data?.result;
	if (!Array.isArray(result)) return [];
	const out: Matrix[] = [];
	for (const r of result) {
		if (!r || typeof r !== 'object') continue;
		const metric = (r as { metric?: unknown }).metric;
		const labels: Record<string, string> = {};
		if (metric && typeof metric === 'object')
			for (const [k, v] of Object.entries(metric)) if (typeof v === 'string') labels[k] = v;
		const values: [number, number][] = [];
		const raw = (r as { values?: unknown }).values;
		if (Array.isArray(raw))
			for (const v of raw)
				if (Array.isArray(v) && v.length >= 2) {
					const point: [number, number] = [Number(v[0]), Number(v[1])];
					if (Number.isFinite(point[0]) && Number.isFinite(point[1])) values.push(point);
				}
		out.push({ labels, values });
	}
	return out;
}

/** Sums every series of a matrix per timestamp (seconds → map). */
function totals(matrix: Matrix[], keep: (labels: Record<string, string>) => boolean = () => true) {
	const sums = new Map<number, number>();
	for (const m of matrix) if (keep(m.labels)) for (const [t, v] of m.values) sums.set(t, (sums.get(t) ?? 0) + v);
	return sums;
}

export function cpuPercent(matrix: Matrix[]): MetricPoint[] {
	const all = totals(matrix);
	const idle = totals(matrix, (l) => l.mode === 'idle');
	const times = [...all.keys()].sort((a, b) => a - b);
	const out: MetricPoint[] = [];
	for (let i = 1; i < times.length; i++) {
		const [a, b] = [times[i - 1]!, times[i]!];
		const dAll = all.get(b)! - all.get(a)!;
		const dIdle = (idle.get(b) ?? 0) - (idle.get(a) ?? 0);
		// A counter reset (reboot) gives a negative difference: skip that interval.
		if (dAll > 0 && dIdle >= 0 && dIdle <= dAll) out.push([b * 1000, Math.round(1000 * (1 - dIdle / dAll)) / 10]);
	}
	return out;
}

export function bandwidthBytesPerSecond(matrix: Matrix[]): MetricPoint[] {
	return [...totals(matrix).entries()].map(([t, mbps]) => [t * 1000, mbps * 125_000] as MetricPoint);
}

export function diskUsedPercent(size: Matrix[], free: Matrix[]): MetricPoint[] {
	const s = totals(size);
	const f = totals(free);
	const out: MetricPoint[] = [];
	for (const [t, total] of s) {
		const left = f.get(t);
		if (total > 0 && left !== undefined && left <= total)
			out.push([t * 1000, Math.round((1000 * (total - left)) / total) / 10]);
	}
	return out;
}

export function fromDigitalOceanMetrics(
	answers: Partial<Record<DoMetricCall, unknown>>,
	req: DigitalOceanMetricsRequest
): ServerMetrics {
	const out: MetricSeries[] = [];
	const missing: ServerMetrics['missing'] = [];
	const step = req.stepSeconds * 1000;
	const tidy = (points: MetricPoint[]) => downsample(cleanPoints(points, req.from, req.to), step);
	for (const kind of req.kinds) {
		if (kind === 'cpu') {
			const m = readMatrix(answers.cpu);
			if (!m.length) missing.push({ kind, reason: 'DigitalOcean sent no figures for this yet.' });
			else out.push(series('cpu', tidy(cpuPercent(m))));
		}
		if (kind === 'network') {
			const inbound = readMatrix(answers['bandwidth-in']);
			const outbound = readMatrix(answers['bandwidth-out']);
			if (!inbound.length && !outbound.length)
				missing.push({ kind, reason: 'DigitalOcean sent no figures for this yet.' });
			else {
				out.push(series('network-in', tidy(bandwidthBytesPerSecond(inbound))));
				out.push(series('network-out', tidy(bandwidthBytesPerSecond(outbound))));
			}
		}
		if (kind === 'disk') {
			const size = readMatrix(answers['filesystem-size']);
			const free = readMatrix(answers['filesystem-free']);
			const used = size.length && free.length ? diskUsedPercent(size, free) : [];
			if (!used.length)
				missing.push({
					kind,
					reason:
						'DigitalOcean reports disk space only from its metrics agent, and DigitalOcean does not install it on Flatcar servers.'
				});
			else out.push(series('disk-used', tidy(used)));
		}
	}
	return { from: req.from, to: req.to, stepSeconds: req.stepSeconds, series: out, missing };
}
