/**
 * DigitalOcean's metrics agent on a nassella server: DigitalOcean installs it only on its own
 * distribution images, never on a custom image such as the imported Flatcar one, so the droplet
 * is created without asking for it and the disk chart says why it stays empty.
 */
import { expect, it } from 'vitest';
import { DigitalOceanCloud } from '../../src/lib/adapters/digitalocean/cloud.ts';
import { deploymentLabels, resourceName } from '../../src/lib/core/labels.ts';
import { createDigitalOceanFake } from '../../workers/sandbox/digitalocean/fake.ts';
import { recorder, testOptions, TOKEN } from './harness.ts';

async function flatcarDroplet() {
	const fake = createDigitalOceanFake({ tokens: [TOKEN], importMs: 10, bootMs: 10 });
	const cloud = new DigitalOceanCloud(testOptions(fake.api, recorder()));
	const labels = deploymentLabels('monitor01');
	const image = await cloud.ensureImage('fra1', labels);
	const server = await cloud.ensureServer({
		name: resourceName('monitor01', 'server'),
		region: 'fra1',
		size: 's-1vcpu-1gb',
		imageId: image.id,
		userData: JSON.stringify({ ignition: { version: '3.4.0' } }),
		volumeIds: [],
		sshKeyIds: [],
		labels
	});
	return { fake, cloud, server };
}

it('creates the Flatcar droplet without asking for the agent DigitalOcean cannot install on a custom image', async () => {
	const { fake } = await flatcarDroplet();
	const droplet = fake.state.droplets[0]!;
	expect(droplet.monitoring).toBe(false);
	expect(droplet.agent).toBe(false);
	expect(fake.api.violations).toEqual([]);
});

it('says the disk figures need an agent Flatcar servers do not have, and still shows CPU and network', async () => {
	const { fake, cloud, server } = await flatcarDroplet();
	fake.state.droplets[0]!.created -= 3_600_000;
	const now = Date.now();
	const m = await cloud.serverMetrics(server.id, { from: now - 1_800_000, to: now });
	expect(m.series.map((s) => s.id).sort()).toEqual(['cpu', 'network-in', 'network-out']);
	expect(m.missing).toHaveLength(1);
	expect(m.missing[0]!.kind).toBe('disk');
	expect(m.missing[0]!.reason).toMatch(/metrics agent/);
	expect(m.missing[0]!.reason).toMatch(/does not install it on Flatcar/);
	// Nothing that reads as if the figures were merely late.
	expect(m.missing[0]!.reason).not.toMatch(/yet|sent none/);
	expect(fake.api.violations).toEqual([]);
});
