/**
 * The deploy runner: the deploy operation on the shared engine (services/engine), which
 * performs the plan's steps as many at once as the plan allows and stores the state after
 * every transition, plus what only a deployment does: cancel, retry, and destroy (remove
 * everything it made, and only that).
 */
import {
	nextActions,
	resourceKey,
	transition,
	type CreatedResource,
	type DeployEvent,
	type DeploymentState
} from '../../core/deploy/machine.ts';
import { stepSpec, type StepId } from '../../core/deploy/plan.ts';
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
import { OperationRunner, toStepError, type Operation } from '../engine/engine.ts';

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

/** The deploy operation for the engine: steps in parallel wherever the plan's dependencies allow. */
function deployOperation(
	ports: RunnerPorts,
	timings: StepTimings
): Operation<DeploymentState, DeployEvent, StepId, StepResult> {
	return {
		transition,
		next: nextActions,
		running: (s) => s.phase === 'running',
		attempts: (s, step) => s.steps[step]?.attempts ?? 0,
		providerOf(s, step) {
			const by = stepSpec(s.plan, step).by;
			if (by === 'cloud') return ports.cloud.displayName;
			if (by === 'dns') return ports.dns.displayName;
			if (by === 'git') return ports.git.displayName;
			return 'your server';
		},
		perform: (s, step, observe, signal) => performStep(ports, s, step, observe, signal, timings),
		begin: (s, step, at) => ({ type: 'begin', step, at, name: stepSpec(s.plan, step).name }),
		succeed: (step, at, result) => ({ type: 'succeed', step, at, ...result }),
		fail: (step, at, error, jitter) => ({ type: 'fail', step, at, error, jitter })
	};
}

export class DeployRunner extends OperationRunner<DeploymentState, DeployEvent, StepId, StepResult> {
	#ports: RunnerPorts;

	constructor(ports: RunnerPorts, state: DeploymentState, timings: StepTimings = DEFAULT_TIMINGS) {
		super(deployOperation(ports, timings), ports, state);
		this.#ports = ports;
	}

	/** Runs until the deployment is done, failed (needs the person) or cancelled. */
	run(): Promise<DeploymentState> {
		return this.engine.run();
	}

	/** Stops starting steps; steps already talking to a provider finish and are recorded. */
	async cancel(): Promise<DeploymentState> {
		if (this.state.phase === 'running' || this.state.phase === 'failed')
			await this.apply({ type: 'cancel', at: this.#ports.clock.now() });
		this.engine.stop();
		await this.engine.settled();
		return this.state;
	}

	/** After a failure or a cancel: try the stopped steps again. */
	async retry(): Promise<DeploymentState> {
		await this.apply({ type: 'retry', at: this.#ports.clock.now() });
		this.engine.resume();
		return this.run();
	}

	/**
	 * Removes everything this deployment made, and only that. Call only after the person
	 * confirmed. Things an interrupted step may have made are found by label or by their
	 * deterministic names first. Safe to call again after a failure.
	 */
	async destroy(): Promise<DeploymentState> {
		if (this.state.phase === 'running') await this.cancel();
		await this.engine.settled();
		if (this.state.phase !== 'destroying')
			await this.apply({ type: 'destroy', at: this.#ports.clock.now(), confirmed: true });
		try {
			const labelled = await this.#recordUnresolved();
			// An image this deployment recorded but that does not carry its label is the account's
			// shared Flatcar image (states stored before images were shared recorded it): other
			// deployments may use it, so it is left for the orphan sweep.
			for (const r of this.state.resources.filter(
				(x) => (x.kind === 'image' || (x.kind as string) === 'snapshot') && !labelled.has(resourceKey(x))
			))
				await this.apply({ type: 'removed', at: this.#ports.clock.now(), key: resourceKey(r) });
			for (const stage of removalStages(this.state.resources)) {
				await Promise.all(stage.map((r) => this.#remove(r)));
			}
			// The deploy key went with the repo.
			for (const r of this.state.resources.filter((x) => x.kind === 'deploy-key'))
				await this.apply({ type: 'removed', at: this.#ports.clock.now(), key: resourceKey(r) });
			await this.apply({ type: 'destroyed', at: this.#ports.clock.now() });
		} catch (e) {
			await this.apply({
				type: 'destroy-failed',
				at: this.#ports.clock.now(),
				error: toStepError(e, this.#ports.cloud.displayName)
			});
		}
		await this.engine.settled();
		return this.state;
	}

	/**
	 * Adds to the state whatever an unanswered step may have made, so destroy removes it too.
	 * Returns the keys of everything carrying this deployment's labels.
	 */
	async #recordUnresolved(): Promise<Set<string>> {
		const { plan, steps } = this.state;
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
		if (found.length) await this.apply({ type: 'record', at: this.#ports.clock.now(), resources: found });
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
			const repoOut = this.state.steps.repo?.output;
			const repo = repoOut
				? repoFromOutput(repoOut)
				: { fullName: r.id, sshUrl: '', defaultBranch: 'main', hostKeys: [] };
			await this.#ports.git.deleteRepo(repo);
		} else if (r.kind !== 'deploy-key') {
			await this.#ports.cloud.delete({ kind: r.kind, id: r.id });
		}
		await this.apply({ type: 'removed', at: this.#ports.clock.now(), key: resourceKey(r) });
	}
}
