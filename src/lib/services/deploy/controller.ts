/**
 * One deployment as the page sees it: the tab that gets the deployment's lock runs it
 * (under the app's operation lock, so no app update activates meanwhile); any other tab
 * follows its news, and takes over when the running tab closes.
 */
import type { DeploymentState } from '../../core/deploy/machine.ts';
import type { OperationLocks } from '../../ports/app-updates.ts';
import type { DeployCoordination } from '../../ports/deploy.ts';
import { DeployRunner, type RunnerPorts } from './runner.ts';
import type { StepTimings } from './steps.ts';

export interface ControllerPorts extends RunnerPorts {
	coordination: DeployCoordination;
	operations: OperationLocks;
}

export type Role = 'idle' | 'running' | 'following';

export interface ControllerView {
	state: DeploymentState | undefined;
	role: Role;
	/** A problem outside any step (storage failed, the state was unreadable). */
	problem?: string;
}

const isRunning = (s: DeploymentState) => s.phase === 'running';

export function operationName(deploymentId: string): string {
	return `deploy ${deploymentId}`;
}

export class DeployController {
	#ports: ControllerPorts;
	#id: string;
	#timings: StepTimings | undefined;
	#view: ControllerView = { state: undefined, role: 'idle' };
	#listeners = new Set<(view: ControllerView) => void>();
	#runner: DeployRunner | undefined;
	#closed = new AbortController();
	#unsubscribe: (() => void) | undefined;

	constructor(ports: ControllerPorts, deploymentId: string, timings?: StepTimings) {
		this.#ports = ports;
		this.#id = deploymentId;
		this.#timings = timings;
	}

	get view(): ControllerView {
		return this.#view;
	}

	subscribe(listener: (view: ControllerView) => void): () => void {
		this.#listeners.add(listener);
		listener(this.#view);
		return () => this.#listeners.delete(listener);
	}

	#set(patch: Partial<ControllerView>): void {
		const next = { ...this.#view, ...patch };
		// A stale message from another tab never overwrites newer news.
		if (
			patch.state &&
			this.#view.state &&
			patch.state.rev < this.#view.state.rev &&
			patch.state.id === this.#view.state.id
		)
			next.state = this.#view.state;
		this.#view = next;
		for (const l of this.#listeners) l(next);
	}

	/** Loads the stored state, then runs it here or follows the tab that does. */
	async open(): Promise<void> {
		const stored = await this.#ports.store.load(this.#id);
		this.#set({ state: stored });
		this.#unsubscribe ??= this.#ports.coordination.subscribe(this.#id, (s) => {
			if (this.#view.role !== 'running') this.#set({ state: s });
		});
		if (stored?.phase === 'running') await this.#act((r) => r.run(), isRunning);
		else if (stored?.phase === 'destroying')
			await this.#act(
				(r) => r.destroy(),
				(s) => s.phase === 'destroying'
			);
	}

	/**
	 * Does `work` with this deployment's lock. When another tab holds it, follows that tab
	 * and waits in line: when that tab closes, this one continues the work.
	 */
	async #act(
		work: (runner: DeployRunner) => Promise<DeploymentState>,
		when: (state: DeploymentState) => boolean
	): Promise<void> {
		const attempt = async (ifAvailable: boolean) =>
			this.#ports.coordination.exclusive(
				this.#id,
				async () => {
					const state = await this.#ports.store.load(this.#id);
					if (!state) return;
					this.#set({ state });
					// Another tab may have finished the work while this one waited.
					if (!when(state)) return;
					const runner = new DeployRunner(this.#ports, state, this.#timings);
					this.#runner = runner;
					const off = runner.subscribe((s) => {
						this.#set({ state: s });
						this.#ports.coordination.publish(s);
					});
					this.#set({ state, role: 'running', problem: undefined });
					try {
						await this.#ports.operations.hold(operationName(this.#id), () => work(runner));
					} catch {
						this.#set({
							problem: 'nassella could not save the progress in this browser. Reload the page to continue.'
						});
					} finally {
						off();
						this.#runner = undefined;
						this.#set({ role: 'idle' });
					}
				},
				{ ifAvailable, signal: this.#closed.signal }
			);
		const first = await attempt(true);
		if (first.acquired) return;
		this.#set({ role: 'following' });
		try {
			// Waits for the other tab; then picks up whatever it left.
			await attempt(false);
			const after = await this.#ports.store.load(this.#id);
			if (after) this.#set({ state: after });
			if (after?.phase === 'running') await this.#act((r) => r.run(), isRunning);
		} catch {
			// This page closed while waiting.
		}
	}

	/** Creates and stores a new deployment, then runs it. */
	async start(initial: DeploymentState): Promise<void> {
		await this.#ports.store.save(initial);
		this.#set({ state: initial });
		await this.#act((r) => r.run(), isRunning);
	}

	async retry(): Promise<void> {
		await this.#act(
			(r) => r.retry(),
			(s) => s.phase === 'failed' || s.phase === 'cancelled'
		);
	}

	/** Stops after the steps under way; works only in the tab that runs it. */
	async cancel(): Promise<void> {
		if (this.#runner) await this.#runner.cancel();
		else
			await this.#act(
				(r) => r.cancel(),
				(s) => s.phase === 'running' || s.phase === 'failed'
			);
	}

	/** Removes everything this deployment made. The page asks for confirmation first. */
	async destroy(): Promise<void> {
		if (this.#runner) await this.#runner.cancel();
		await this.#act(
			(r) => r.destroy(),
			(s) => s.phase !== 'destroyed'
		);
	}

	close(): void {
		this.#closed.abort();
		this.#unsubscribe?.();
	}
}
