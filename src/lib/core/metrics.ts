/**
 * Provider metrics of a server (CPU, network, disk) in one shape whatever the provider:
 * named series of [unix ms, value] points with a unit. Pure: the adapters convert their
 * vendor's answers into this, the charts draw it.
 */

export type MetricKind = 'cpu' | 'network' | 'disk';
export const METRIC_KINDS: readonly MetricKind[] = ['cpu', 'network', 'disk'];

export type MetricUnit = 'percent' | 'bytes-per-second' | 'operations-per-second';

/** Every series nassella knows; a provider offers some of them. */
export type SeriesId =
	'cpu' | 'network-in' | 'network-out' | 'disk-read' | 'disk-write' | 'disk-read-ops' | 'disk-write-ops' | 'disk-used';

/** [unix ms, value], sorted by time, finite values only. */
export type MetricPoint = [number, number];

export interface MetricSeries {
	id: SeriesId;
	kind: MetricKind;
	unit: MetricUnit;
	points: MetricPoint[];
}

export interface MetricsQuery {
	/** Unix ms, inclusive. */
	from: number;
	/** Unix ms, inclusive. */
	to: number;
	/** Default: all of them. */
	kinds?: readonly MetricKind[];
}

export interface ServerMetrics {
	from: number;
	to: number;
	/** Seconds between points, as asked of the provider. */
	stepSeconds: number;
	series: MetricSeries[];
	/** Kinds asked for that the provider does not report, with a plain reason. */
	missing: { kind: MetricKind; reason: string }[];
}

export const SERIES_INFO: Record<SeriesId, { kind: MetricKind; unit: MetricUnit; label: string }> = {
	cpu: { kind: 'cpu', unit: 'percent', label: 'Processor (CPU) use' },
	'network-in': { kind: 'network', unit: 'bytes-per-second', label: 'Network traffic in' },
	'network-out': { kind: 'network', unit: 'bytes-per-second', label: 'Network traffic out' },
	'disk-read': { kind: 'disk', unit: 'bytes-per-second', label: 'Disk reads' },
	'disk-write': { kind: 'disk', unit: 'bytes-per-second', label: 'Disk writes' },
	'disk-read-ops': { kind: 'disk', unit: 'operations-per-second', label: 'Disk read operations' },
	'disk-write-ops': { kind: 'disk', unit: 'operations-per-second', label: 'Disk write operations' },
	'disk-used': { kind: 'disk', unit: 'percent', label: 'Disk space used' }
};

/** The longest window any supported provider keeps (Hetzner: 30 days). */
export const MAX_RANGE_MS = 30 * 24 * 3_600_000;
/** About this many points per series: enough for a phone-wide chart, small to fetch. */
export const TARGET_POINTS = 120;

/**
 * The query made sane: `to` not in the future, `from` before `to` and at most 30 days back,
 * kinds known and unique, and a step giving about TARGET_POINTS points (at least 60 s).
 */
export function normalizeQuery(
	q: MetricsQuery,
	now: number
): { from: number; to: number; kinds: MetricKind[]; stepSeconds: number } {
	if (!Number.isFinite(q.from) || !Number.isFinite(q.to)) throw new RangeError('The time range is not a number.');
	const to = Math.min(Math.floor(q.to), now);
	const from = Math.max(Math.floor(q.from), to - MAX_RANGE_MS);
	if (from >= to) throw new RangeError('The time range is empty: "from" must be before "to".');
	const kinds = METRIC_KINDS.filter((k) => !q.kinds || q.kinds.includes(k));
	if (!kinds.length) throw new RangeError('No known metric kind was asked for.');
	const stepSeconds = Math.max(60, Math.ceil((to - from) / 1000 / TARGET_POINTS / 60) * 60);
	return { from, to, kinds, stepSeconds };
}

/** Keeps finite points inside [from, to], sorted, one per timestamp. */
export function cleanPoints(points: Iterable<readonly [number, number]>, from: number, to: number): MetricPoint[] {
	const byTime = new Map<number, number>();
	for (const [t, v] of points) if (Number.isFinite(t) && Number.isFinite(v) && t >= from && t <= to) byTime.set(t, v);
	return [...byTime.entries()].sort((a, b) => a[0] - b[0]);
}

/** A series with its kind and unit filled in from SERIES_INFO. */
export function series(id: SeriesId, points: MetricPoint[]): MetricSeries {
	return { id, kind: SERIES_INFO[id].kind, unit: SERIES_INFO[id].unit, points };
}

export interface Summary {
	current: number;
	average: number;
	max: number;
	count: number;
}

/** Latest, mean and highest value; undefined for a series without points. */
export function summarize(points: readonly MetricPoint[]): Summary | undefined {
	if (!points.length) return undefined;
	let sum = 0;
	let max = -Infinity;
	for (const [, v] of points) {
		sum += v;
		if (v > max) max = v;
	}
	return { current: points[points.length - 1]![1], average: sum / points.length, max, count: points.length };
}

/** A value in words people read: "42 %", "1.5 MB/s", "12 operations/s". */
export function formatValue(value: number, unit: MetricUnit): string {
	if (unit === 'percent') return `${value < 10 ? round(value, 1) : Math.round(value)} %`;
	if (unit === 'operations-per-second') return `${value < 10 ? round(value, 1) : Math.round(value)} operations/s`;
	const steps = ['B/s', 'kB/s', 'MB/s', 'GB/s'];
	let v = value;
	let i = 0;
	while (Math.abs(v) >= 1000 && i < steps.length - 1) {
		v /= 1000;
		i++;
	}
	return `${v < 10 && i > 0 ? round(v, 1) : Math.round(v)} ${steps[i]}`;
}

function round(v: number, digits: number): string {
	return String(Math.round(v * 10 ** digits) / 10 ** digits);
}

/** The top of a chart's value axis: 100 for percent, else a round number at or above max. */
export function axisMax(max: number, unit: MetricUnit): number {
	if (unit === 'percent') return Math.max(100, Math.ceil(max / 50) * 50);
	if (!(max > 0)) return 1;
	const power = 10 ** Math.floor(Math.log10(max));
	for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= max) return m * power;
	return 10 * power;
}

/** The first metrics shape (CPU and network only), for callers of the older port method. */
export function toLegacyMetrics(m: ServerMetrics): {
	cpuPercent: MetricPoint[];
	networkInBytesPerSec: MetricPoint[];
	networkOutBytesPerSec: MetricPoint[];
	diskReadBytesPerSec?: MetricPoint[];
	diskWriteBytesPerSec?: MetricPoint[];
} {
	const get = (id: SeriesId) => m.series.find((s) => s.id === id)?.points;
	const out: ReturnType<typeof toLegacyMetrics> = {
		cpuPercent: get('cpu') ?? [],
		networkInBytesPerSec: get('network-in') ?? [],
		networkOutBytesPerSec: get('network-out') ?? []
	};
	const read = get('disk-read');
	const write = get('disk-write');
	if (read) out.diskReadBytesPerSec = read;
	if (write) out.diskWriteBytesPerSec = write;
	return out;
}

/** Averages points into buckets of `stepMs` (stamped at each bucket's last point): fewer points, same shape. */
export function downsample(points: readonly MetricPoint[], stepMs: number): MetricPoint[] {
	if (!(stepMs > 0)) return [...points];
	const out: MetricPoint[] = [];
	let bucket = NaN;
	let sum = 0;
	let n = 0;
	let last = 0;
	const flush = () => {
		if (n) out.push([last, sum / n]);
	};
	for (const [t, v] of points) {
		const b = Math.floor(t / stepMs);
		if (b !== bucket) {
			flush();
			bucket = b;
			sum = 0;
			n = 0;
		}
		sum += v;
		n++;
		last = t;
	}
	flush();
	return out;
}

/** Reads one server's metrics: what the metrics state and charts are given. */
export type MetricsLoader = (query: MetricsQuery, signal?: AbortSignal) => Promise<ServerMetrics>;
