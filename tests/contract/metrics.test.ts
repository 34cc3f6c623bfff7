import { DigitalOceanCloud } from '../../src/lib/adapters/digitalocean/cloud.ts';
import { HetznerCloud } from '../../src/lib/adapters/hetzner/cloud.ts';
import { createDigitalOceanFake } from '../../workers/sandbox/digitalocean/fake.ts';
import { createHetznerFake } from '../../workers/sandbox/hetzner/fake.ts';
import { metricsContract } from './metrics.contract.ts';
import { testOptions, TOKEN } from './harness.ts';

const DO_PATHS = {
	cpu: ['/monitoring/metrics/droplet/cpu'],
	network: ['/monitoring/metrics/droplet/bandwidth'],
	disk: ['/monitoring/metrics/droplet/filesystem_size', '/monitoring/metrics/droplet/filesystem_free']
};

for (const agent of [false, true])
	metricsContract(`DigitalOcean${agent ? ' with its metrics agent' : ''}`, (rec) => {
		const fake = createDigitalOceanFake({ tokens: [TOKEN], importMs: 10, bootMs: 10, metricsAgent: agent });
		return {
			provider: new DigitalOceanCloud(testOptions(fake.api, rec)),
			withToken: (t) => new DigitalOceanCloud(testOptions(fake.api, rec, t)),
			fake: fake.api,
			region: 'fra1',
			size: 's-1vcpu-1gb',
			age: (id, ms) => {
				const d = fake.state.droplets.find((x) => String(x.id) === id)!;
				d.created -= ms;
			},
			expected: { cpu: ['cpu'], network: ['network-in', 'network-out'], disk: agent ? ['disk-used'] : 'missing' },
			unknownServer: 'missing',
			requestPaths: DO_PATHS
		};
	});

metricsContract('Hetzner', (rec) => {
	const fake = createHetznerFake({ tokens: [TOKEN], bootMs: 10, builderMs: 20, snapshotMs: 10, actionMs: 5 });
	const opts = (t?: string) => ({ ...testOptions(fake.api, rec, t), baseUrl: 'https://api.hetzner.cloud/v1' });
	return {
		provider: new HetznerCloud(opts()),
		withToken: (t) => new HetznerCloud(opts(t)),
		fake: fake.api,
		region: 'fsn1',
		size: 'cx22',
		age: (id, ms) => {
			const s = fake.state.servers.find((x) => String(x.id) === id)!;
			s.created -= ms;
		},
		expected: {
			cpu: ['cpu'],
			network: ['network-in', 'network-out'],
			disk: ['disk-read', 'disk-write', 'disk-read-ops', 'disk-write-ops']
		},
		unknownServer: 'not-found',
		requestPaths: { cpu: ['/metrics'], network: ['/metrics'], disk: ['/metrics'] }
	};
});
