/**
 * Pure geometry and words for the metrics charts: series grouped into charts, SVG paths in a
 * fixed view box (the SVG scales to its box; strokes do not), time labels and the rows of
 * the data table screen readers get.
 */
import {
	axisMax,
	formatValue,
	SERIES_INFO,
	summarize,
	type MetricKind,
	type MetricPoint,
	type MetricSeries,
	type MetricUnit,
	type Summary
} from '../../core/metrics.ts';

export const VIEW_W = 320;
export const VIEW_H = 120;

export interface ChartLine {
	id: string;
	label: string;
	points: MetricPoint[];
	summary: Summary | undefined;
}

export interface ChartModel {
	key: string;
	title: string;
	kind: MetricKind;
	unit: MetricUnit;
	lines: ChartLine[];
	yMax: number;
}

const TITLES: Record<string, string> = {
	'cpu percent': 'Processor (CPU)',
	'network bytes-per-second': 'Network traffic',
	'disk bytes-per-second': 'Disk reads and writes',
	'disk operations-per-second': 'Disk operations',
	'disk percent': 'Disk space used'
};

/** One chart per kind and unit, in the order CPU, network, disk; lines in the series' order. */
export function chartsOf(series: readonly MetricSeries[]): ChartModel[] {
	const charts = new Map<string, ChartModel>();
	for (const s of series) {
		const key = `${s.kind} ${s.unit}`;
		let chart = charts.get(key);
		if (!chart) {
			chart = { key, title: TITLES[key] ?? SERIES_INFO[s.id].label, kind: s.kind, unit: s.unit, lines: [], yMax: 1 };
			charts.set(key, chart);
		}
		chart.lines.push({ id: s.id, label: SERIES_INFO[s.id].label, points: s.points, summary: summarize(s.points) });
	}
	for (const c of charts.values()) {
		const max = Math.max(0, ...c.lines.map((l) => l.summary?.max ?? 0));
		c.yMax = axisMax(max, c.unit);
	}
	return [...charts.values()];
}

/**
 * An SVG path for points over [from, to] × [0, yMax]. A gap longer than `gapMs` (no data,
 * e.g. the server was off) starts a new segment instead of drawing a false line across it.
 */
export function linePath(
	points: readonly MetricPoint[],
	from: number,
	to: number,
	yMax: number,
	gapMs = Infinity
): string {
	if (!points.length || to <= from || !(yMax > 0)) return '';
	const x = (t: number) => round(((t - from) / (to - from)) * VIEW_W);
	const y = (v: number) => round(VIEW_H - (Math.min(Math.max(v, 0), yMax) / yMax) * VIEW_H);
	let d = '';
	let prev: number | undefined;
	for (const [t, v] of points) {
		const move = prev === undefined || t - prev > gapMs;
		d += `${move ? (d ? ' M' : 'M') : ' L'}${x(t)} ${y(v)}`;
		prev = t;
	}
	return d;
}

function round(n: number): number {
	return Math.round(n * 10) / 10;
}

/** "14:05" for ranges within a day, "25 Nov" beyond; in the person's locale and time zone. */
export function timeLabel(t: number, spanMs: number, locale?: string): string {
	const options: Intl.DateTimeFormatOptions =
		spanMs <= 36 * 3_600_000 ? { hour: '2-digit', minute: '2-digit' } : { day: 'numeric', month: 'short' };
	return new Intl.DateTimeFormat(locale, options).format(t);
}

/** "Now 4.2 %, average 3.9 %, highest 12 %" for one line. */
export function summaryText(line: ChartLine, unit: MetricUnit): string {
	if (!line.summary) return `${line.label}: no figures in this period.`;
	const f = (v: number) => formatValue(v, unit);
	return `${line.label}: now ${f(line.summary.current)}, average ${f(line.summary.average)}, highest ${f(line.summary.max)}.`;
}

/** Rows for the data table: one per time, a cell per line ('' where a line has no point). */
export function tableRows(chart: ChartModel): { t: number; cells: string[] }[] {
	const times = [...new Set(chart.lines.flatMap((l) => l.points.map(([t]) => t)))].sort((a, b) => a - b);
	const maps = chart.lines.map((l) => new Map(l.points));
	return times.map((t) => ({
		t,
		cells: maps.map((m) => {
			const v = m.get(t);
			return v === undefined ? '' : formatValue(v, chart.unit);
		})
	}));
}

/** Horizontal grid lines at quarters of the axis, with their values. */
export function gridLines(chart: ChartModel): { y: number; label: string }[] {
	return [0.25, 0.5, 0.75, 1].map((f) => ({
		y: round(VIEW_H - f * VIEW_H),
		label: formatValue(f * chart.yMax, chart.unit)
	}));
}
