/**
 * The metrics part of the cloud port (`serverMetrics`), run against each adapter over its
 * stateful fake. The fake validates every request and answer against the provider's OpenAPI
 * spec; any violation fails the test. Servers are made through the adapter, then made older
 * in the fake's state, since the figures follow a server's age.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/lib/core/errors.ts';
import { deploymentLabels, resourceName } from '../../src/lib/core/labels.ts';
import type { MetricKind, ServerMetrics } from '../../src/lib/core/metrics.ts';
import type { CloudProvider } from '../../src/lib/ports/cloud.ts';
import type { FakeApi } from '../../workers/sandbox/kit.ts';
import { recorder, type Recorder } from './harness.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface MetricsSetup {
	provider: CloudProvider;
	withToken(token: string): CloudProvider;
	fake: FakeApi;
	region: string;
	size: string;
	/** Moves the server's creation time back by `ms` in the fake. */
	age(serverId: string, ms: number): void;
	/** What the provider reports for each kind ('series' ids, or missing). */
	expected: Record<MetricKind, string[] | 'missing'>;
	/** How an unknown server is told: an error, or nothing reported. */
	unknownServer: 'not-found' | 'missing';
	/** Path fragments of the requests one kind needs. */
	requestPaths: Record<MetricKind, string[]>;
}

export function metricsContract(name: string, make: (rec: Recorder) => MetricsSetup) {
	describe(`CloudProvider metrics contract: ${name}`, () => {
		let s: MetricsSetup;
		let rec: Recorder;
		let n = 0;

		beforeEach(() => {
			rec = recorder();
			s = make(rec);
		});
		afterEach(() => {
			expect(s.fake.violations).toEqual([]);
		});

		async function server(ageMs: number) {
			const dep = `metrics${String(++n).padStart(2, '0')}`;
			const labels = deploymentLabels(dep);
			const image = await s.provider.ensureImage(s.region, labels);
			const made = await s.provider.ensureServer({
				name: resourceName(dep, 'server'),
				region: s.region,
				size: s.size,
				imageId: image.id,
				userData: JSON.stringify({ ignition: { version: '3.4.0' } }),
				volumeIds: [],
				sshKeyIds: [],
				labels
			});
			s.age(made.id, ageMs);
			return made.id;
		}

		const read = (id: string, from: number, to: number, kinds?: MetricKind[]) =>
			s.provider.serverMetrics!(id, { from, to, kinds });

		function checkShape(m: ServerMetrics) {
			for (const series of m.series) {
				expect(series.points.length).toBeGreaterThan(0);
				expect(series.points.length).toBeLessThanOrEqual(130);
				let last = -Infinity;
				for (const [t, v] of series.points) {
					expect(t).toBeGreaterThan(last);
					expect(t).toBeGreaterThanOrEqual(m.from);
					expect(t).toBeLessThanOrEqual(m.to);
					expect(Number.isFinite(v)).toBe(true);
					expect(v).toBeGreaterThanOrEqual(0);
					if (series.unit === 'percent') expect(v).toBeLessThanOrEqual(100);
					last = t;
				}
			}
		}

		it('reads CPU, network and disk over the last six hours in the vendor-neutral shape', async () => {
			const id = await server(3 * DAY);
			const now = Date.now();
			const m = await read(id, now - 6 * HOUR, now);
			checkShape(m);
			for (const [kind, ids] of Object.entries(s.expected)) {
				if (ids === 'missing') expect(m.missing.map((x) => x.kind)).toContain(kind);
				else expect(m.series.filter((x) => x.kind === kind).map((x) => x.id)).toEqual(ids);
			}
			const cpu = m.series.find((x) => x.id === 'cpu')!;
			// A quiet server three days on: a few percent, not zero, not pegged.
			const average = cpu.points.reduce((a, [, v]) => a + v, 0) / cpu.points.length;
			expect(average).toBeGreaterThan(0.5);
			expect(average).toBeLessThan(20);
			const inbound = m.series.find((x) => x.id === 'network-in')!;
			expect(Math.max(...inbound.points.map(([, v]) => v))).toBeGreaterThan(100);
		});

		it('gives the same figures when asked twice, and other figures for another server', async () => {
			const a = await server(2 * DAY);
			const b = await server(2 * DAY);
			const to = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;
			const first = await read(a, to - 2 * HOUR, to, ['cpu', 'network']);
			const again = await read(a, to - 2 * HOUR, to, ['cpu', 'network']);
			const other = await read(b, to - 2 * HOUR, to, ['cpu', 'network']);
			expect(again.series).toEqual(first.series);
			expect(other.series).not.toEqual(first.series);
		});

		it('shows the busy start: the first minutes after creation work harder than later hours', async () => {
			const id = await server(DAY);
			const created = Date.now() - DAY;
			const early = await read(id, created, created + 10 * 60_000, ['cpu']);
			const later = await read(id, created + 12 * HOUR, created + 13 * HOUR, ['cpu']);
			const avg = (m: ServerMetrics) => {
				const p = m.series[0]!.points;
				return p.reduce((x, [, v]) => x + v, 0) / p.length;
			};
			expect(avg(early)).toBeGreaterThan(2 * avg(later));
		});

		it('reports nothing from before the server existed', async () => {
			const id = await server(HOUR);
			const now = Date.now();
			const m = await read(id, now - 6 * HOUR, now, ['network']);
			checkShape(m);
			for (const series of m.series) expect(series.points[0]![0]).toBeGreaterThanOrEqual(now - HOUR - 60_000);
		});

		it('asks only for the kinds wanted', async () => {
			const id = await server(DAY);
			rec.requests.length = 0;
			const now = Date.now();
			const m = await read(id, now - HOUR, now, ['cpu']);
			expect(m.series.map((x) => x.id)).toEqual(['cpu']);
			const paths = rec.requests.map((r) => r.path).join('\n');
			for (const p of s.requestPaths.cpu) expect(paths).toContain(p);
			for (const p of [...s.requestPaths.network, ...s.requestPaths.disk].filter(
				(x) => !s.requestPaths.cpu.includes(x)
			))
				expect(paths).not.toContain(p);
		});

		it('clamps a month-long or future range to what providers keep', async () => {
			const id = await server(40 * DAY);
			const now = Date.now();
			const m = await read(id, now - 90 * DAY, now + DAY, ['cpu']);
			checkShape(m);
			expect(m.to).toBeLessThanOrEqual(Date.now());
			expect(m.to - m.from).toBeLessThanOrEqual(30 * DAY);
			expect(m.series[0]!.points.length).toBeGreaterThan(60);
		});

		it('says what an unknown server gives', async () => {
			const now = Date.now();
			const attempt = read('987654321', now - HOUR, now).catch((e: unknown) => e);
			const result = await attempt;
			if (s.unknownServer === 'not-found') {
				expect(result).toBeInstanceOf(ProviderError);
				expect((result as ProviderError).code).toBe('not-found');
			} else {
				expect((result as ServerMetrics).series).toEqual([]);
				expect((result as ServerMetrics).missing.map((x) => x.kind)).toEqual(['cpu', 'network', 'disk']);
			}
		});

		it('maps a wrong token to a plain error without the token in it', async () => {
			const id = await server(DAY);
			const now = Date.now();
			const error = (await s.withToken('wrong-token-0000000000').serverMetrics!(id, {
				from: now - HOUR,
				to: now
			}).catch((e: unknown) => e)) as ProviderError;
			expect(error).toBeInstanceOf(ProviderError);
			expect(error.code).toBe('unauthorized');
			expect(error.action).toBeTruthy();
			expect(error.message).not.toContain('wrong-token');
		});

		it('waits out a rate limit and then answers', async () => {
			const id = await server(DAY);
			s.fake.faults.push({ kind: 'rate-limit', method: 'GET', path: 'metrics', waitSeconds: 7 });
			const now = Date.now();
			const m = await read(id, now - HOUR, now, ['cpu']);
			expect(m.series[0]!.points.length).toBeGreaterThan(0);
			expect(rec.waits.map((w) => w.reason)).toEqual(['rate-limited']);
			expect(rec.waits[0]!.ms).toBeGreaterThanOrEqual(5_000);
		});

		it('keeps the older CPU-and-network method working', async () => {
			const id = await server(DAY);
			const legacy = await s.provider.metrics(id, Date.now() - HOUR);
			expect(legacy.cpuPercent.length).toBeGreaterThan(0);
			expect(legacy.networkOutBytesPerSec.length).toBeGreaterThan(0);
		});
	});
}
