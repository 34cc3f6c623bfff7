/**
 * The resumable engine every long operation runs on (setting up a deployment, moving it,
 * and any later one). An operation contributes its pure state machine, its scheduling and
 * what each step does through the ports; the engine performs the steps, as many at once as
 * the operation's scheduling allows, and stores the state after every transition: before
 * each side effect an intent ("begin"), after it the result. A page can close at any
 * moment: an engine made from the stored state resumes, and a step that was begun before
 * runs again observing first (`observe`: look before you create).
 */
import { isProviderError } from '../../core/errors.ts';
import type { StepError } from '../../core/deploy/retry.ts';
import type { Clock } from '../../ports/deploy.ts';

/** Where an operation's state is kept: durable when `save` resolves (the vault, in the app). */
export interface StateSaver<S> {
	save(state: S): Promise<void>;
}

export interface EnginePorts<S> {
	store: StateSaver<S>;
	clock: Clock;
	/** A random number in [0, 1), for retry jitter. */
	random: () => number;
}

/** What one long operation contributes to the engine. */
export interface Operation<S, E, Id extends string, R> {
	/** The pure state machine: throws on an event the state does not allow. */
	transition(state: S, event: E): S;
	/** The steps to begin now (never one in `inFlight`), and when to look again for a retry. */
	next(state: S, now: number, inFlight: ReadonlySet<Id>): { start: readonly Id[]; wakeAt?: number };
	/** Whether the operation may go on by itself (false once it waits for the person or is over). */
	running(state: S): boolean;
	/** How often a step was begun: anything but a first attempt observes before it creates. */
	attempts(state: S, step: Id): number;
	/** Who performs the step, in words the person knows (for errors). */
	providerOf(state: S, step: Id): string;
	perform(state: S, step: Id, observe: boolean, signal: AbortSignal): Promise<R>;
	begin(state: S, step: Id, at: number): E;
	succeed(step: Id, at: number, result: R): E;
	fail(step: Id, at: number, error: StepError, jitter: number, thrown: unknown): E;
}

/** Turns anything thrown into a stored error: never a raw message that could hold a secret. */
export function toStepError(e: unknown, fallbackProvider: string): StepError {
	if (isProviderError(e)) {
		const err: StepError = { code: e.code, provider: e.provider, message: e.message, action: e.action };
		if (e.retryAfterMs !== undefined) err.retryAfterMs = e.retryAfterMs;
		return err;
	}
	if (e instanceof DOMException && (e.name === 'AbortError' || e.name === 'TimeoutError'))
		return {
			code: 'network',
			provider: fallbackProvider,
			message: 'The step was interrupted.',
			action: 'nassella tries again when you continue.'
		};
	return {
		code: 'unexpected',
		provider: fallbackProvider,
		message: 'Something unexpected went wrong in this step.',
		action: 'Try again. If it keeps happening, export your settings and report the problem.'
	};
}

export class Engine<S, E, Id extends string, R> {
	#state: S;
	#op: Operation<S, E, Id, R>;
	#ports: EnginePorts<S>;
	#listeners = new Set<(state: S) => void>();
	#saving: Promise<void> = Promise.resolve();
	#inFlight = new Map<Id, Promise<void>>();
	#abort = new AbortController();
	#wake: (() => void) | undefined;
	/** A failure to store state: the engine must stop, as if the page had closed. */
	#fatal: unknown;

	constructor(op: Operation<S, E, Id, R>, ports: EnginePorts<S>, state: S) {
		this.#op = op;
		this.#ports = ports;
		this.#state = state;
	}

	get state(): S {
		return this.#state;
	}

	subscribe(listener: (state: S) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/** Applies an event, tells the listeners, then waits until the new state is stored. */
	async apply(event: E): Promise<void> {
		this.#state = this.#op.transition(this.#state, event);
		const snapshot = this.#state;
		for (const l of this.#listeners) l(snapshot);
		this.#saving = this.#saving.then(() => this.#ports.store.save(snapshot));
		await this.#saving;
	}

	async #runStep(step: Id): Promise<void> {
		// Anything but a first attempt may have left something behind: look before creating.
		const observe = this.#op.attempts(this.#state, step) > 0;
		await this.apply(this.#op.begin(this.#state, step, this.#ports.clock.now()));
		let outcome: { ok: true; result: R } | { ok: false; error: unknown };
		try {
			outcome = {
				ok: true,
				result: await this.#op.perform(this.#state, step, observe, this.#abort.signal)
			};
		} catch (error) {
			outcome = { ok: false, error };
		}
		// Outside the try: a failure to store the result must not be mistaken for a failed step.
		const at = this.#ports.clock.now();
		if (outcome.ok) await this.apply(this.#op.succeed(step, at, outcome.result));
		else {
			const error = toStepError(outcome.error, this.#op.providerOf(this.#state, step));
			await this.apply(this.#op.fail(step, at, error, this.#ports.random(), outcome.error));
		}
	}

	/** Runs steps until the operation waits for the person, is over, or is stopped. */
	async run(): Promise<S> {
		for (;;) {
			if (this.#fatal !== undefined) throw this.#fatal;
			const now = this.#ports.clock.now();
			const { start, wakeAt } = this.#op.next(this.#state, now, new Set(this.#inFlight.keys()));
			if (!this.#abort.signal.aborted)
				for (const step of start) {
					const p = this.#runStep(step)
						.catch((e: unknown) => {
							this.#fatal ??= e;
						})
						.finally(() => {
							this.#inFlight.delete(step);
							this.#wake?.();
						});
					this.#inFlight.set(step, p);
				}
			if (this.#inFlight.size === 0) {
				if (!this.#op.running(this.#state) || wakeAt === undefined || this.#abort.signal.aborted) break;
				try {
					await this.#ports.clock.sleep(Math.max(0, wakeAt - now), this.#abort.signal);
				} catch {
					// Woken by a stop: the loop ends at its next turn.
				}
				continue;
			}
			const woken = new Promise<void>((resolve) => (this.#wake = resolve));
			const timer =
				wakeAt !== undefined && !this.#abort.signal.aborted
					? this.#ports.clock.sleep(Math.max(0, wakeAt - now), this.#abort.signal).catch(() => undefined)
					: undefined;
			await Promise.race([woken, ...(timer ? [timer] : []), ...this.#inFlight.values()]);
		}
		if (this.#fatal !== undefined) throw this.#fatal;
		await this.#saving;
		return this.#state;
	}

	/** Starts no more steps; steps already talking to a provider are told to stop and are recorded. */
	stop(): void {
		this.#abort.abort();
		this.#wake?.();
	}

	/** Lets a stopped engine run again. */
	resume(): void {
		if (this.#abort.signal.aborted) this.#abort = new AbortController();
	}

	/** Waits for the steps under way and for the state to be stored. */
	async settled(): Promise<void> {
		await Promise.allSettled(this.#inFlight.values());
		await this.#saving;
	}
}

/** What an operation's runner shares: its engine, the state, listeners and applying events. */
export abstract class OperationRunner<S, E, Id extends string, R> {
	protected readonly engine: Engine<S, E, Id, R>;

	constructor(op: Operation<S, E, Id, R>, ports: EnginePorts<S>, state: S) {
		this.engine = new Engine(op, ports, state);
	}

	get state(): S {
		return this.engine.state;
	}

	subscribe(listener: (state: S) => void): () => void {
		return this.engine.subscribe(listener);
	}

	protected apply(event: E): Promise<void> {
		return this.engine.apply(event);
	}
}
