/**
 * Two deployments in one cloud account share the region's Flatcar image. Destroying one of
 * them midway through the other never breaks the other: the shared image is not part of
 * any deployment's destroy, and if it is gone anyway (removed by hand, by the sweep, or by
 * an older version of the app) the server step finds or makes it again, without making two.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialState, type DeploymentState } from '../../core/deploy/machine.ts';
import { buildPlan } from '../../core/deploy/plan.ts';
import { imagesInUse, isSharedImage } from '../../core/deploy/sweep.ts';
import { DEPLOYMENT_LABEL } from '../../core/labels.ts';
import { DeployRunner } from './runner.ts';
import { listOrphans } from './sweep.ts';
import { Crashed, testArtifacts, World, type Fault } from '../../../../tests/doubles/deploy/world.ts';

const A = 'first1234';
const B = 'second1234';

function plan(id: string) {
	return buildPlan({
		deploymentId: id,
		cloud: { provider: 'double', region: 'r1', size: 's1' },
		volumeGiB: 10,
		dns: { provider: 'double' },
		git: { host: 'double' },
		hosts: [{ app: 'notes', fqdn: `${id}.example.org` }]
	});
}

function stored(world: World, id: string): DeploymentState {
	return JSON.parse(world.stored.get(id)!) as DeploymentState;
}

function runnerFor(world: World, id: string): DeployRunner {
	return new DeployRunner({ ...world.ports(), artifacts: testArtifacts, random: () => 0.5 }, stored(world, id), {
		probeIntervalMs: 1_000,
		probeTimeoutMs: 60_000,
		ttl: 300
	});
}

async function swallowCrash<T>(p: Promise<T>): Promise<T | undefined> {
	try {
		return await p;
	} catch (e) {
		if (e instanceof Crashed) return undefined;
		throw e;
	}
}

/** Runs a deployment to its end as the person would (pressing "Try again" when asked). */
async function finish(world: World, id: string): Promise<{ state: DeploymentState; retries: number }> {
	let retries = 0;
	for (let i = 0; i < 10; i++) {
		const state = stored(world, id);
		if (state.phase === 'done') return { state, retries };
		if (state.phase === 'failed' || state.phase === 'cancelled') {
			retries++;
			await swallowCrash(runnerFor(world, id).retry());
		} else await swallowCrash(runnerFor(world, id).run());
	}
	return { state: stored(world, id), retries };
}

async function destroy(world: World, id: string): Promise<DeploymentState> {
	let state = stored(world, id);
	for (let i = 0; i < 10 && state.phase !== 'destroyed'; i++)
		state = (await swallowCrash(runnerFor(world, id).destroy())) ?? stored(world, id);
	return state;
}

const ownedBy = (world: World, id: string) => world.cloud.filter((r) => r.labels[DEPLOYMENT_LABEL] === id);

describe('two deployments in one account', () => {
	it('destroying one midway through the other: the other finishes, one image, nothing of the first left', async () => {
		const faultArb = fc.constantFrom<Fault>('rate-limited', 'unavailable', 'network', 'lost-response');
		await fc.assert(
			fc.asyncProperty(
				fc.integer({ min: 1, max: 25 }),
				fc.boolean(),
				fc.array(faultArb, { maxLength: 6 }),
				async (crashAfter, imageRemovedByHand, faults) => {
					const world = new World();
					for (const id of [A, B]) world.stored.set(id, JSON.stringify(initialState(plan(id), world.time)));
					// The first deployment is done.
					expect((await finish(world, A)).state.phase).toBe('done');
					// The second one starts, and its page dies somewhere along the way.
					world.crashAfterCalls = crashAfter;
					await swallowCrash(runnerFor(world, B).run());
					world.crashAfterCalls = undefined;
					// Meanwhile the first one is destroyed (with a fault or two on the way).
					world.faults.push(...faults);
					expect((await destroy(world, A)).phase).toBe('destroyed');
					world.faults = [];
					expect(ownedBy(world, A)).toEqual([]);
					expect(world.cloud.filter(isSharedImage).length).toBeLessThanOrEqual(1);
					if (imageRemovedByHand) world.cloud = world.cloud.filter((r) => !isSharedImage(r));
					// The second one resumes and finishes, with no "Try again" needed.
					world.faults.push(...faults);
					const { state, retries } = await finish(world, B);
					world.faults = [];
					expect(state.phase).toBe('done');
					expect(retries).toBe(0);
					const server = ownedBy(world, B).find((r) => r.kind === 'server');
					expect(server).toBeDefined();
					expect(
						ownedBy(world, B)
							.map((r) => r.kind)
							.sort()
					).toEqual(['firewall', 'server', 'volume']);
					// One image at a time; made a second time only if someone removed it before the
					// second server was created (after that, no server needs it).
					const images = world.cloud.filter(isSharedImage);
					expect(images.length).toBe(imageRemovedByHand ? images.length : 1);
					expect(images.length).toBeLessThanOrEqual(1);
					const imageCreates = world.cloudCreates.filter((c) => c.kind === 'image').length;
					expect(imageCreates).toBeLessThanOrEqual(imageRemovedByHand ? 2 : 1);
					// The image in use is not offered by the sweep; after the last destroy it is.
					const ports = world.ports();
					expect(await listOrphans(ports.cloud, ports.store)).toEqual([]);
					if (images[0] && !imageRemovedByHand) expect(imagesInUse([state]).has(images[0].id)).toBe(true);
					expect((await destroy(world, B)).phase).toBe('destroyed');
					expect((await listOrphans(ports.cloud, ports.store)).map((o) => o.kind)).toEqual(images.map(() => 'image'));
				}
			),
			{ numRuns: 60 }
		);
	});

	it('the server step makes the image again when it is gone, and uses the one there when another made it', async () => {
		const world = new World();
		world.stored.set(B, JSON.stringify(initialState(plan(B), world.time)));
		// Run until the image is chosen, then take it away before the server is created.
		const runner = runnerFor(world, B);
		let removed = false;
		const stop = runner.subscribe((s) => {
			if (!removed && s.steps.image?.status === 'done') {
				removed = true;
				world.cloud = world.cloud.filter((r) => !isSharedImage(r));
			}
		});
		const state = await runner.run();
		stop();
		expect(state.phase).toBe('done');
		const images = world.cloud.filter(isSharedImage);
		expect(images).toHaveLength(1);
		expect(state.steps.server?.output?.imageId).toBe(images[0]!.id);
		expect(state.steps.server?.output?.imageId).not.toBe(state.steps.image?.output?.imageId);
		expect(state.resources.some((r) => r.kind === 'image')).toBe(false);
	});

	it('a state stored before images were shared, with the image recorded, still leaves the image at destroy', async () => {
		const world = new World();
		world.stored.set(A, JSON.stringify(initialState(plan(A), world.time)));
		world.stored.set(B, JSON.stringify(initialState(plan(B), world.time)));
		await finish(world, A);
		await finish(world, B);
		const image = world.cloud.find(isSharedImage)!;
		const old = stored(world, A);
		old.resources.push({ kind: 'image', id: image.id, name: image.name, step: 'image' });
		world.stored.set(A, JSON.stringify(old));
		expect((await destroy(world, A)).phase).toBe('destroyed');
		expect(world.cloud.some((r) => r.id === image.id)).toBe(true);
	});
});
