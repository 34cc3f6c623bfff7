import { describe, expect, it } from 'vitest';
import { fromHetznerMetrics, hetznerMetricsRequest } from './convert.ts';

const NOW = Date.UTC(2026, 10, 25, 12);
const HOUR = 3_600_000;

describe('Hetzner metrics conversion', () => {
	it('asks for the kinds, the range in RFC 3339 and a step', () => {
		const req = hetznerMetricsRequest('42', { from: NOW - HOUR, to: NOW, kinds: ['cpu', 'disk'] }, NOW);
		expect(req.path).toBe('/servers/42/metrics');
		expect(req.query).toEqual({
			type: 'cpu,disk',
			start: '2026-11-25T11:00:00.000Z',
			end: '2026-11-25T12:00:00.000Z',
			step: '60'
		});
	});

	it('turns time series into named series in ms, dropping odd values', () => {
		const req = hetznerMetricsRequest('42', { from: NOW - HOUR, to: NOW }, NOW);
		const t = (NOW - 120_000) / 1000;
		const m = fromHetznerMetrics(
			{
				metrics: {
					start: '',
					end: '',
					step: 60,
					time_series: {
						cpu: { values: [[t, '12.5'], [t + 60, 'NaN'], 'junk', [t + 120, '30']] },
						'network.0.bandwidth.in': { values: [[t, '1000']] },
						'network.0.bandwidth.out': { values: [[t, '2000']] }
					}
				}
			},
			req
		);
		expect(m.series.map((s) => s.id)).toEqual(['cpu', 'network-in', 'network-out']);
		expect(m.series[0]!.points).toEqual([
			[t * 1000, 12.5],
			[(t + 120) * 1000, 30]
		]);
		expect(m.series[1]).toMatchObject({ kind: 'network', unit: 'bytes-per-second' });
		expect(m.missing).toEqual([{ kind: 'disk', reason: expect.stringMatching(/no figures/) }]);
		expect(m.stepSeconds).toBe(60);
	});

	it('survives a hostile or empty answer', () => {
		const req = hetznerMetricsRequest('42', { from: NOW - HOUR, to: NOW, kinds: ['cpu'] }, NOW);
		for (const body of [null, 'x', { metrics: null }, { metrics: { time_series: [] } }])
			expect(fromHetznerMetrics(body, req)).toMatchObject({ series: [], missing: [{ kind: 'cpu' }] });
	});
});
