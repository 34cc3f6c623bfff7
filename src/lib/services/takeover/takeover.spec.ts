import { describe, expect, it } from 'vitest';
import { initialState, type DeploymentState } from '../../core/deploy/machine.ts';
import { buildMovePlan } from '../../core/deploy/move.ts';
import { buildPlan, type PlanInput } from '../../core/deploy/plan.ts';
import { DeployRunner } from '../deploy/runner.ts';
import { testArtifacts, World } from '../../../../tests/doubles/deploy/world.ts';
import { takeOver } from './takeover.ts';

const ID = 'abc12345';
const input: PlanInput = {
	deploymentId: ID,
	cloud: { provider: 'double', region: 'r1', size: 's1' },
	volumeGiB: 10,
	dns: { provider: 'double' },
	git: { host: 'double' },
	hosts: [
		{ app: 'vaultwarden', fqdn: 'passwords.example.org' },
		{ app: 'immich', fqdn: 'photos.example.org' }
	]
};

async function deployed(): Promise<{ world: World; state: DeploymentState }> {
	const world = new World();
	const ports = world.ports();
	const runner = new DeployRunner(
		{ ...ports, artifacts: testArtifacts, random: () => 0.5 },
		initialState(buildPlan(input), world.time),
		{ probeIntervalMs: 1_000, probeTimeoutMs: 60_000, ttl: 300 }
	);
	const state = await runner.run();
	expect(state.phase).toBe('done');
	return { world, state };
}

/**
 * The git hosts adopt an existing nassella settings repository (it carries a marker file);
 * the engine's double refuses any non-empty one, so here it adopts like the real hosts.
 */
function ports(world: World) {
	const p = world.ports();
	return {
		...p,
		git: {
			...p.git,
			ensureRepo: async (name: string, description: string) =>
				world.repos.get(name)?.ref ?? p.git.ensureRepo(name, description)
		}
	};
}

const key = (s: DeploymentState) => s.resources.map((r) => `${r.kind}:${r.id}`).sort();

describe('takeover after the browser data is gone', () => {
	it('rebuilds the deployment record from labels and names alone, creating nothing', async () => {
		const { world, state } = await deployed();
		world.stored.clear();
		const creates = world.cloudCreates.length;
		const dns = JSON.stringify([...world.dns.entries()]);
		const { state: adopted } = await takeOver(ports(world), buildPlan(input));
		expect(world.cloudCreates.length).toBe(creates);
		expect(JSON.stringify([...world.dns.entries()])).toBe(dns);
		expect(adopted.phase).toBe('done');
		expect(key(adopted)).toEqual(key(state).filter((k) => !k.startsWith('deploy-key:')));
		expect(adopted.steps['wait-server']?.output).toEqual(state.steps['wait-server']?.output);
		expect(adopted.steps.repo?.output?.fullName).toBe(state.steps.repo?.output?.fullName);
		expect(adopted.steps.commit?.output?.sha).toBe(state.steps.commit?.output?.sha);
		expect(JSON.parse(world.stored.get(ID)!)).toEqual(adopted);
	});

	it('the rebuilt record can be destroyed like any other (only after confirmation, by the runner)', async () => {
		const { world } = await deployed();
		world.stored.clear();
		const { state } = await takeOver(ports(world), buildPlan(input));
		const runner = new DeployRunner({ ...world.ports(), artifacts: testArtifacts, random: () => 0.5 }, state);
		const gone = await runner.destroy();
		expect(gone.phase).toBe('destroyed');
		// Only the account's shared Flatcar image stays (the orphan sweep offers it once unused).
		expect(world.cloud.map((r) => r.kind)).toEqual(['image']);
		expect(world.dns.size).toBe(0);
	});

	it('with two servers (a move under way), adopts the one the addresses point at', async () => {
		const { world, state } = await deployed();
		const p = world.ports();
		await p.cloud.ensureServer({
			name: buildMovePlan({
				deploymentId: ID,
				moveId: 'mv01',
				from: { provider: 'double', region: 'r1', ipv4: '192.0.2.1', resources: [] },
				to: { provider: 'double', region: 'r2', size: 's1' },
				volumeGiB: 10,
				adminHost: 'nassella.example.org',
				hosts: input.hosts
			}).steps.find((s) => s.id === 'server')!.name!,
			region: 'r2',
			size: 's1',
			imageId: world.cloud.find((r) => r.kind === 'image')!.id,
			userData: '{}',
			volumeIds: [],
			sshKeyIds: [],
			labels: state.plan.labels
		});
		world.stored.clear();
		const { found, state: adopted } = await takeOver(ports(world), buildPlan(input));
		expect(found.server.id).toBe(state.steps.server?.output?.serverId);
		expect(found.otherServers).toHaveLength(1);
		expect(adopted.resources.filter((r) => r.kind === 'server')).toHaveLength(1);
	});

	it('with an unfinished record from the vault file, uses the repository it names', async () => {
		const { world, state } = await deployed();
		// The record as exported half-way: the repo known, the server step still pending.
		const half: DeploymentState = {
			...state,
			phase: 'running',
			steps: { ...state.steps, server: { status: 'pending', attempts: 1 } }
		};
		world.stored.set(ID, JSON.stringify(half));
		const { state: adopted } = await takeOver(world.ports(), buildPlan(input));
		expect(adopted.phase).toBe('done');
		expect(adopted.rev).toBe(half.rev + 1);
		expect(adopted.steps.server?.output?.serverId).toBe(state.steps.server?.output?.serverId);
	});

	it('says clearly when no server of this deployment exists', async () => {
		const world = new World();
		await expect(takeOver(ports(world), buildPlan(input))).rejects.toThrow(/No server of this deployment/);
		expect(world.stored.size).toBe(0);
	});
});
