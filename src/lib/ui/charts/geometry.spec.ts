import { describe, expect, it } from 'vitest';
import { series } from '../../core/metrics.ts';
import { chartsOf, gridLines, linePath, summaryText, tableRows, timeLabel, VIEW_H, VIEW_W } from './geometry.ts';

describe('chart geometry', () => {
	it('groups series into charts by kind and unit', () => {
		const charts = chartsOf([
			series('cpu', [[0, 50]]),
			series('network-in', [[0, 1200]]),
			series('network-out', [[0, 300]]),
			series('disk-read', [[0, 5]]),
			series('disk-read-ops', [[0, 2]])
		]);
		expect(charts.map((c) => [c.title, c.lines.length, c.yMax])).toEqual([
			['Processor (CPU)', 1, 100],
			['Network traffic', 2, 2000],
			['Disk reads and writes', 1, 5],
			['Disk operations', 1, 2]
		]);
	});

	it('draws in the view box, with gaps where data is missing', () => {
		const d = linePath(
			[
				[0, 0],
				[50, 100],
				[100, 50],
				[400, 25],
				[500, 0]
			],
			0,
			500,
			100,
			150
		);
		expect(d).toBe(`M0 ${VIEW_H} L32 0 L64 60 M256 90 L${VIEW_W} ${VIEW_H}`);
		expect(linePath([], 0, 1, 1)).toBe('');
		// Values beyond the axis are clamped, never drawn outside the box.
		expect(linePath([[0, 500]], 0, 1, 100)).toBe('M0 0');
	});

	it('says it in words and in a table', () => {
		const [chart] = chartsOf([
			series('network-in', [
				[1000, 1000],
				[2000, 3000]
			]),
			series('network-out', [[2000, 500]])
		]);
		expect(summaryText(chart!.lines[0]!, chart!.unit)).toBe(
			'Network traffic in: now 3 kB/s, average 2 kB/s, highest 3 kB/s.'
		);
		expect(summaryText({ ...chart!.lines[1]!, summary: undefined }, chart!.unit)).toMatch(/no figures/);
		expect(tableRows(chart!)).toEqual([
			{ t: 1000, cells: ['1 kB/s', ''] },
			{ t: 2000, cells: ['3 kB/s', '500 B/s'] }
		]);
		expect(gridLines(chart!).map((g) => g.label)).toEqual(['1.3 kB/s', '2.5 kB/s', '3.8 kB/s', '5 kB/s']);
	});

	it('labels times by the span shown', () => {
		const t = Date.UTC(2026, 10, 25, 14, 5);
		expect(timeLabel(t, 3_600_000, 'en-GB')).toMatch(/^\d\d:\d\d$/);
		expect(timeLabel(t, 7 * 86_400_000, 'en-GB')).toMatch(/Nov/);
	});
});
