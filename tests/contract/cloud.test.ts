import { DigitalOceanCloud } from '../../src/lib/adapters/digitalocean/cloud.ts';
import { HetznerCloud } from '../../src/lib/adapters/hetzner/cloud.ts';
import { createHetznerFake } from '../../workers/sandbox/hetzner/fake.ts';
import { createDigitalOceanFake } from '../../workers/sandbox/digitalocean/fake.ts';
import { cloudContract } from './cloud.contract.ts';
import { describe, expect, it } from 'vitest';
import { recorder, testOptions, TOKEN } from './harness.ts';

cloudContract('DigitalOcean', (rec) => {
	const fake = createDigitalOceanFake({ tokens: [TOKEN], importMs: 30, bootMs: 30 });
	return {
		provider: new DigitalOceanCloud(testOptions(fake.api, rec)),
		withToken: (t) => new DigitalOceanCloud(testOptions(fake.api, rec, t)),
		fake: fake.api,
		region: 'fra1',
		size: 's-1vcpu-1gb',
		serverCount: (name) => fake.state.droplets.filter((d) => d.name === name).length,
		firewallPorts: (id) =>
			(fake.state.firewalls.find((f) => f.id === id)?.inbound as { protocol: string; ports: string }[])
				.filter((r) => r.protocol === 'tcp')
				.map((r) => r.ports)
	};
});

cloudContract('Hetzner', (rec) => {
	const fake = createHetznerFake({ tokens: [TOKEN], bootMs: 30, builderMs: 40, snapshotMs: 30, actionMs: 10 });
	const opts = (t?: string) => ({ ...testOptions(fake.api, rec, t), baseUrl: 'https://api.hetzner.cloud/v1' });
	return {
		provider: new HetznerCloud(opts()),
		withToken: (t) => new HetznerCloud(opts(t)),
		fake: fake.api,
		region: 'fsn1',
		size: 'cx22',
		serverCount: (name) => fake.state.servers.filter((s) => s.name === name).length,
		firewallPorts: (id) =>
			(
				fake.state.firewalls.find((f) => String(f.id) === id)?.rules as {
					direction: string;
					protocol: string;
					port: string;
				}[]
			)
				.filter((r) => r.direction === 'in' && r.protocol === 'tcp')
				.map((r) => r.port)
	};
});

describe('DigitalOcean as it really behaves', () => {
	it('refuses start-up settings over 64 KiB before asking DigitalOcean, and says what to do', async () => {
		const fake = createDigitalOceanFake({ tokens: [TOKEN] });
		const rec = recorder();
		const cloud = new DigitalOceanCloud({
			...testOptions(fake.api, rec),
			onRequest: (method, path) => rec.requests.push({ method, path })
		});
		// Multi-byte characters: the limit counts bytes, not characters.
		const userData = JSON.stringify({ ignition: { version: '3.3.0' }, note: 'é'.repeat(33_000) });
		expect(userData.length).toBeLessThan(64 * 1024);
		const error = (await cloud
			.ensureServer({
				name: 'nassella-abc12345-web',
				region: 'fra1',
				size: 's-1vcpu-1gb',
				imageId: '1',
				sshKeyIds: [],
				volumeIds: [],
				userData,
				labels: { 'nassella-deployment': 'abc12345' }
			})
			.catch((e: unknown) => e)) as { code?: string; message?: string; action?: string };
		expect(error.code).toBe('invalid');
		expect(error.message).toMatch(/64 KiB/);
		expect(error.action).toMatch(/fewer apps/);
		expect(rec.requests.filter((r) => r.method === 'POST')).toEqual([]);
	});
});
