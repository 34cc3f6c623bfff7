/**
 * The deploy state machine: a pure `transition(state, event)`. The runner persists the
 * state after every transition, and writes an intent (`pending`) before every side effect,
 * so whatever happens to the page, the stored state says what may exist out there:
 * - `pending` with no answer: something may have been created; resume observes first;
 * - `done`: the provider's id is recorded in `resources`.
 * Time and randomness come in with the events.
 */
import type { Labels } from '../labels.ts';
import { stepSpec, type Plan, type StepId } from './plan.ts';
import { retryDecision, type StepError } from './retry.ts';
import { stepOf, stepsDone, TransitionError, waitingSteps, type StepStatus } from './steps.ts';

export { TransitionError, type StepStatus };
export type Phase = 'running' | 'failed' | 'cancelled' | 'done' | 'destroying' | 'destroyed';

export type ResourceKind =
	'image' | 'ssh-key' | 'volume' | 'firewall' | 'server' | 'repo' | 'deploy-key' | 'dns-record';

/** Something this deployment made (or adopted after a lost answer), with the provider's id. */
export interface CreatedResource {
	kind: ResourceKind;
	id: string;
	name: string;
	step: StepId;
	/** Extra facts needed to remove it again (e.g. the DNS zone, the record type). */
	extra?: Record<string, string>;
}

export function resourceKey(r: Pick<CreatedResource, 'kind' | 'id'>): string {
	return `${r.kind}:${r.id}`;
}

/** Written before a side effect; the deterministic name and labels let resume find the result. */
export interface Intent {
	attempt: number;
	at: number;
	name?: string;
	labels: Labels;
}

/** What later steps need from an earlier one (ids, addresses, the repo). JSON only. */
export type StepOutput = Record<string, string | string[] | number | boolean | null>;

export interface StepState {
	status: StepStatus;
	/** Attempts begun so far. */
	attempts: number;
	intent?: Intent;
	output?: StepOutput;
	error?: StepError;
	/** While `retrying`: not before this time (ms since epoch). */
	retryAt?: number;
}

export interface DeploymentState {
	version: 1;
	id: string;
	plan: Plan;
	phase: Phase;
	steps: Partial<Record<StepId, StepState>>;
	resources: CreatedResource[];
	/** Why the deployment stopped, when it did (the first failed step's error). */
	error?: StepError;
	destroy?: { confirmedAt: number; error?: StepError };
	createdAt: number;
	updatedAt: number;
	/** Increases with every transition; tabs following a deployment use it to ignore stale news. */
	rev: number;
}

export type DeployEvent =
	| { type: 'begin'; step: StepId; at: number; name?: string }
	| { type: 'succeed'; step: StepId; at: number; output: StepOutput; resources: CreatedResource[] }
	| { type: 'fail'; step: StepId; at: number; error: StepError; jitter: number }
	/** Resources found by label during resume or destroy that the state did not know yet. */
	| { type: 'record'; at: number; resources: CreatedResource[] }
	| { type: 'retry'; at: number }
	| { type: 'cancel'; at: number }
	| { type: 'destroy'; at: number; confirmed: true }
	| { type: 'removed'; at: number; key: string }
	| { type: 'destroy-failed'; at: number; error: StepError }
	| { type: 'destroyed'; at: number };

export function initialState(plan: Plan, now: number): DeploymentState {
	return {
		version: 1,
		id: plan.deploymentId,
		plan,
		phase: 'running',
		steps: waitingSteps(plan.steps),
		resources: [],
		createdAt: now,
		updatedAt: now,
		rev: 0
	};
}

export function stepState(state: DeploymentState, step: StepId): StepState {
	return stepOf(state.steps, step, 'deployment');
}

function depsDone(state: DeploymentState, step: StepId): boolean {
	return stepSpec(state.plan, step).after.every((d) => state.steps[d]?.status === 'done');
}

function withStep(state: DeploymentState, step: StepId, next: StepState, at: number): DeploymentState {
	return { ...state, steps: { ...state.steps, [step]: next }, updatedAt: at, rev: state.rev + 1 };
}

function addResources(existing: CreatedResource[], found: CreatedResource[]): CreatedResource[] {
	const keys = new Set(existing.map(resourceKey));
	const out = [...existing];
	for (const r of found) {
		if (keys.has(resourceKey(r))) continue;
		keys.add(resourceKey(r));
		out.push(r);
	}
	return out;
}

/** Pure: the next state, or a TransitionError when the event makes no sense in this state. */
export function transition(state: DeploymentState, event: DeployEvent): DeploymentState {
	switch (event.type) {
		case 'begin': {
			if (state.phase !== 'running') throw new TransitionError(`Cannot start a step while ${state.phase}.`);
			const s = stepState(state, event.step);
			const resumable =
				s.status === 'waiting' || s.status === 'pending' || (s.status === 'retrying' && (s.retryAt ?? 0) <= event.at);
			if (!resumable) throw new TransitionError(`Step ${event.step} cannot start now (${s.status}).`);
			if (!depsDone(state, event.step)) throw new TransitionError(`Step ${event.step} waits for earlier steps.`);
			const attempt = s.attempts + 1;
			return withStep(
				state,
				event.step,
				{
					status: 'pending',
					attempts: attempt,
					intent: { attempt, at: event.at, name: event.name, labels: state.plan.labels },
					output: s.output
				},
				event.at
			);
		}
		case 'succeed': {
			const s = stepState(state, event.step);
			if (s.status !== 'pending') throw new TransitionError(`Step ${event.step} was not running.`);
			const next = withStep(
				state,
				event.step,
				{ status: 'done', attempts: s.attempts, output: event.output },
				event.at
			);
			next.resources = addResources(state.resources, event.resources);
			if (next.phase === 'running' && state.plan.steps.every((p) => next.steps[p.id]?.status === 'done')) {
				next.phase = 'done';
				delete next.error;
			}
			return next;
		}
		case 'fail': {
			const s = stepState(state, event.step);
			if (s.status !== 'pending') throw new TransitionError(`Step ${event.step} was not running.`);
			if (state.phase === 'cancelled' || state.phase === 'destroying' || state.phase === 'destroyed') {
				// Stopped on purpose: keep the intent (something may exist) but do not retry.
				return withStep(state, event.step, { ...s, error: event.error }, event.at);
			}
			const decision = retryDecision(event.error, s.attempts, event.jitter);
			if (decision.retry) {
				return withStep(
					state,
					event.step,
					{ ...s, status: 'retrying', error: event.error, retryAt: event.at + decision.delayMs },
					event.at
				);
			}
			const next = withStep(state, event.step, { ...s, status: 'failed', error: event.error }, event.at);
			if (next.phase === 'running') {
				next.phase = 'failed';
				next.error = event.error;
			}
			return next;
		}
		case 'record':
			return {
				...state,
				resources: addResources(state.resources, event.resources),
				updatedAt: event.at,
				rev: state.rev + 1
			};
		case 'retry': {
			if (state.phase !== 'failed' && state.phase !== 'cancelled')
				throw new TransitionError(`Nothing to retry while ${state.phase}.`);
			const steps: Partial<Record<StepId, StepState>> = {};
			for (const [id, s] of Object.entries(state.steps) as [StepId, StepState][]) {
				// A failed step starts afresh; a pending one keeps its intent so it observes first.
				steps[id] =
					s.status === 'failed' || s.status === 'retrying'
						? { status: 'waiting', attempts: s.attempts, intent: s.intent, output: s.output }
						: s;
			}
			const next: DeploymentState = { ...state, steps, phase: 'running', updatedAt: event.at, rev: state.rev + 1 };
			delete next.error;
			return next;
		}
		case 'cancel': {
			if (state.phase !== 'running' && state.phase !== 'failed')
				throw new TransitionError(`Cannot cancel while ${state.phase}.`);
			return { ...state, phase: 'cancelled', updatedAt: event.at, rev: state.rev + 1 };
		}
		case 'destroy': {
			if (!event.confirmed) throw new TransitionError('Removing everything needs a confirmation.');
			if (state.phase === 'running') throw new TransitionError('Cancel the deployment before removing it.');
			if (state.phase === 'destroyed') throw new TransitionError('Everything is already removed.');
			const next: DeploymentState = {
				...state,
				phase: 'destroying',
				destroy: { confirmedAt: state.destroy?.confirmedAt ?? event.at },
				updatedAt: event.at,
				rev: state.rev + 1
			};
			return next;
		}
		case 'removed': {
			if (state.phase !== 'destroying') throw new TransitionError('Not removing anything now.');
			return {
				...state,
				resources: state.resources.filter((r) => resourceKey(r) !== event.key),
				updatedAt: event.at,
				rev: state.rev + 1
			};
		}
		case 'destroy-failed': {
			if (state.phase !== 'destroying') throw new TransitionError('Not removing anything now.');
			return {
				...state,
				destroy: { confirmedAt: state.destroy?.confirmedAt ?? event.at, error: event.error },
				updatedAt: event.at,
				rev: state.rev + 1
			};
		}
		case 'destroyed': {
			if (state.phase !== 'destroying') throw new TransitionError('Not removing anything now.');
			if (state.resources.length > 0) throw new TransitionError('Some resources are still there.');
			const steps: Partial<Record<StepId, StepState>> = {};
			for (const p of state.plan.steps) steps[p.id] = { status: 'waiting', attempts: 0 };
			return { ...state, phase: 'destroyed', steps, updatedAt: event.at, rev: state.rev + 1 };
		}
	}
}

export interface NextActions {
	/** Steps to begin now (including pending ones left by a closed page: they resume by observing). */
	start: StepId[];
	/** When to look again, if some step waits for a retry time. */
	wakeAt?: number;
}

/** Pure scheduling: every step whose dependencies are done runs, in parallel with the others. */
export function nextActions(state: DeploymentState, now: number, inFlight: ReadonlySet<StepId>): NextActions {
	if (state.phase !== 'running') return { start: [] };
	const start: StepId[] = [];
	let wakeAt: number | undefined;
	for (const spec of state.plan.steps) {
		const s = state.steps[spec.id];
		if (!s || inFlight.has(spec.id) || !depsDone(state, spec.id)) continue;
		if (s.status === 'waiting' || s.status === 'pending') start.push(spec.id);
		else if (s.status === 'retrying') {
			const at = s.retryAt ?? 0;
			if (at <= now) start.push(spec.id);
			else wakeAt = wakeAt === undefined ? at : Math.min(wakeAt, at);
		}
	}
	return { start, wakeAt };
}

/** Steps whose effect may exist without being recorded: pending intents. */
export function unresolvedIntents(state: DeploymentState): StepId[] {
	return state.plan.steps.filter((s) => state.steps[s.id]?.status === 'pending').map((s) => s.id);
}

/** Progress for the UI: done steps out of all. */
export function progress(state: DeploymentState): { done: number; total: number } {
	return stepsDone(state.plan.steps, state.steps);
}
