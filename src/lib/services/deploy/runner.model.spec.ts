/**
 * Model-based tests of the deploy engine (security.md §11.4): random interleavings of
 * page crashes (memory dropped, stored state kept), 429s, server errors, network drops,
 * "created, but the answer was lost", a second tab, cancel and user retries, against
 * doubles whose `ensure*` blindly create. After every command: never two of a resource,
 * everything that exists is recorded or findable by label/deterministic name. At the end:
 * the state equals the plan, and destroy leaves nothing.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialState, type DeploymentState } from '../../core/deploy/machine.ts';
import { buildPlan, type PlanInput } from '../../core/deploy/plan.ts';
import { findOrphans, imagesInUse, isSharedImage } from '../../core/deploy/sweep.ts';
import { DEPLOYMENT_LABEL } from '../../core/labels.ts';
import { memoryCoordination } from '../../../../tests/doubles/deploy/memory.ts';
import { DeployRunner } from './runner.ts';
import { Crashed, testArtifacts, World, type Fault } from '../../../../tests/doubles/deploy/world.ts';

const ID = 'abc12345';

function input(withSsh: boolean, hosts: number): PlanInput {
	const names = ['passwords', 'photos', 'files', 'notes'].slice(0, hosts);
	return {
		deploymentId: ID,
		cloud: { provider: 'double', region: 'r1', size: 's1' },
		volumeGiB: 10,
		sshPublicKey: withSsh ? 'ssh-ed25519 AAAA me' : undefined,
		dns: { provider: 'double' },
		git: { host: 'double' },
		hosts: names.map((n) => ({ app: n, fqdn: `${n}.example.org` }))
	};
}

interface Real {
	world: World;
	coordination: ReturnType<typeof memoryCoordination>;
	tabRuns: number;
}

function runnerFor(world: World): DeployRunner {
	const state = world.stored.get(ID);
	if (!state) throw new Error('nothing stored');
	const ports = world.ports();
	return new DeployRunner(
		{ ...ports, artifacts: testArtifacts, random: () => 0.5 },
		JSON.parse(state) as DeploymentState,
		{ probeIntervalMs: 1_000, probeTimeoutMs: 60_000, ttl: 300 }
	);
}

function stored(world: World): DeploymentState {
	return JSON.parse(world.stored.get(ID)!) as DeploymentState;
}

async function swallowCrash<T>(p: Promise<T>): Promise<T | undefined> {
	try {
		return await p;
	} catch (e) {
		if (e instanceof Crashed) return undefined;
		throw e;
	}
}

/** Invariants that hold at every moment. */
function checkInvariants(world: World): void {
	const kinds = new Map<string, number>();
	for (const r of world.cloud) kinds.set(`${r.kind}:${r.name}`, (kinds.get(`${r.kind}:${r.name}`) ?? 0) + 1);
	for (const [k, n] of kinds) expect(n, `two of ${k}`).toBe(1);
	// Never two of anything, even counting what was deleted on the way (no create after a lost answer).
	const created = new Map<string, number>();
	for (const c of world.cloudCreates) created.set(`${c.kind}:${c.name}`, (created.get(`${c.kind}:${c.name}`) ?? 0) + 1);
	const state = stored(world);
	const destroyedOnce = state.phase === 'destroyed' || state.phase === 'destroying' ? 2 : 1;
	for (const [k, n] of created) expect(n, `created ${k} ${n} times`).toBeLessThanOrEqual(destroyedOnce);
	expect(world.repos.size).toBeLessThanOrEqual(1);
	// Everything that exists is recorded, or findable: cloud by label, repo and records by name.
	const recorded = new Set(state.resources.map((r) => `${r.kind}:${r.id}`));
	for (const r of world.cloud) {
		if (!recorded.has(`${r.kind}:${r.id}`) && !isSharedImage(r)) expect(r.labels[DEPLOYMENT_LABEL]).toBe(ID);
	}
	// The shared image is never recorded as this deployment's: its destroy must not remove it.
	expect(state.resources.filter((r) => r.kind === 'image')).toEqual([]);
	for (const name of world.repos.keys()) expect(name).toBe(`nassella-${ID}-config`);
	for (const key of world.dns.keys())
		expect(state.plan.input.hosts.some((h) => key.startsWith(h.fqdn + '|'))).toBe(true);
}

type Cmd = fc.AsyncCommand<object, Real, true>;

class Drive implements Cmd {
	readonly crashAfter: number | undefined;
	constructor(crashAfter: number | undefined) {
		this.crashAfter = crashAfter;
	}
	check = async () => true;
	async run(_m: object, r: Real) {
		r.world.crashAfterCalls = this.crashAfter;
		const state = stored(r.world);
		if (state.phase !== 'running') return;
		await swallowCrash(runnerFor(r.world).run());
		r.world.crashAfterCalls = undefined;
		checkInvariants(r.world);
	}
	toString = () => `Drive(crashAfter=${this.crashAfter})`;
}

class Inject implements Cmd {
	readonly faults: Fault[];
	constructor(faults: Fault[]) {
		this.faults = faults;
	}
	check = async () => true;
	async run(_m: object, r: Real) {
		r.world.faults.push(...this.faults);
	}
	toString = () => `Inject(${this.faults.join(',')})`;
}

class UserRetry implements Cmd {
	check = async () => true;
	async run(_m: object, r: Real) {
		const state = stored(r.world);
		if (state.phase !== 'failed' && state.phase !== 'cancelled') return;
		await swallowCrash(runnerFor(r.world).retry());
		checkInvariants(r.world);
	}
	toString = () => 'UserRetry';
}

class TwoTabs implements Cmd {
	check = async () => true;
	async run(_m: object, r: Real) {
		if (stored(r.world).phase !== 'running') return;
		const results = await Promise.all(
			[0, 1].map(() =>
				r.coordination.exclusive(ID, () => swallowCrash(runnerFor(r.world).run()), { ifAvailable: true })
			)
		);
		expect(results.filter((x) => x.acquired)).toHaveLength(1);
		checkInvariants(r.world);
	}
	toString = () => 'TwoTabs';
}

class CancelMidway implements Cmd {
	readonly afterCalls: number;
	constructor(afterCalls: number) {
		this.afterCalls = afterCalls;
	}
	check = async () => true;
	async run(_m: object, r: Real) {
		if (stored(r.world).phase !== 'running') return;
		const runner = runnerFor(r.world);
		const start = r.world.calls;
		const running = swallowCrash(runner.run());
		for (let i = 0; i < 200 && r.world.calls - start < this.afterCalls; i++) await new Promise((x) => setTimeout(x, 0));
		await swallowCrash(runner.cancel());
		await running;
		checkInvariants(r.world);
	}
	toString = () => `CancelMidway(${this.afterCalls})`;
}

const faultArb = fc.constantFrom<Fault>('rate-limited', 'unavailable', 'network', 'lost-response', 'crash');

const commands = [
	fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }).map((n) => new Drive(n)),
	fc.array(faultArb, { minLength: 1, maxLength: 6 }).map((f) => new Inject(f)),
	fc.constant(new UserRetry()),
	fc.constant(new TwoTabs()),
	fc.integer({ min: 1, max: 15 }).map((n) => new CancelMidway(n))
];

/** Drives the deployment to its end with no more faults, as the person would (retry when asked). */
async function finish(world: World): Promise<DeploymentState> {
	world.faults = [];
	world.crashAfterCalls = undefined;
	for (let i = 0; i < 10; i++) {
		const state = stored(world);
		if (state.phase === 'done') return state;
		const runner = runnerFor(world);
		if (state.phase === 'failed' || state.phase === 'cancelled') await runner.retry();
		else await runner.run();
	}
	return stored(world);
}

function expectEqualsPlan(world: World, state: DeploymentState): void {
	expect(state.phase).toBe('done');
	const planned = state.plan.steps.map((s) => s.id);
	const expectedKinds = [
		'image',
		'volume',
		'firewall',
		'server',
		...(planned.includes('ssh-key') ? ['ssh-key'] : [])
	].sort();
	expect(world.cloud.map((r) => r.kind).sort()).toEqual(expectedKinds);
	const recorded = state.resources.filter((r) => ['ssh-key', 'volume', 'firewall', 'server'].includes(r.kind));
	expect(recorded.map((r) => r.id).sort()).toEqual(
		world.cloud
			.filter((r) => r.kind !== 'image')
			.map((r) => r.id)
			.sort()
	);
	const image = world.cloud.find((r) => r.kind === 'image')!;
	expect(isSharedImage(image)).toBe(true);
	expect(world.repos.size).toBe(1);
	const repo = [...world.repos.values()][0]!;
	// The bundle's commit, exactly once, on top of the host's own first commit if it made one.
	expect(repo.commits.filter((c) => !c.startsWith('init-'))).toHaveLength(1);
	expect(repo.commits.at(-1)).toMatch(/^sha2-/);
	expect(state.steps.commit?.output?.sha).toBe(repo.commits.at(-1));
	expect(repo.deployKeys.size).toBe(1);
	const server = world.cloud.find((r) => r.kind === 'server')!;
	expect([...world.dns.keys()].sort()).toEqual(state.plan.input.hosts.map((h) => `${h.fqdn}|A`).sort());
	for (const rec of world.dns.values()) expect(rec.values).toEqual([server.ipv4]);
}

describe('deploy engine, model-based', () => {
	it('survives any interleaving of crashes, faults, lost answers, two tabs and cancels', async () => {
		await fc.assert(
			fc.asyncProperty(
				fc.boolean(),
				fc.integer({ min: 1, max: 3 }),
				fc.commands(commands, { maxCommands: 12 }),
				fc.boolean(),
				async (withSsh, hosts, cmds, autoInit) => {
					const world = new World();
					world.autoInitRepos = autoInit;
					const plan = buildPlan(input(withSsh, hosts));
					world.stored.set(ID, JSON.stringify(initialState(plan, world.time)));
					const real: Real = { world, coordination: memoryCoordination(), tabRuns: 0 };
					await fc.asyncModelRun(() => ({ model: {}, real }), cmds);
					const end = await finish(world);
					checkInvariants(world);
					expectEqualsPlan(world, end);
					// A sweep knowing this deployment finds nothing; not knowing it, finds all of it.
					expect(findOrphans(world.cloud, new Set([ID]), imagesInUse([end]))).toEqual([]);
					expect(findOrphans(world.cloud, new Set())).toHaveLength(world.cloud.length);
					// Destroy, even with faults, ends with nothing left anywhere.
					world.faults.push('unavailable', 'lost-response');
					let gone = await runnerFor(world).destroy();
					for (let i = 0; i < 5 && gone.phase !== 'destroyed'; i++) gone = await runnerFor(world).destroy();
					expect(gone.phase).toBe('destroyed');
					// Only the account's shared image stays, and the sweep now offers it.
					expect(world.cloud.map((r) => r.kind)).toEqual(['image']);
					expect(findOrphans(world.cloud, new Set([ID]), imagesInUse([gone]))).toHaveLength(1);
					expect(world.dns.size).toBe(0);
					expect(world.repos.size).toBe(0);
				}
			),
			{ numRuns: 150 }
		);
	});

	it('cancelled midway, then destroyed: every provider is empty', async () => {
		await fc.assert(
			fc.asyncProperty(fc.integer({ min: 1, max: 20 }), fc.array(faultArb, { maxLength: 4 }), async (n, faults) => {
				const world = new World();
				world.stored.set(ID, JSON.stringify(initialState(buildPlan(input(true, 2)), world.time)));
				world.faults.push(...faults.filter((f) => f !== 'crash'));
				await new CancelMidway(n).run({}, { world, coordination: memoryCoordination(), tabRuns: 0 });
				world.faults = [];
				let state = stored(world);
				for (let i = 0; i < 3 && state.phase !== 'destroyed'; i++) state = await runnerFor(world).destroy();
				expect(state.phase).toBe('destroyed');
				expect(world.cloud.filter((r) => !isSharedImage(r))).toEqual([]);
				expect(world.dns.size).toBe(0);
				expect(world.repos.size).toBe(0);
			}),
			{ numRuns: 100 }
		);
	});
});
