/**
 * The move runner: one step at a time, the state stored after every transition (intent
 * before the side effect, result after it). A new runner made from the stored state
 * resumes where the last one stopped, observing before creating.
 */
import {
	moveTransition,
	nextMoveAction,
	type MoveEvent,
	type MoveState,
	type MoveStepId
} from '../../core/deploy/move.ts';
import { toStepError } from '../deploy/runner.ts';
import {
	DEFAULT_MOVE_TIMINGS,
	MoveStepFailure,
	performMoveStep,
	restoreTtls,
	revertAdmin,
	type MovePorts,
	type MoveTimings
} from './steps.ts';

/** Where a move's state is kept (`move/<deployment id>` in the vault). */
export interface MoveStore {
	load(deploymentId: string): Promise<MoveState | undefined>;
	/** Durable when it resolves. */
	save(state: MoveState): Promise<void>;
	remove(deploymentId: string): Promise<void>;
}

export interface MoveRunnerPorts extends MovePorts {
	store: MoveStore;
	random: () => number;
}

export class MoveRunner {
	#state: MoveState;
	#ports: MoveRunnerPorts;
	#timings: MoveTimings;
	#listeners = new Set<(s: MoveState) => void>();
	#abort = new AbortController();

	constructor(ports: MoveRunnerPorts, state: MoveState, timings: MoveTimings = DEFAULT_MOVE_TIMINGS) {
		this.#ports = ports;
		this.#state = state;
		this.#timings = timings;
	}

	get state(): MoveState {
		return this.#state;
	}

	subscribe(listener: (s: MoveState) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	async #apply(event: MoveEvent): Promise<void> {
		this.#state = moveTransition(this.#state, event);
		for (const l of this.#listeners) l(this.#state);
		await this.#ports.store.save(this.#state);
	}

	#provider(step: MoveStepId): string {
		const by = this.#state.plan.steps.find((s) => s.id === step)?.by;
		if (by === 'cloud') return this.#ports.cloud.displayName;
		if (by === 'old-cloud') return this.#ports.fromCloud.displayName;
		if (by === 'dns') return this.#ports.dns.displayName;
		if (by === 'git') return this.#ports.git.displayName;
		return 'your server';
	}

	async #runStep(step: MoveStepId): Promise<void> {
		const observe = (this.#state.steps[step]?.attempts ?? 0) > 0;
		await this.#apply({ type: 'begin', step, at: this.#ports.clock.now() });
		let outcome: { ok: true; value: Awaited<ReturnType<typeof performMoveStep>> } | { ok: false; error: unknown };
		try {
			outcome = {
				ok: true,
				value: await performMoveStep(this.#ports, this.#state, step, observe, this.#abort.signal, this.#timings)
			};
		} catch (error) {
			outcome = { ok: false, error };
		}
		if (outcome.ok) await this.#apply({ type: 'succeed', step, at: this.#ports.clock.now(), ...outcome.value });
		else
			await this.#apply({
				type: 'fail',
				step,
				at: this.#ports.clock.now(),
				error: toStepError(outcome.error, this.#provider(step)),
				jitter: this.#ports.random(),
				final: outcome.error instanceof MoveStepFailure
			});
	}

	/** Runs until the move waits for the person (confirm, failed) or is over. Bounded by the plan. */
	async run(): Promise<MoveState> {
		for (let guard = 0; guard < 10_000; guard++) {
			const now = this.#ports.clock.now();
			const next = nextMoveAction(this.#state, now);
			if (next.start === 'revert') {
				try {
					await revertAdmin(this.#ports, this.#state);
					await this.#apply({ type: 'reverted', at: this.#ports.clock.now() });
				} catch {
					// The DNS provider did not answer: the next run tries again; the state still says so.
					return this.#state;
				}
				continue;
			}
			if (next.start) {
				await this.#runStep(next.start);
				continue;
			}
			if (next.wakeAt !== undefined && this.#state.phase === 'running') {
				try {
					await this.#ports.clock.sleep(Math.max(0, next.wakeAt - now), this.#abort.signal);
				} catch {
					return this.#state;
				}
				continue;
			}
			break;
		}
		return this.#state;
	}

	/** After a failure: try again from the failed step. */
	async retry(): Promise<MoveState> {
		if (this.#state.revert === 'needed') await this.run();
		await this.#apply({ type: 'retry', at: this.#ports.clock.now() });
		return this.run();
	}

	/** After the person confirmed: remove the old server, its disk and its firewall. */
	async confirmRemoval(): Promise<MoveState> {
		await this.#apply({ type: 'confirm-removal', at: this.#ports.clock.now(), confirmed: true });
		return this.run();
	}

	/**
	 * Gives up a failed move before the switch: removes what it created at the new provider
	 * (server first). The old server was never touched and keeps serving.
	 */
	async abandon(): Promise<MoveState> {
		if (this.#state.revert === 'needed') await this.run();
		// The image stays: the old server may boot from the same one.
		const order = ['server', 'firewall', 'volume', 'ssh-key'] as const;
		// Things a closed tab may have made without recording them are found by name.
		const names = new Set(this.#state.plan.steps.map((s) => s.name).filter(Boolean));
		const found = (await this.#ports.cloud.findByLabels(this.#state.plan.labels)).filter((r) => names.has(r.name));
		const all = [...this.#state.created];
		for (const r of found)
			if (!all.some((c) => c.kind === r.kind && c.id === r.id) && r.kind !== 'snapshot' && r.kind !== 'image')
				all.push({ kind: r.kind, id: r.id, name: r.name, step: 'server' });
		for (const kind of order)
			await Promise.all(all.filter((r) => r.kind === kind).map((r) => this.#ports.cloud.delete(r)));
		// The app records were never switched; their usual TTL comes back too.
		await revertAdmin(this.#ports, this.#state);
		await restoreTtls(this.#ports, this.#state);
		await this.#apply({ type: 'abandoned', at: this.#ports.clock.now() });
		return this.#state;
	}

	/** Stops after the current call (the page closes, or the person leaves). */
	stop(): void {
		this.#abort.abort();
	}
}
