/**
 * The deploy runner: performs the plan's steps through the ports, as many at once as the
 * plan allows, and persists the state after every transition. Before each side effect it
 * stores an intent; after it, the provider's id. A runner can be dropped at any moment
 * (closed tab, crash): a new runner made from the stored state resumes by observing first.
 */
import { isProviderError } from '../../core/errors.ts';
import {
	nextActions,
	resourceKey,
	transition,
	type CreatedResource,
	type DeployEvent,
	type DeploymentState
} from '../../core/deploy/machine.ts';
import { stepSpec, type StepId } from '../../core/deploy/plan.ts';
import type { StepError } from '../../core/deploy/retry.ts';
import { removalStages } from '../../core/deploy/sweep.ts';
import type { DeploymentStore } from '../../ports/deploy.ts';
import {
	DEFAULT_TIMINGS,
	performStep,
	repoFromOutput,
	type StepPorts,
	type StepResult,
	type StepTimings
} from './steps.ts';

export interface RunnerPorts extends StepPorts {
	store: DeploymentStore;
	/** A random number in [0, 1), for retry jitter. */
	random: () => number;
}

export type Listener = (state: DeploymentState) => void;

const CLOUD_STEP: Partial<Record<string, StepId>> = {
	image: 'image',
	'ssh-key': 'ssh-key',
	volume: 'volume',
	firewall: 'firewall',
	server: 'server'
};

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

export class DeployRunner {
	#state: DeploymentState;
	#ports: RunnerPorts;
	#timings: StepTimings;
	#listeners = new Set<Listener>();
	#saving: Promise<void> = Promise.resolve();
	#inFlight = new Map<StepId, Promise<void>>();
	#abort = new AbortController();
	#wake: (() => void) | undefined;
	/** A failure to store state: the runner must stop, as if the page had closed. */
	#fatal: unknown;

	constructor(ports: RunnerPorts, state: DeploymentState, timings: StepTimings = DEFAULT_TIMINGS) {
		this.#ports = ports;
		this.#state = state;
		this.#timings = timings;
	}

	get state(): DeploymentState {
		return this.#state;
	}

	subscribe(listener: Listener): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/** Applies an event, then waits until the new state is stored. */
	async #apply(event: DeployEvent): Promise<void> {
		this.#state = transition(this.#state, event);
		const snapshot = this.#state;
		for (const l of this.#listeners) l(snapshot);
		this.#saving = this.#saving.then(() => this.#ports.store.save(snapshot));
		await this.#saving;
	}

	#providerOf(step: StepId): string {
		const by = stepSpec(this.#state.plan, step).by;
		if (by === 'cloud') return this.#ports.cloud.displayName;
		if (by === 'dns') return this.#ports.dns.displayName;
		if (by === 'git') return this.#ports.git.displayName;
		return 'your server';
	}

	async #runStep(step: StepId): Promise<void> {
		const before = this.#state.steps[step];
		// Anything but a first attempt may have left something behind: look before creating.
		const observe = (before?.attempts ?? 0) > 0;
		await this.#apply({
			type: 'begin',
			step,
			at: this.#ports.clock.now(),
			name: stepSpec(this.#state.plan, step).name
		});
		let outcome: { ok: true; result: StepResult } | { ok: false; error: unknown };
		try {
			outcome = {
				ok: true,
				result: await performStep(this.#ports, this.#state, step, observe, this.#abort.signal, this.#timings)
			};
		} catch (error) {
			outcome = { ok: false, error };
		}
		// Outside the try: a failure to store the result must not be mistaken for a failed step.
		if (outcome.ok) await this.#apply({ type: 'succeed', step, at: this.#ports.clock.now(), ...outcome.result });
		else
			await this.#apply({
				type: 'fail',
				step,
				at: this.#ports.clock.now(),
				error: toStepError(outcome.error, this.#providerOf(step)),
				jitter: this.#ports.random()
			});
	}

	/** Runs until the deployment is done, failed (needs the person) or cancelled. */
	async run(): Promise<DeploymentState> {
		for (;;) {
			if (this.#fatal !== undefined) throw this.#fatal;
			const now = this.#ports.clock.now();
			const { start, wakeAt } = nextActions(this.#state, now, new Set(this.#inFlight.keys()));
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
				if (this.#state.phase !== 'running' || wakeAt === undefined) break;
				try {
					await this.#ports.clock.sleep(Math.max(0, wakeAt - now), this.#abort.signal);
				} catch {
					// Woken by cancel.
				}
				continue;
			}
			const woken = new Promise<void>((resolve) => (this.#wake = resolve));
			const timers =
				wakeAt !== undefined ? this.#ports.clock.sleep(Math.max(0, wakeAt - now), this.#abort.signal) : undefined;
			await Promise.race([woken, ...(timers ? [timers.catch(() => undefined)] : []), ...this.#inFlight.values()]);
		}
		if (this.#fatal !== undefined) throw this.#fatal;
		await this.#saving;
		return this.#state;
	}

	/** Stops starting steps; steps already talking to a provider finish and are recorded. */
	async cancel(): Promise<DeploymentState> {
		if (this.#state.phase === 'running' || this.#state.phase === 'failed')
			await this.#apply({ type: 'cancel', at: this.#ports.clock.now() });
		this.#abort.abort();
		this.#wake?.();
		await Promise.allSettled(this.#inFlight.values());
		await this.#saving;
		return this.#state;
	}

	/** After a failure or a cancel: try the stopped steps again. */
	async retry(): Promise<DeploymentState> {
		await this.#apply({ type: 'retry', at: this.#ports.clock.now() });
		if (this.#abort.signal.aborted) this.#abort = new AbortController();
		return this.run();
	}

	/**
	 * Removes everything this deployment made, and only that. Call only after the person
	 * confirmed. Things an interrupted step may have made are found by label or by their
	 * deterministic names first. Safe to call again after a failure.
	 */
	async destroy(): Promise<DeploymentState> {
		if (this.#state.phase === 'running') await this.cancel();
		await Promise.allSettled(this.#inFlight.values());
		if (this.#state.phase !== 'destroying')
			await this.#apply({ type: 'destroy', at: this.#ports.clock.now(), confirmed: true });
		try {
			const labelled = await this.#recordUnresolved();
			// An image this deployment recorded but that does not carry its label is the account's
			// shared Flatcar image (states stored before images were shared recorded it): other
			// deployments may use it, so it is left for the orphan sweep.
			for (const r of this.#state.resources.filter(
				(x) => (x.kind === 'image' || (x.kind as string) === 'snapshot') && !labelled.has(resourceKey(x))
			))
				await this.#apply({ type: 'removed', at: this.#ports.clock.now(), key: resourceKey(r) });
			for (const stage of removalStages(this.#state.resources)) {
				await Promise.all(stage.map((r) => this.#remove(r)));
			}
			// The deploy key went with the repo.
			for (const r of this.#state.resources.filter((x) => x.kind === 'deploy-key'))
				await this.#apply({ type: 'removed', at: this.#ports.clock.now(), key: resourceKey(r) });
			await this.#apply({ type: 'destroyed', at: this.#ports.clock.now() });
		} catch (e) {
			await this.#apply({
				type: 'destroy-failed',
				at: this.#ports.clock.now(),
				error: toStepError(e, this.#ports.cloud.displayName)
			});
		}
		await this.#saving;
		return this.#state;
	}

	/**
	 * Adds to the state whatever an unanswered step may have made, so destroy removes it too.
	 * Returns the keys of everything carrying this deployment's labels.
	 */
	async #recordUnresolved(): Promise<Set<string>> {
		const { plan, steps } = this.#state;
		const found: CreatedResource[] = [];
		const cloud = await this.#ports.cloud.findByLabels(plan.labels);
		const labelled = new Set(cloud.map((r) => `${r.kind}:${r.id}`));
		for (const r of cloud) {
			const step = CLOUD_STEP[r.kind];
			if (step) found.push({ kind: r.kind as CreatedResource['kind'], id: r.id, name: r.name, step });
		}
		const touched = (id: StepId) => (steps[id]?.attempts ?? 0) > 0 && steps[id]?.status !== 'done';
		if (touched('repo')) {
			// No way to look a repo up by name without making it: adopting is the look-up.
			const name = stepSpec(plan, 'repo').name!;
			const repo = await this.#ports.git.ensureRepo(name, 'Settings of a nassella server. Managed by nassella.');
			found.push({ kind: 'repo', id: repo.fullName, name: repo.fullName, step: 'repo' });
		}
		if (touched('dns')) {
			const addr = steps['wait-server']?.output ?? {};
			const types = (['A', 'AAAA'] as const).filter((t) => typeof addr[t === 'A' ? 'ipv4' : 'ipv6'] === 'string');
			for (const { fqdn } of plan.input.hosts) {
				const zone = await this.#ports.dns.findZone(fqdn);
				for (const type of types)
					found.push({
						kind: 'dns-record',
						id: `${fqdn}|${type}`,
						name: fqdn,
						step: 'dns',
						extra: { zoneId: zone.id, zoneName: zone.name, type }
					});
			}
		}
		if (found.length) await this.#apply({ type: 'record', at: this.#ports.clock.now(), resources: found });
		return labelled;
	}

	async #remove(r: CreatedResource): Promise<void> {
		if (r.kind === 'dns-record') {
			const zoneId = r.extra?.zoneId;
			const zoneName = r.extra?.zoneName;
			const type = r.extra?.type;
			if (zoneId && zoneName && (type === 'A' || type === 'AAAA'))
				await this.#ports.dns.delete({ id: zoneId, name: zoneName }, r.name, type);
		} else if (r.kind === 'repo') {
			const repoOut = this.#state.steps.repo?.output;
			const repo = repoOut
				? repoFromOutput(repoOut)
				: { fullName: r.id, sshUrl: '', defaultBranch: 'main', hostKeys: [] };
			await this.#ports.git.deleteRepo(repo);
		} else if (r.kind !== 'deploy-key') {
			await this.#ports.cloud.delete({ kind: r.kind, id: r.id });
		}
		await this.#apply({ type: 'removed', at: this.#ports.clock.now(), key: resourceKey(r) });
	}
}
