import { describe, expect, it } from 'vitest';
import { initialState } from '../../core/deploy/machine.ts';
import { buildPlan } from '../../core/deploy/plan.ts';
import type { OperationLocks } from '../../ports/app-updates.ts';
import { DeployController, operationName } from './controller.ts';
import { memoryCoordination } from '../../../../tests/doubles/deploy/memory.ts';
import { testArtifacts, World } from '../../../../tests/doubles/deploy/world.ts';

const ID = 'tabs1234';
const plan = buildPlan({
	deploymentId: ID,
	cloud: { provider: 'x', region: 'r1', size: 's' },
	volumeGiB: 5,
	dns: { provider: 'x' },
	git: { host: 'x' },
	hosts: [{ app: 'a', fqdn: 'a.example.org' }]
});

function operations(seen: string[]): OperationLocks {
	return {
		async hold(name, fn) {
			seen.push(name);
			return fn();
		},
		async running() {
			return [];
		}
	};
}

describe('deploy controller', () => {
	it('runs in one tab while the other follows, under the operation lock', async () => {
		const world = new World();
		const coordination = memoryCoordination();
		const held: string[] = [];
		const ports = () => ({
			...world.ports(),
			artifacts: testArtifacts,
			random: () => 0.5,
			coordination,
			operations: operations(held)
		});
		const a = new DeployController(ports(), ID);
		const b = new DeployController(ports(), ID);
		const roles: string[] = [];
		b.subscribe((v) => roles.push(v.role));
		const started = a.start(initialState(plan, world.time));
		// The second tab opens while the first runs: it follows.
		await Promise.resolve();
		const following = b.open();
		await started;
		await following;
		expect(a.view.state?.phase).toBe('done');
		expect(b.view.state?.phase).toBe('done');
		expect(roles).toContain('following');
		expect(held).toEqual([operationName(ID)]);
		expect(world.cloudCreates.filter((c) => c.kind === 'server')).toHaveLength(1);
	});

	it('cancel then destroy leaves nothing but the account’s shared image', async () => {
		const world = new World();
		const coordination = memoryCoordination();
		const c = new DeployController(
			{ ...world.ports(), artifacts: testArtifacts, random: () => 0.5, coordination, operations: operations([]) },
			ID
		);
		const run = c.start(initialState(plan, world.time));
		for (let i = 0; i < 5; i++) await new Promise((r) => setTimeout(r, 0));
		await c.cancel();
		await run;
		await c.destroy();
		expect(c.view.state?.phase).toBe('destroyed');
		expect(world.cloud.filter((r) => r.kind !== 'image')).toEqual([]);
		expect(world.cloud.filter((r) => r.kind === 'image').every((r) => !r.labels['nassella-deployment'])).toBe(true);
		expect(world.repos.size).toBe(0);
	});
});
