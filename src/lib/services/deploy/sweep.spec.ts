import { describe, expect, it } from 'vitest';
import { initialState } from '../../core/deploy/machine.ts';
import { buildPlan } from '../../core/deploy/plan.ts';
import { DeployRunner } from './runner.ts';
import { listOrphans, removeOrphans } from './sweep.ts';
import { testArtifacts, World } from '../../../../tests/doubles/deploy/world.ts';

const plan = (id: string) =>
	buildPlan({
		deploymentId: id,
		cloud: { provider: 'x', region: 'r1', size: 's' },
		volumeGiB: 5,
		dns: { provider: 'x' },
		git: { host: 'x' },
		hosts: [{ app: 'a', fqdn: `${id}.example.org` }]
	});

describe('orphan sweep', () => {
	it('lists only what no stored deployment knows, and removes it', async () => {
		const world = new World();
		for (const id of ['known1234', 'lost12345']) {
			const ports = world.ports();
			await new DeployRunner(
				{ ...ports, artifacts: testArtifacts, random: () => 0.5 },
				initialState(plan(id), 0)
			).run();
		}
		// The vault lost track of one deployment.
		world.stored.delete('lost12345');
		const ports = world.ports();
		const orphans = await listOrphans(ports.cloud, ports.store);
		expect(orphans.length).toBeGreaterThan(0);
		expect(orphans.every((o) => o.labels['nassella-deployment'] === 'lost12345')).toBe(true);
		expect(await removeOrphans(ports.cloud, orphans)).toEqual([]);
		// The shared image stays: the known deployment uses it.
		expect(world.cloud.every((r) => r.labels['nassella-deployment'] === 'known1234' || r.kind === 'image')).toBe(true);
		expect(world.cloud.filter((r) => r.kind === 'image')).toHaveLength(1);
		expect(await listOrphans(ports.cloud, ports.store)).toEqual([]);
	});

	it('offers the shared image only when no deployment in the vault uses it', async () => {
		const world = new World();
		const ports = world.ports();
		const runner = new DeployRunner(
			{ ...ports, artifacts: testArtifacts, random: () => 0.5 },
			initialState(plan('only1234'), 0)
		);
		await runner.run();
		expect(await listOrphans(ports.cloud, ports.store)).toEqual([]);
		const gone = await runner.destroy();
		expect(gone.phase).toBe('destroyed');
		const orphans = await listOrphans(ports.cloud, ports.store);
		expect(orphans.map((o) => o.kind)).toEqual(['image']);
		expect(await removeOrphans(ports.cloud, orphans)).toEqual([]);
		expect(world.cloud).toEqual([]);
	});
});
