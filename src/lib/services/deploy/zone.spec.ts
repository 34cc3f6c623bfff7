/**
 * The zone step: the deployment's web address is found at the DNS provider (a free dedyn.io
 * name claimed) before anything is created, so a wrong or taken name costs nothing.
 */
import { describe, expect, it } from 'vitest';
import { initialState, type DeploymentState } from '../../core/deploy/machine.ts';
import { buildPlan } from '../../core/deploy/plan.ts';
import { DeployRunner } from './runner.ts';
import { checkDomainZone } from './steps.ts';
import { testArtifacts, World } from '../../../../tests/doubles/deploy/world.ts';

const ID = 'zone12345';
const plan = (domain: string) =>
	buildPlan({
		deploymentId: ID,
		cloud: { provider: 'double', region: 'r1', size: 's1' },
		volumeGiB: 10,
		dns: { provider: 'double' },
		git: { host: 'double' },
		hosts: ['notes', 'photos'].map((n) => ({ app: n, fqdn: `${n}.${domain}` }))
	});

async function deploy(world: World, domain: string): Promise<DeploymentState> {
	return new DeployRunner(
		{ ...world.ports(), artifacts: testArtifacts, random: () => 0.5 },
		initialState(plan(domain), 0),
		{
			probeIntervalMs: 1_000,
			probeTimeoutMs: 60_000,
			ttl: 300
		}
	).run();
}

describe('zone step', () => {
	it('claims a free dedyn.io name the account lacks, once, and the DNS step uses it', async () => {
		const world = new World();
		const end = await deploy(world, 'my-home.dedyn.io');
		expect(end.phase).toBe('done');
		expect(world.zones.filter((z) => z.name === 'my-home.dedyn.io')).toHaveLength(1);
		expect([...world.dns.keys()].sort()).toEqual(['notes.my-home.dedyn.io|A', 'photos.my-home.dedyn.io|A']);
	});

	it('a taken name stops the setup before anything is created, with a clear error', async () => {
		const world = new World();
		world.takenZones.add('taken.dedyn.io');
		const end = await deploy(world, 'taken.dedyn.io');
		expect(end.phase).toBe('failed');
		expect(end.error).toMatchObject({ code: 'conflict', message: 'This name is taken.', action: 'Pick another name.' });
		expect(world.cloudCreates.filter((c) => c.kind === 'server')).toEqual([]);
	});

	it('a domain of one’s own that the account does not hold is never created on the fly', async () => {
		const world = new World();
		const end = await deploy(world, 'elsewhere.org');
		expect(end.phase).toBe('failed');
		expect(end.error?.code).toBe('not-found');
		expect(world.zones.map((z) => z.name)).toEqual(['example.org']);
		expect(world.cloudCreates.filter((c) => c.kind === 'server')).toEqual([]);
	});
});

describe('the wizard’s check of the web address', () => {
	const dns = (world: World) => world.ports().dns;

	it('claims a free dedyn.io name the account lacks, and says so; a second check claims nothing', async () => {
		const world = new World();
		await expect(checkDomainZone(dns(world), 'my-home.dedyn.io', true)).resolves.toBe('my-home.dedyn.io');
		await expect(checkDomainZone(dns(world), 'my-home.dedyn.io', true)).resolves.toBeUndefined();
		expect(world.zones.filter((z) => z.name === 'my-home.dedyn.io')).toHaveLength(1);
	});

	it('a taken name and a domain the account does not hold are refused, and nothing is made', async () => {
		const world = new World();
		world.takenZones.add('taken.dedyn.io');
		await expect(checkDomainZone(dns(world), 'taken.dedyn.io', true)).rejects.toMatchObject({ code: 'conflict' });
		await expect(checkDomainZone(dns(world), 'elsewhere.org', false)).rejects.toMatchObject({ code: 'not-found' });
		expect(world.zones.map((z) => z.name)).toEqual(['example.org']);
	});
});
