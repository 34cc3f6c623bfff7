import { describe, expect, it } from 'vitest';
import { digitalOceanMetricsRequest, fromDigitalOceanMetrics } from './convert.ts';

const NOW = Date.UTC(2026, 10, 25, 12);
const HOUR = 3_600_000;
const T = (NOW - 600_000) / 1000;

const matrix = (...result: { metric: Record<string, string>; values: [number, string][] }[]) => ({
	status: 'success',
	data: { resultType: 'matrix', result }
});

describe('DigitalOcean metrics conversion', () => {
	it('makes one call per figure with unix seconds', () => {
		const req = digitalOceanMetricsRequest('7', { from: NOW - HOUR, to: NOW }, NOW);
		expect(req.calls.map((c) => `${c.path} ${c.query.direction ?? ''}`.trim())).toEqual([
			'/v2/monitoring/metrics/droplet/cpu',
			'/v2/monitoring/metrics/droplet/bandwidth inbound',
			'/v2/monitoring/metrics/droplet/bandwidth outbound',
			'/v2/monitoring/metrics/droplet/filesystem_size',
			'/v2/monitoring/metrics/droplet/filesystem_free'
		]);
		expect(req.calls[0]!.query).toEqual({ host_id: '7', start: String((NOW - HOUR) / 1000), end: String(NOW / 1000) });
	});

	it('turns cumulative CPU seconds into busy percent, Mbps into bytes/s, free space into used percent', () => {
		const req = digitalOceanMetricsRequest('7', { from: NOW - HOUR, to: NOW }, NOW);
		const m = fromDigitalOceanMetrics(
			{
				cpu: matrix(
					{
						metric: { mode: 'idle' },
						values: [
							[T, '100'],
							[T + 60, '145'],
							[T + 120, '10']
						]
					},
					{
						metric: { mode: 'user' },
						values: [
							[T, '20'],
							[T + 60, '35'],
							[T + 120, '36']
						]
					}
				),
				'bandwidth-in': matrix({ metric: { direction: 'inbound' }, values: [[T, '0.8']] }),
				'bandwidth-out': matrix({ metric: { direction: 'outbound' }, values: [[T, '2']] }),
				'filesystem-size': matrix(
					{ metric: { mountpoint: '/' }, values: [[T, '1000']] },
					{ metric: { mountpoint: '/data' }, values: [[T, '3000']] }
				),
				'filesystem-free': matrix(
					{ metric: { mountpoint: '/' }, values: [[T, '500']] },
					{ metric: { mountpoint: '/data' }, values: [[T, '2500']] }
				)
			},
			req
		);
		const by = Object.fromEntries(m.series.map((s) => [s.id, s.points]));
		// 45 idle of 60 seconds: 25 % busy; the next interval is a counter reset and is skipped.
		expect(by.cpu).toEqual([[(T + 60) * 1000, 25]]);
		expect(by['network-in']).toEqual([[T * 1000, 100_000]]);
		expect(by['network-out']).toEqual([[T * 1000, 250_000]]);
		expect(by['disk-used']).toEqual([[T * 1000, 25]]);
		expect(m.missing).toEqual([]);
	});

	it('says plainly when the metrics agent sent nothing, and survives hostile answers', () => {
		const req = digitalOceanMetricsRequest('7', { from: NOW - HOUR, to: NOW }, NOW);
		const m = fromDigitalOceanMetrics(
			{ cpu: { data: { result: 'x' } }, 'bandwidth-in': null, 'filesystem-size': matrix(), 'filesystem-free': 5 },
			req
		);
		expect(m.series).toEqual([]);
		expect(m.missing.map((x) => x.kind)).toEqual(['cpu', 'network', 'disk']);
		expect(m.missing[2]!.reason).toMatch(/metrics agent/);
	});
});
