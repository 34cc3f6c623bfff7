/**
 * The move runner: the move operation on the shared engine (services/engine): one step at
 * a time, the state stored after every transition (intent before the side effect, result
 * after it), so a new runner made from the stored state resumes where the last one
 * stopped, observing before creating. Besides the steps: putting the status address back
 * after a failure, the confirmed removal of the old server, and giving up.
 */
import {
	moveTransition,
	nextMoveAction,
	type MoveEvent,
	type MoveState,
	type MoveStepId
} from '../../core/deploy/move.ts';
import { OperationRunner, type Operation } from '../engine/engine.ts';
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

type MoveStepResult = Awaited<ReturnType<typeof performMoveStep>>;

/** The move operation for the engine: one step at a time, in order. */
function moveOperation(
	ports: MoveRunnerPorts,
	timings: MoveTimings
): Operation<MoveState, MoveEvent, MoveStepId, MoveStepResult> {
	return {
		transition: moveTransition,
		next(state, now, inFlight) {
			if (inFlight.size > 0) return { start: [] };
			const next = nextMoveAction(state, now);
			return { start: next.start && next.start !== 'revert' ? [next.start] : [], wakeAt: next.wakeAt };
		},
		running: (s) => s.phase === 'running',
		attempts: (s, step) => s.steps[step]?.attempts ?? 0,
		providerOf(s, step) {
			const by = s.plan.steps.find((x) => x.id === step)?.by;
			if (by === 'cloud') return ports.cloud.displayName;
			if (by === 'old-cloud') return ports.fromCloud.displayName;
			if (by === 'dns') return ports.dns.displayName;
			if (by === 'git') return ports.git.displayName;
			return 'your server';
		},
		perform: (s, step, observe, signal) => performMoveStep(ports, s, step, observe, signal, timings),
		begin: (_s, step, at) => ({ type: 'begin', step, at }),
		succeed: (step, at, result) => ({ type: 'succeed', step, at, ...result }),
		// A new server that failed, or a backup that failed, is not retried by itself.
		fail: (step, at, error, jitter, thrown) => ({
			type: 'fail',
			step,
			at,
			error,
			jitter,
			final: thrown instanceof MoveStepFailure
		})
	};
}

export class MoveRunner extends OperationRunner<MoveState, MoveEvent, MoveStepId, MoveStepResult> {
	#ports: MoveRunnerPorts;

	constructor(ports: MoveRunnerPorts, state: MoveState, timings: MoveTimings = DEFAULT_MOVE_TIMINGS) {
		super(moveOperation(ports, timings), ports, state);
		this.#ports = ports;
	}

	/**
	 * Runs until the move waits for the person (confirm, failed) or is over. A failure after
	 * the status address was pointed at the new server puts it back first.
	 */
	async run(): Promise<MoveState> {
		for (;;) {
			if (nextMoveAction(this.state, this.#ports.clock.now()).start === 'revert') {
				try {
					await revertAdmin(this.#ports, this.state);
					await this.apply({ type: 'reverted', at: this.#ports.clock.now() });
				} catch {
					// The DNS provider did not answer: the next run tries again; the state still says so.
					return this.state;
				}
			}
			await this.engine.run();
			if (nextMoveAction(this.state, this.#ports.clock.now()).start !== 'revert') return this.state;
		}
	}

	/** After a failure: try again from the failed step. */
	async retry(): Promise<MoveState> {
		if (this.state.revert === 'needed') await this.run();
		await this.apply({ type: 'retry', at: this.#ports.clock.now() });
		return this.run();
	}

	/** After the person confirmed: remove the old server, its disk and its firewall. */
	async confirmRemoval(): Promise<MoveState> {
		await this.apply({ type: 'confirm-removal', at: this.#ports.clock.now(), confirmed: true });
		return this.run();
	}

	/**
	 * Gives up a failed move before the switch: removes what it created at the new provider
	 * (server first). The old server was never touched and keeps serving.
	 */
	async abandon(): Promise<MoveState> {
		if (this.state.revert === 'needed') await this.run();
		// The image stays: the old server may boot from the same one.
		const order = ['server', 'firewall', 'volume', 'ssh-key'] as const;
		// Things a closed tab may have made without recording them are found by name.
		const names = new Set(this.state.plan.steps.map((s) => s.name).filter(Boolean));
		const found = (await this.#ports.cloud.findByLabels(this.state.plan.labels)).filter((r) => names.has(r.name));
		const all = [...this.state.created];
		for (const r of found)
			if (!all.some((c) => c.kind === r.kind && c.id === r.id) && r.kind !== 'snapshot' && r.kind !== 'image')
				all.push({ kind: r.kind, id: r.id, name: r.name, step: 'server' });
		for (const kind of order)
			await Promise.all(all.filter((r) => r.kind === kind).map((r) => this.#ports.cloud.delete(r)));
		// The app records were never switched; their usual TTL comes back too.
		await revertAdmin(this.#ports, this.state);
		await restoreTtls(this.#ports, this.state);
		await this.apply({ type: 'abandoned', at: this.#ports.clock.now() });
		return this.state;
	}

	/** Stops after the current call (the page closes, or the person leaves). */
	stop(): void {
		this.engine.stop();
	}
}
