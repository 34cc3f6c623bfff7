/**
 * Moving a deployment to another provider, region or size: a pure plan and state machine,
 * run like a deployment (state stored after every transition, intents before side
 * effects, a closed tab resumes by looking first).
 *
 * Order, and why:
 * 1. note the DNS records as they are, then lower their TTLs (so the switch later reaches
 *    everyone quickly; noted first, so a closed tab never mistakes the short TTL for the usual one);
 * 2. ask the current server for a fresh backup (a commit with a new request id) and wait for it;
 * 3. create the new server elsewhere, with the same repo and the same identity (age key),
 *    its Ignition set to restore that backup before any app starts;
 * 4. point the status address (admin host) at the new server, and wait until its restore
 *    is done and every app is healthy. The app addresses still point at the old server;
 * 5. switch the app addresses, check them through public DNS-over-HTTPS;
 * 6. remove the old server, its disk and firewall only after the person confirms.
 *
 * A failure before step 5 leaves the old server serving: the app records are never
 * touched, and the status address is put back (`revert`) before the move reports failure.
 */
import { deploymentLabels, resourceName, type Labels } from '../labels.ts';
import { retryDecision, type StepError } from './retry.ts';
import { PlainError } from '../errors.ts';
import { stepOf, stepsDone, TransitionError, waitingSteps, type StepStatus } from './steps.ts';

export const MOVE_STEP_IDS = [
	'read-dns',
	'lower-ttl',
	'backup',
	'wait-backup',
	'image',
	'ssh-key',
	'volume',
	'firewall',
	'server',
	'wait-server',
	'point-admin',
	'wait-restore',
	'switch-dns',
	'check-https',
	'remove-old'
] as const;

export type MoveStepId = (typeof MOVE_STEP_IDS)[number];

/** Steps whose failure must leave the old server serving with the app records untouched. */
export const BEFORE_SWITCH: readonly MoveStepId[] = MOVE_STEP_IDS.slice(0, MOVE_STEP_IDS.indexOf('switch-dns'));

export interface MoveTarget {
	provider: string;
	region: string;
	size: string;
}

/** Something of the old server to remove once the person confirms. */
export interface OldResource {
	kind: 'server' | 'volume' | 'firewall' | 'ssh-key';
	id: string;
	name: string;
}

export interface MoveInput {
	deploymentId: string;
	/** Short id of this move: part of the new resources' names and of the backup request id. */
	moveId: string;
	from: { provider: string; region: string; ipv4?: string; ipv6?: string; resources: OldResource[] };
	to: MoveTarget;
	volumeGiB: number;
	sshPublicKey?: string;
	/** The status and logs address (Caddy admin host) of the deployment. */
	adminHost: string;
	/** Every address an app answers on. */
	hosts: { app: string; fqdn: string }[];
}

export interface MoveStepSpec {
	id: MoveStepId;
	title: string;
	name?: string;
	by: 'cloud' | 'dns' | 'git' | 'server' | 'old-cloud';
}

export interface MovePlan {
	input: MoveInput;
	labels: Labels;
	steps: MoveStepSpec[];
}

export const MOVE_ID_PATTERN = /^[a-z0-9]{4,8}$/;

/** A move that cannot be planned as asked; the message says why, in plain words. */
export class MovePlanError extends PlainError {
	constructor(message: string) {
		super(message, 'Change the choice and try again.');
		this.name = 'MovePlanError';
	}
}

/** The request id the server sees in `requests.json` for this move's backup. */
export function backupRequestId(input: Pick<MoveInput, 'moveId'>): string {
	return `move-${input.moveId}-backup`;
}

export function buildMovePlan(input: MoveInput): MovePlan {
	const id = input.deploymentId;
	const labels = deploymentLabels(id);
	if (!MOVE_ID_PATTERN.test(input.moveId)) throw new MovePlanError('A move id is 4 to 8 lowercase letters or digits.');
	if (!input.to.region || !input.to.size) throw new MovePlanError('Choose a region and a server size.');
	if (input.hosts.length === 0) throw new MovePlanError('This deployment has no apps to move.');
	if (!input.from.ipv4 && !input.from.ipv6)
		throw new MovePlanError('The current server’s address is unknown; open the dashboard once, then try again.');
	const n = (role: string) => resourceName(id, `${role}-${input.moveId}`);
	const steps: MoveStepSpec[] = [
		{ id: 'read-dns', title: 'Note how your addresses are set now', by: 'dns' },
		{ id: 'lower-ttl', title: 'Shorten how long your addresses are cached', by: 'dns' },
		{ id: 'backup', title: 'Ask the current server for a fresh backup', by: 'git' },
		{ id: 'wait-backup', title: 'Wait for the backup to finish', by: 'server' },
		{ id: 'image', title: 'Prepare the new server’s operating system', by: 'cloud' },
		...(input.sshPublicKey
			? [{ id: 'ssh-key' as const, title: 'Add your emergency SSH key', name: n('ssh'), by: 'cloud' as const }]
			: []),
		{ id: 'volume', title: 'Create the new data disk', name: n('data'), by: 'cloud' },
		{ id: 'firewall', title: 'Set up the new firewall', name: n('fw'), by: 'cloud' },
		{ id: 'server', title: 'Create the new server (it restores the backup)', name: n('web'), by: 'cloud' },
		{ id: 'wait-server', title: 'Wait for the new server to start', by: 'cloud' },
		{ id: 'point-admin', title: 'Point the status address at the new server', by: 'dns' },
		{ id: 'wait-restore', title: 'Wait until your data is restored and every app is healthy', by: 'server' },
		{ id: 'switch-dns', title: 'Point your web addresses at the new server', by: 'dns' },
		{ id: 'check-https', title: 'Check every address through public DNS and HTTPS', by: 'server' },
		{ id: 'remove-old', title: 'Remove the old server, its disk and firewall', by: 'old-cloud' }
	];
	return { input, labels, steps };
}

/** JSON facts a step hands to later steps. */
export type MoveOutput = Record<string, unknown>;

export type MovePhase =
	/** Steps run. */
	| 'running'
	/** Stopped; needs the person (retry or give up). */
	| 'failed'
	/** Moved; the old server still exists until the person confirms its removal. */
	| 'confirm'
	| 'done'
	/** Given up: the new resources are removed and the old server keeps serving. */
	| 'abandoned';

export type MoveStepStatus = StepStatus;

export interface MoveStepState {
	status: MoveStepStatus;
	attempts: number;
	/** When the current attempt began (an intent: something may exist out there). */
	startedAt?: number;
	output?: MoveOutput;
	error?: StepError;
	retryAt?: number;
}

/** A resource the move created at the new provider (or the admin record it changed). */
export interface MoveResource {
	kind: 'image' | 'ssh-key' | 'volume' | 'firewall' | 'server';
	id: string;
	name: string;
	step: MoveStepId;
}

export interface MoveState {
	version: 1;
	deploymentId: string;
	plan: MovePlan;
	phase: MovePhase;
	steps: Partial<Record<MoveStepId, MoveStepState>>;
	created: MoveResource[];
	/**
	 * The status address was pointed at the new server and must be put back before the
	 * failure is reported ('needed'), or was put back ('done').
	 */
	revert?: 'needed' | 'done';
	/** When the person confirmed removing the old server. */
	confirmedAt?: number;
	error?: StepError;
	createdAt: number;
	updatedAt: number;
	rev: number;
}

export type MoveEvent =
	| { type: 'begin'; step: MoveStepId; at: number }
	| { type: 'succeed'; step: MoveStepId; at: number; output: MoveOutput; created?: MoveResource[] }
	| { type: 'fail'; step: MoveStepId; at: number; error: StepError; jitter: number; final?: boolean }
	| { type: 'reverted'; at: number }
	| { type: 'retry'; at: number }
	| { type: 'confirm-removal'; at: number; confirmed: true }
	| { type: 'abandoned'; at: number };

export function initialMoveState(plan: MovePlan, now: number): MoveState {
	return {
		version: 1,
		deploymentId: plan.input.deploymentId,
		plan,
		phase: 'running',
		steps: waitingSteps(plan.steps),
		created: [],
		createdAt: now,
		updatedAt: now,
		rev: 0
	};
}

function order(plan: MovePlan): MoveStepId[] {
	return plan.steps.map((s) => s.id);
}

function st(state: MoveState, step: MoveStepId): MoveStepState {
	return stepOf(state.steps, step, 'move');
}

function earlierDone(state: MoveState, step: MoveStepId): boolean {
	const ids = order(state.plan);
	return ids.slice(0, ids.indexOf(step)).every((id) => state.steps[id]?.status === 'done');
}

function bump(state: MoveState, at: number, patch: Partial<MoveState>): MoveState {
	return { ...state, ...patch, updatedAt: at, rev: state.rev + 1 };
}

function withStep(state: MoveState, step: MoveStepId, next: MoveStepState, at: number): MoveState {
	return bump(state, at, { steps: { ...state.steps, [step]: next } });
}

export function moveTransition(state: MoveState, event: MoveEvent): MoveState {
	switch (event.type) {
		case 'begin': {
			const s = st(state, event.step);
			const removing = event.step === 'remove-old';
			if (state.phase !== 'running') throw new TransitionError(`Cannot start a step while ${state.phase}.`);
			if (removing && !isConfirmed(state))
				throw new TransitionError('The old server is removed only after you confirm.');
			const ok =
				s.status === 'waiting' || s.status === 'pending' || (s.status === 'retrying' && (s.retryAt ?? 0) <= event.at);
			if (!ok) throw new TransitionError(`Step ${event.step} cannot start now (${s.status}).`);
			if (!earlierDone(state, event.step)) throw new TransitionError(`Step ${event.step} waits for earlier steps.`);
			return withStep(
				state,
				event.step,
				{ status: 'pending', attempts: s.attempts + 1, startedAt: event.at, output: s.output },
				event.at
			);
		}
		case 'succeed': {
			const s = st(state, event.step);
			if (s.status !== 'pending') throw new TransitionError(`Step ${event.step} was not running.`);
			const next = withStep(
				state,
				event.step,
				{ status: 'done', attempts: s.attempts, output: event.output },
				event.at
			);
			const known = new Set(state.created.map((r) => `${r.kind}:${r.id}`));
			next.created = [...state.created, ...(event.created ?? []).filter((r) => !known.has(`${r.kind}:${r.id}`))];
			if (event.step === 'check-https') next.phase = 'confirm';
			if (event.step === 'remove-old') next.phase = 'done';
			delete next.error;
			return next;
		}
		case 'fail': {
			const s = st(state, event.step);
			if (s.status !== 'pending') throw new TransitionError(`Step ${event.step} was not running.`);
			const decision = event.final ? { retry: false as const } : retryDecision(event.error, s.attempts, event.jitter);
			if (decision.retry)
				return withStep(
					state,
					event.step,
					{ ...s, status: 'retrying', error: event.error, retryAt: event.at + decision.delayMs },
					event.at
				);
			const next = withStep(state, event.step, { ...s, status: 'failed', error: event.error }, event.at);
			next.phase = 'failed';
			next.error = event.error;
			// The app records were not switched yet: the status address goes back to the old server.
			const pointed = (state.steps['point-admin']?.attempts ?? 0) > 0;
			const switched = (state.steps['switch-dns']?.attempts ?? 0) > 0;
			if (pointed && !switched && state.revert !== 'done') next.revert = 'needed';
			return next;
		}
		case 'reverted': {
			if (state.revert !== 'needed') throw new TransitionError('Nothing to put back.');
			// The admin record was put back: pointing it (and everything after) must happen again.
			const steps = { ...state.steps };
			const ids = order(state.plan);
			for (const id of ids.slice(ids.indexOf('point-admin'), ids.indexOf('switch-dns'))) {
				const s = steps[id];
				if (s && s.status === 'done') steps[id] = { status: 'waiting', attempts: s.attempts, output: s.output };
			}
			return bump(state, event.at, { revert: 'done', steps });
		}
		case 'retry': {
			if (state.phase !== 'failed') throw new TransitionError(`Nothing to retry while ${state.phase}.`);
			if (state.revert === 'needed') throw new TransitionError('The status address must be put back first.');
			const steps: Partial<Record<MoveStepId, MoveStepState>> = {};
			for (const [id, s] of Object.entries(state.steps) as [MoveStepId, MoveStepState][])
				steps[id] =
					s.status === 'failed' || s.status === 'retrying'
						? { status: 'waiting', attempts: s.attempts, output: s.output, startedAt: s.startedAt }
						: s;
			const next = bump(state, event.at, { steps, phase: 'running' });
			delete next.error;
			delete next.revert;
			return next;
		}
		case 'confirm-removal': {
			if (state.phase !== 'confirm') throw new TransitionError('The move is not finished yet.');
			if (!event.confirmed) throw new TransitionError('Removing the old server needs a confirmation.');
			return bump(state, event.at, { phase: 'running', confirmedAt: event.at });
		}
		case 'abandoned': {
			if (state.phase !== 'failed') throw new TransitionError('Only a stopped move can be given up.');
			if (state.revert === 'needed') throw new TransitionError('The status address must be put back first.');
			if ((state.steps['switch-dns']?.attempts ?? 0) > 0)
				throw new TransitionError('Your addresses already point at the new server; finish the move instead.');
			return bump(state, event.at, { phase: 'abandoned', created: [] });
		}
	}
}

/** Whether the person confirmed removing the old server. */
export function isConfirmed(state: MoveState): boolean {
	return typeof state.confirmedAt === 'number';
}

export interface MoveNext {
	/** The next step to begin (moves run one step at a time), or a revert of the status address. */
	start?: MoveStepId | 'revert';
	wakeAt?: number;
}

/** Pure scheduling: one step at a time, in order; the revert first when one is needed. */
export function nextMoveAction(state: MoveState, now: number): MoveNext {
	if (state.phase === 'failed' && state.revert === 'needed') return { start: 'revert' };
	if (state.phase !== 'running') return {};
	for (const spec of state.plan.steps) {
		const s = state.steps[spec.id];
		if (!s || s.status === 'done') continue;
		if (spec.id === 'remove-old' && !isConfirmed(state)) return {};
		if (s.status === 'waiting' || s.status === 'pending') return { start: spec.id };
		if (s.status === 'retrying') {
			const at = s.retryAt ?? 0;
			return at <= now ? { start: spec.id } : { wakeAt: at };
		}
		return {};
	}
	return {};
}

export function moveProgress(state: MoveState): { done: number; total: number } {
	return stepsDone(state.plan.steps, state.steps);
}
