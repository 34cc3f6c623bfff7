/**
 * Pure conversions between Hetzner Cloud's metrics API and nassella's vendor-neutral shape.
 * `GET /servers/{id}/metrics?type=cpu,disk,network&start&end&step` answers
 * `{metrics: {start, end, step, time_series: {name: {values: [[unix s, "value"], …]}}}}`.
 */
import {
	cleanPoints,
	normalizeQuery,
	series,
	type MetricKind,
	type MetricSeries,
	type MetricsQuery,
	type SeriesId,
	type ServerMetrics
} from '../../core/metrics.ts';

/** Hetzner's time series names per nassella series (public interface 0, first disk). */
export const HETZNER_SERIES: Record<MetricKind, [string, SeriesId][]> = {
	cpu: [['cpu', 'cpu']],
	network: [
		['network.0.bandwidth.in', 'network-in'],
		['network.0.bandwidth.out', 'network-out']
	],
	disk: [
		['disk.0.bandwidth.read', 'disk-read'],
		['disk.0.bandwidth.write', 'disk-write'],
		['disk.0.iops.read', 'disk-read-ops'],
		['disk.0.iops.write', 'disk-write-ops']
	]
};

export interface HetznerMetricsRequest {
	path: string;
	query: Record<string, string>;
	from: number;
	to: number;
	kinds: MetricKind[];
	stepSeconds: number;
}

export function hetznerMetricsRequest(serverId: string, q: MetricsQuery, now: number): HetznerMetricsRequest {
	const n = normalizeQuery(q, now);
	return {
		...n,
		path: `/servers/${encodeURIComponent(serverId)}/metrics`,
		query: {
			type: n.kinds.join(','),
			start: new Date(n.from).toISOString(),
			end: new Date(n.to).toISOString(),
			step: String(n.stepSeconds)
		}
	};
}

/** Reads Hetzner's answer defensively: a missing or odd series becomes an empty one. */
export function fromHetznerMetrics(body: unknown, req: HetznerMetricsRequest): ServerMetrics {
	const ts = (body as { metrics?: { time_series?: unknown } } | null)?.metrics?.time_series;
	const timeSeries = ts && typeof ts === 'object' ? (ts as Record<string, unknown>) : {};
	const step = Number((body as { metrics?: { step?: unknown } } | null)?.metrics?.step);
	const out: MetricSeries[] = [];
	const missing: ServerMetrics['missing'] = [];
	for (const kind of req.kinds) {
		const found = HETZNER_SERIES[kind].filter(([name]) => name in timeSeries);
		if (!found.length) {
			missing.push({ kind, reason: 'Hetzner sent no figures for this yet.' });
			continue;
		}
		for (const [name, id] of found) out.push(series(id, cleanPoints(pairs(timeSeries[name]), req.from, req.to)));
	}
	return {
		from: req.from,
		to: req.to,
		stepSeconds: Number.isFinite(step) && step > 0 ? step : req.stepSeconds,
		series: out,
		missing
	};
}

function* pairs(entry: unknown): Generator<[number, number]> {
	const values = (entry as { values?: unknown } | null)?.values;
	if (!Array.isArray(values)) return;
	for (const v of values) if (Array.isArray(v) && v.length >= 2) yield [Number(v[0]) * 1000, Number(v[1])];
}
