/**
 * The deploy engine's speed, with 150 ms of latency on every provider call and a fixed
 * simulated boot time for the server:
 * - sequential round trips on the critical path (measured in virtual time, so the figure
 *   is exact: independent steps run in parallel and do not add up);
 * - the client's own overhead on top of the providers' waiting (measured in real time:
 *   wall-clock time minus critical round trips × latency minus boot time).
 * Runs the real engine (plan, state machine, runner, persistence after every transition)
 * against the in-memory port doubles.
 */
import { initialState } from '../../src/lib/core/deploy/machine.ts';
import { buildPlan } from '../../src/lib/core/deploy/plan.ts';
import { DeployRunner } from '../../src/lib/services/deploy/runner.ts';
import { testArtifacts, World } from '../doubles/deploy/world.ts';
import { report } from './lib.ts';

const LATENCY_MS = 150;
const BOOT_MS = 2_000;
const ID = 'bench1234';

const plan = buildPlan({
	deploymentId: ID,
	cloud: { provider: 'double', region: 'r1', size: 's1' },
	volumeGiB: 20,
	sshPublicKey: 'ssh-ed25519 AAAA me',
	dns: { provider: 'double' },
	git: { host: 'double' },
	hosts: ['passwords', 'photos', 'files', 'notes', 'news'].map((n) => ({ app: n, fqdn: `${n}.example.org` }))
});

/** A discrete-event clock: sleeps wake in time order, and time moves only when every task waits. */
class VirtualTime {
	now = 0;
	#queue: { at: number; seq: number; resolve: () => void }[] = [];
	#seq = 0;
	sleep = (ms: number): Promise<void> =>
		new Promise((resolve) => {
			this.#queue.push({ at: this.now + ms, seq: this.#seq++, resolve });
		});
	async run<T>(work: Promise<T>): Promise<T> {
		let settled = false;
		void work.finally(() => (settled = true)).catch(() => undefined);
		for (let i = 0; i < 100_000 && !settled; i++) {
			await new Promise((r) => setImmediate(r));
			if (settled || this.#queue.length === 0) continue;
			this.#queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
			const next = this.#queue.shift()!;
			this.now = next.at;
			next.resolve();
		}
		return work;
	}
}

async function deployOnce(world: World, clockNow: () => number, sleep: (ms: number) => Promise<void>): Promise<string> {
	const ports = world.ports();
	world.stored.set(ID, JSON.stringify(initialState(plan, 0)));
	const runner = new DeployRunner(
		{ ...ports, clock: { now: clockNow, sleep: (ms) => sleep(ms) }, artifacts: testArtifacts, random: () => 0.5 },
		initialState(plan, 0),
		{ probeIntervalMs: 1_000, probeTimeoutMs: 600_000, ttl: 300 }
	);
	const end = await runner.run();
	return end.phase;
}

// 1. Round trips on the critical path, in virtual time.
const virtual = new VirtualTime();
const vworld = new World();
vworld.latencyMs = LATENCY_MS;
vworld.bootMs = BOOT_MS;
vworld.delay = virtual.sleep;
const phase = await virtual.run(deployOnce(vworld, () => virtual.now, virtual.sleep));
if (phase !== 'done') throw new Error(`The deployment ended ${phase}.`);
const roundTrips = Math.round((virtual.now - BOOT_MS) / LATENCY_MS);
report({ name: 'sequential round trips on the critical path', value: roundTrips, unit: 'calls', budget: 8 });
report({ name: 'provider calls in all (parallel ones included)', value: vworld.calls, unit: 'calls' });

// 2. The client's own overhead, in real time (median of 5 runs).
const overheads: number[] = [];
for (let i = 0; i < 5; i++) {
	const world = new World();
	world.latencyMs = LATENCY_MS;
	world.bootMs = BOOT_MS;
	world.delay = (ms) => new Promise((r) => setTimeout(r, ms));
	const started = performance.now();
	const result = await deployOnce(
		world,
		() => Date.now(),
		(ms) => new Promise((r) => setTimeout(r, ms))
	);
	if (result !== 'done') throw new Error(`The deployment ended ${result}.`);
	overheads.push(performance.now() - started - roundTrips * LATENCY_MS - BOOT_MS);
}
overheads.sort((a, b) => a - b);
report({
	name: 'client overhead on top of provider waits (median of 5)',
	value: Math.round(overheads[2]!),
	unit: 'ms',
	budget: 250
});
