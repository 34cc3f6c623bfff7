import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
	axisMax,
	cleanPoints,
	downsample,
	formatValue,
	MAX_RANGE_MS,
	normalizeQuery,
	summarize,
	toLegacyMetrics,
	series
} from './metrics.ts';

const NOW = Date.UTC(2026, 10, 25, 12);

describe('normalizeQuery', () => {
	it('keeps a sane hour and picks a one-minute step', () => {
		expect(normalizeQuery({ from: NOW - 3_600_000, to: NOW }, NOW)).toEqual({
			from: NOW - 3_600_000,
			to: NOW,
			kinds: ['cpu', 'network', 'disk'],
			stepSeconds: 60
		});
	});
	it('clamps the future and the distant past, and keeps about 120 points', () => {
		const n = normalizeQuery({ from: 0, to: NOW + 10_000, kinds: ['disk', 'cpu', 'disk'] }, NOW);
		expect(n.to).toBe(NOW);
		expect(n.from).toBe(NOW - MAX_RANGE_MS);
		expect(n.kinds).toEqual(['cpu', 'disk']);
		expect((n.to - n.from) / 1000 / n.stepSeconds).toBeLessThanOrEqual(120);
		expect(n.stepSeconds % 60).toBe(0);
	});
	it('refuses an empty or reversed range, and no kinds', () => {
		expect(() => normalizeQuery({ from: NOW, to: NOW - 1 }, NOW)).toThrow(/empty/);
		expect(() => normalizeQuery({ from: NaN, to: NOW }, NOW)).toThrow(/not a number/);
		expect(() => normalizeQuery({ from: 0, to: NOW, kinds: [] }, NOW)).toThrow(/kind/);
	});
	it('never gives more than 500 points (the most Hetzner sends)', () => {
		fc.assert(
			fc.property(fc.integer({ min: 1, max: MAX_RANGE_MS * 2 }), (span) => {
				const n = normalizeQuery({ from: NOW - span, to: NOW }, NOW);
				expect((n.to - n.from) / 1000 / n.stepSeconds).toBeLessThanOrEqual(500);
			})
		);
	});
});

describe('points', () => {
	it('cleans: sorted, in range, finite, one per time', () => {
		expect(
			cleanPoints(
				[
					[30, 3],
					[10, 1],
					[20, NaN],
					[10, 2],
					[99, 9]
				],
				0,
				50
			)
		).toEqual([
			[10, 2],
			[30, 3]
		]);
	});
	it('summarises current, average and max', () => {
		expect(
			summarize([
				[1, 2],
				[2, 6],
				[3, 4]
			])
		).toEqual({ current: 4, average: 4, max: 6, count: 3 });
		expect(summarize([])).toBeUndefined();
	});
	it('downsamples by averaging buckets', () => {
		expect(
			downsample(
				[
					[0, 1],
					[30_000, 3],
					[60_000, 10],
					[125_000, 4]
				],
				60_000
			)
		).toEqual([
			[30_000, 2],
			[60_000, 10],
			[125_000, 4]
		]);
	});
	it('keeps the older CPU-and-network shape for existing callers', () => {
		const legacy = toLegacyMetrics({
			from: 0,
			to: 1,
			stepSeconds: 60,
			series: [series('cpu', [[1, 5]]), series('disk-read', [[1, 7]])],
			missing: []
		});
		expect(legacy).toEqual({
			cpuPercent: [[1, 5]],
			networkInBytesPerSec: [],
			networkOutBytesPerSec: [],
			diskReadBytesPerSec: [[1, 7]]
		});
	});
});

describe('words and axes', () => {
	it('formats values people read', () => {
		expect(formatValue(3.14159, 'percent')).toBe('3.1 %');
		expect(formatValue(57.6, 'percent')).toBe('58 %');
		expect(formatValue(512, 'bytes-per-second')).toBe('512 B/s');
		expect(formatValue(1_500_000, 'bytes-per-second')).toBe('1.5 MB/s');
		expect(formatValue(25_000, 'bytes-per-second')).toBe('25 kB/s');
		expect(formatValue(4, 'operations-per-second')).toBe('4 operations/s');
	});
	it('rounds the axis up', () => {
		expect(axisMax(37, 'percent')).toBe(100);
		expect(axisMax(180, 'percent')).toBe(200);
		expect(axisMax(0, 'bytes-per-second')).toBe(1);
		expect(axisMax(1234, 'bytes-per-second')).toBe(2000);
		expect(axisMax(2600, 'bytes-per-second')).toBe(5000);
		fc.assert(
			fc.property(fc.double({ min: 0.001, max: 1e12, noNaN: true }), (m) => axisMax(m, 'bytes-per-second') >= m)
		);
	});
});
