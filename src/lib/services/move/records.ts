/**
 * What moving keeps in the vault and how a move begins and ends there: the move's state
 * (record kind `move`), the new provider with its token (`moveTarget`), the drill's record
 * (`drill`); the input of a new move from the deployment record, and the deployment and
 * setup records rewritten to the new server once the move is done.
 */
import type { CreatedResource, DeploymentState } from '../../core/deploy/machine.ts';
import {
	buildMovePlan,
	initialMoveState,
	type MoveInput,
	type MoveState,
	type OldResource
} from '../../core/deploy/move.ts';
import type { Plan } from '../../core/deploy/plan.ts';
import { setupAsRunning, type DrillRecord, type MoveTargetRecord, type SetupRecord } from '../../core/deploy/stored.ts';
import type { RepoRef } from '../../ports/git-host.ts';
import type { RecordVault } from '../../ports/vault.ts';
import { repoFromOutput } from '../deploy/steps.ts';
import { vaultSettingsStore } from '../dashboard/changes.ts';
import { vaultDeploymentStore } from '../deploy/vault-store.ts';
import type { DrillStore } from './drill.ts';
import type { MoveStore } from './runner.ts';
import type { MovedFacts } from './steps.ts';
import { PlainError } from '../../core/errors.ts';

export type { MoveTargetRecord };

/** Everything the move, takeover and drill pages need from the vault. */
export interface MoveContext {
	records: RecordVault;
	setup: SetupRecord;
	deployment: DeploymentState | undefined;
	move: MoveState | undefined;
	drill: DrillRecord | undefined;
}

export function vaultMoveStore(records: RecordVault): MoveStore {
	return {
		load: (id) => records.get('move', id),
		save: (s) => records.put('move', s.deploymentId, s),
		remove: (id) => records.delete('move', id)
	};
}

export function vaultDrillStore(records: RecordVault): DrillStore {
	return {
		load: (id) => records.get('drill', id),
		save: (id, r) => records.put('drill', id, r)
	};
}

/**
 * The setup of the vault as its server runs now (with the dashboard's changes), with its
 * deployment, move and drill records; 'nothing' before any setup.
 */
export async function loadMoveContext(records: RecordVault): Promise<MoveContext | 'nothing'> {
	const stored = await records.get('setup', 'current');
	if (!stored) return 'nothing';
	const id = stored.deploymentId;
	const setup = setupAsRunning(stored, (await vaultSettingsStore(records).load(id))?.current);
	const deployment = await vaultDeploymentStore(records)
		.load(id)
		.catch(() => undefined);
	return {
		records,
		setup,
		deployment,
		move: await records.get('move', id),
		drill: await records.get('drill', id)
	};
}

/** The deployment's settings repository, from its record. */
export function repoOf(deployment: DeploymentState | undefined): RepoRef {
	const o = deployment?.steps.repo?.output;
	if (!o) throw new PlainError('This deployment has no settings repository yet.', 'Finish setting it up first.');
	return repoFromOutput(o);
}

/** The input of a move of `d` (a finished deployment) to `target`; the admin host moves on its own. */
export function moveInputFor(
	d: DeploymentState | undefined,
	adminHost: string,
	target: Pick<MoveTargetRecord, 'provider' | 'region' | 'size'>,
	moveId: string
): MoveInput {
	if (!d || d.phase !== 'done')
		throw new PlainError(
			'Only a deployment that finished setting up can move.',
			'Open the dashboard or take it over first.'
		);
	const addr = d.steps['wait-server']?.output ?? {};
	const resources: OldResource[] = d.resources
		.filter((r): r is CreatedResource & { kind: OldResource['kind'] } =>
			['server', 'volume', 'firewall', 'ssh-key'].includes(r.kind)
		)
		.map((r) => ({ kind: r.kind, id: r.id, name: r.name }));
	return {
		deploymentId: d.id,
		moveId,
		from: {
			provider: d.plan.input.cloud.provider,
			region: d.plan.input.cloud.region,
			...(typeof addr.ipv4 === 'string' ? { ipv4: addr.ipv4 } : {}),
			...(typeof addr.ipv6 === 'string' ? { ipv6: addr.ipv6 } : {}),
			resources
		},
		to: { provider: target.provider, region: target.region, size: target.size },
		volumeGiB: d.plan.input.volumeGiB,
		...(d.plan.input.sshPublicKey ? { sshPublicKey: d.plan.input.sshPublicKey } : {}),
		adminHost,
		// The admin host may be among the plan's hosts (its DNS record is written with the apps'); it moves on its own.
		hosts: d.plan.input.hosts.filter((h) => h.fqdn !== adminHost)
	};
}

/** Starts a move of the context's deployment: stores the target (with its token), then the initial state. */
export async function startMove(
	ctx: MoveContext,
	target: MoveTargetRecord,
	adminHost: string,
	moveId: string,
	now: number
): Promise<MoveState> {
	const input = moveInputFor(ctx.deployment, adminHost, target, moveId);
	const state = initialMoveState(buildMovePlan(input), now);
	await ctx.records.put('moveTarget', input.deploymentId, target);
	await vaultMoveStore(ctx.records).save(state);
	return state;
}

/** The deployment record as it must read after the move: the new provider, server and resources. */
export function movedDeployment(
	d: DeploymentState,
	target: Pick<MoveTargetRecord, 'provider' | 'region' | 'size'>,
	facts: MovedFacts,
	now: number
): DeploymentState {
	const plan: Plan = {
		...d.plan,
		input: { ...d.plan.input, cloud: { provider: target.provider, region: target.region, size: target.size } }
	};
	const steps = { ...d.steps };
	const set = (id: keyof typeof steps, output: Record<string, string | null>) => {
		if (steps[id]) steps[id] = { status: 'done', attempts: steps[id].attempts, output };
	};
	const made = (kind: string) => facts.created.find((r) => r.kind === kind)?.id ?? null;
	set('image', { imageId: made('image') });
	set('ssh-key', { sshKeyId: made('ssh-key') });
	set('volume', { volumeId: made('volume') });
	set('firewall', { firewallId: made('firewall') });
	set('server', { serverId: facts.server.id });
	set('wait-server', { ipv4: facts.server.ipv4 ?? null, ipv6: facts.server.ipv6 ?? null });
	const moved = new Set(['image', 'ssh-key', 'volume', 'firewall', 'server']);
	const resources: CreatedResource[] = [
		...d.resources.filter((r) => !moved.has(r.kind)),
		...facts.created.map(
			(r) => ({ kind: r.kind, id: r.id, name: r.name, step: r.kind === 'image' ? 'image' : r.kind }) as CreatedResource
		)
	];
	return { ...d, plan, steps, resources, updatedAt: now, rev: d.rev + 1 };
}

/** Rewrites the deployment and setup records to the new server (idempotent: called again on resume). */
export async function adoptMove(
	records: RecordVault,
	deploymentId: string,
	target: MoveTargetRecord,
	facts: MovedFacts,
	now: number
): Promise<void> {
	const store = vaultDeploymentStore(records);
	const d = await store.load(deploymentId);
	if (!d)
		throw new PlainError('The deployment record is gone.', 'Reload the page to see the current state.', 'not-found');
	await store.save(movedDeployment(d, target, facts, now));
	const setup = await records.get('setup', 'current');
	if (setup)
		await records.put('setup', 'current', {
			...setup,
			cloud: { provider: target.provider, token: target.token, region: target.region, size: target.size }
		});
}
