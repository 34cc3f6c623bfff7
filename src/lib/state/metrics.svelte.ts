/**
 * Provider metrics of one server for the charts: the chosen period, the last figures, and
 * what went wrong in plain words. A failed refresh keeps the figures already shown; a new
 * request cancels the one still running.
 */
import type { DeploymentState } from '../core/deploy/machine.ts';
import { describeError } from '../core/errors.ts';
import { deploymentMetricsLoader } from '../main/metrics.ts';
import type { MetricsLoader, ServerMetrics } from '../core/metrics.ts';

export type { MetricsLoader } from '../core/metrics.ts';

export type MetricsPeriod = 'hour' | 'day' | 'week' | 'month';

export const PERIODS: readonly { id: MetricsPeriod; label: string; ms: number }[] = [
	{ id: 'hour', label: 'Last hour', ms: 3_600_000 },
	{ id: 'day', label: 'Last day', ms: 86_400_000 },
	{ id: 'week', label: 'Last 7 days', ms: 7 * 86_400_000 },
	{ id: 'month', label: 'Last 30 days', ms: 30 * 86_400_000 }
];

export interface MetricsProblem {
	message: string;
	action: string;
}

export class MetricsState {
	period = $state<MetricsPeriod>('hour');
	data = $state.raw<ServerMetrics | undefined>(undefined);
	loading = $state(false);
	problem = $state<MetricsProblem | undefined>(undefined);
	/** When the figures shown were fetched (ms). */
	loadedAt = $state<number | undefined>(undefined);

	readonly #loader: MetricsLoader | undefined;
	readonly #now: () => number;
	#running: AbortController | undefined;
	#timer: ReturnType<typeof setInterval> | undefined;

	/** `loader` undefined: the provider offers no metrics (the charts say so). */
	constructor(loader: MetricsLoader | undefined, options: { now?: () => number } = {}) {
		this.#loader = loader;
		this.#now = options.now ?? Date.now;
	}

	/**
	 * The state for a deployment's server: its cloud choice and token (the setup record) and
	 * its server id (the deployment state). Without a server or a metrics API, `available`
	 * is false and the charts say so.
	 */
	static async forDeployment(
		setup: { cloud: { provider: string; token: string } },
		deployment: Pick<DeploymentState, 'resources'>,
		proxyBase?: string
	): Promise<MetricsState> {
		return new MetricsState(await deploymentMetricsLoader(setup, deployment, proxyBase));
	}

	get available(): boolean {
		return this.#loader !== undefined;
	}

	/** Fetches the chosen period; resolves when done (errors end up in `problem`, never thrown). */
	async load(): Promise<void> {
		if (!this.#loader) return;
		this.#running?.abort();
		const controller = new AbortController();
		this.#running = controller;
		const span = PERIODS.find((p) => p.id === this.period)!.ms;
		const to = this.#now();
		this.loading = true;
		try {
			const data = await this.#loader({ from: to - span, to }, controller.signal);
			if (controller.signal.aborted) return;
			this.data = data;
			this.loadedAt = to;
			this.problem = undefined;
		} catch (e) {
			if (controller.signal.aborted) return;
			const { message, action } = describeError(e, {
				message: 'The figures could not be read.',
				action: 'Check your connection and try again.'
			});
			this.problem = { message, action };
		} finally {
			if (this.#running === controller) {
				this.loading = false;
				this.#running = undefined;
			}
		}
	}

	/** Changes the period and fetches it. */
	choose(period: MetricsPeriod): Promise<void> {
		this.period = period;
		return this.load();
	}

	/** Refreshes every `ms` (at least 30 s) until stopped; returns the stop function. */
	follow(ms = 60_000): () => void {
		this.stop();
		this.#timer = setInterval(() => void this.load(), Math.max(30_000, ms));
		return () => this.stop();
	}

	/** Stops following and cancels a running request. */
	stop(): void {
		if (this.#timer) clearInterval(this.#timer);
		this.#timer = undefined;
		this.#running?.abort();
		this.#running = undefined;
		this.loading = false;
	}
}
