import { describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../core/errors.ts';
import { series, type MetricsQuery, type ServerMetrics } from '../core/metrics.ts';
import { MetricsState } from './metrics.svelte.ts';

const NOW = Date.UTC(2026, 10, 25, 12);
const answer = (q: MetricsQuery): ServerMetrics => ({
	from: q.from,
	to: q.to,
	stepSeconds: 60,
	series: [series('cpu', [[q.to, 3]])],
	missing: []
});

describe('metrics state', () => {
	it('loads the chosen period', async () => {
		const loader = vi.fn(async (q: MetricsQuery) => answer(q));
		const s = new MetricsState(loader, { now: () => NOW });
		await s.load();
		expect(loader).toHaveBeenLastCalledWith({ from: NOW - 3_600_000, to: NOW }, expect.any(AbortSignal));
		expect(s.data?.series[0]!.id).toBe('cpu');
		expect(s.loadedAt).toBe(NOW);
		await s.choose('week');
		expect(loader.mock.lastCall![0]).toEqual({ from: NOW - 7 * 86_400_000, to: NOW });
		expect(s.loading).toBe(false);
	});

	it('keeps the figures shown when a refresh fails, and says why in plain words', async () => {
		let fail = false;
		const s = new MetricsState(
			async (q) => {
				if (fail)
					throw new ProviderError({
						code: 'rate-limited',
						provider: 'Hetzner',
						message: 'Hetzner asks to slow down.',
						action: 'Wait a minute.'
					});
				return answer(q);
			},
			{ now: () => NOW }
		);
		await s.load();
		fail = true;
		await s.load();
		expect(s.data?.series).toHaveLength(1);
		expect(s.problem).toEqual({ message: 'Hetzner asks to slow down.', action: 'Wait a minute.' });
		fail = false;
		await s.load();
		expect(s.problem).toBeUndefined();
	});

	it('says something plain for an unexpected error, never its text', async () => {
		const s = new MetricsState(async () => {
			throw new Error('token=abc123 leaked');
		});
		await s.load();
		expect(s.problem?.message).toBe('The figures could not be read.');
		expect(JSON.stringify(s.problem)).not.toContain('abc123');
	});

	it('lets a newer request win over a slower older one', async () => {
		const pending: ((m: ServerMetrics) => void)[] = [];
		const signals: AbortSignal[] = [];
		const s = new MetricsState(
			(q, signal) => {
				signals.push(signal!);
				return new Promise((resolve) => pending.push(() => resolve(answer(q))));
			},
			{ now: () => NOW }
		);
		const first = s.load();
		const second = s.choose('day');
		expect(signals[0]!.aborted).toBe(true);
		pending[1]!(answer({ from: 0, to: NOW }));
		await second;
		pending[0]!(answer({ from: 0, to: 1 }));
		await first;
		expect(s.data?.to).toBe(NOW);
		expect(s.data?.from).toBe(NOW - 86_400_000);
		expect(s.loading).toBe(false);
	});

	it('knows when there is nothing to load from', async () => {
		const s = new MetricsState(undefined);
		expect(s.available).toBe(false);
		await s.load();
		expect(s.data).toBeUndefined();
		const none = await MetricsState.forDeployment(
			{ cloud: { provider: 'sandbox-hetzner', token: 't' } },
			{ resources: [] }
		);
		expect(none.available).toBe(false);
	});

	it('follows at a bounded pace and stops', async () => {
		vi.useFakeTimers();
		try {
			const loader = vi.fn(async (q: MetricsQuery) => answer(q));
			const s = new MetricsState(loader);
			const stop = s.follow(1000);
			await vi.advanceTimersByTimeAsync(29_000);
			expect(loader).not.toHaveBeenCalled();
			await vi.advanceTimersByTimeAsync(1_000);
			expect(loader).toHaveBeenCalledTimes(1);
			stop();
			await vi.advanceTimersByTimeAsync(120_000);
			expect(loader).toHaveBeenCalledTimes(1);
		} finally {
			vi.useRealTimers();
		}
	});
});
