/**
 * IPv6 on a nassella server at DigitalOcean: DigitalOcean gives none to a droplet of a custom
 * image such as the imported Flatcar one ("You cannot enable IPv6 on Droplets created from
 * custom images": https://docs.digitalocean.com/products/networking/ipv6/details/limits/), so
 * the droplet is created without asking for it, and the deploy steps from the server to its
 * web addresses run on its IPv4 address alone: an A record for each app, no AAAA record.
 */
import { expect, it } from 'vitest';
import { DigitalOceanCloud } from '../../src/lib/adapters/digitalocean/cloud.ts';
import { DigitalOceanDns } from '../../src/lib/adapters/digitalocean/dns.ts';
import { initialState, type DeploymentState } from '../../src/lib/core/deploy/machine.ts';
import { buildPlan, type StepId } from '../../src/lib/core/deploy/plan.ts';
import type { AppProbe, DeployArtifacts } from '../../src/lib/ports/deploy.ts';
import type { GitHost } from '../../src/lib/ports/git-host.ts';
import { performStep, type StepPorts } from '../../src/lib/services/deploy/steps.ts';
import { createDigitalOceanFake } from '../../workers/sandbox/digitalocean/fake.ts';
import { recorder, testOptions, TOKEN } from './harness.ts';

const HOSTS = [
	{ app: 'vaultwarden', fqdn: 'passwords.example.org' },
	{ app: 'miniflux', fqdn: 'news.example.org' }
];

it('creates the Flatcar droplet without IPv6 and points the apps at its IPv4 address only', async () => {
	const fake = createDigitalOceanFake({ tokens: [TOKEN], importMs: 10, bootMs: 10 });
	fake.addDomain('example.org');
	const rec = recorder();
	const asked: { fqdn: string; server: { ipv4?: string; ipv6?: string } }[] = [];
	const probe: AppProbe = {
		answers: async (fqdn, server) => {
			asked.push({ fqdn, server });
			return true;
		}
	};
	const ports: StepPorts = {
		cloud: new DigitalOceanCloud(testOptions(fake.api, rec)),
		dns: new DigitalOceanDns(testOptions(fake.api, rec)),
		// The repository steps are not run here (their outputs are set below), so neither the
		// git host nor the bundle, key and signature artifacts are asked for anything.
		git: {} as GitHost,
		probe,
		artifacts: {
			ignition: async () => JSON.stringify({ ignition: { version: '3.4.0' } })
		} as Pick<DeployArtifacts, 'ignition'> as DeployArtifacts,
		clock: { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) }
	};
	const plan = buildPlan({
		deploymentId: 'ipv4only01',
		cloud: { provider: 'digitalocean', region: 'fra1', size: 's-1vcpu-1gb' },
		volumeGiB: 10,
		dns: { provider: 'digitalocean' },
		git: { host: 'github' },
		hosts: HOSTS
	});
	const state: DeploymentState = initialState(plan, Date.now());
	const done = (step: StepId, output: Record<string, string | string[] | null>) => {
		state.steps[step] = { status: 'done', attempts: 1, output };
	};
	done('repo', { fullName: 'someone/ipv4only01-config', sshUrl: 'git@github.com:x/y.git', defaultBranch: 'main' });
	done('commit', { sha: 'a'.repeat(40) });
	const signal = new AbortController().signal;
	const timings = { probeIntervalMs: 10, probeTimeoutMs: 5_000, ttl: 300 };
	for (const step of ['zone', 'image', 'volume', 'firewall', 'server', 'wait-server', 'dns', 'wait-https'] as const) {
		const r = await performStep(ports, state, step, false, signal, timings);
		done(step, r.output as Record<string, string | string[] | null>);
	}

	// The create request did not ask for IPv6, which DigitalOcean does not give a custom image.
	expect(fake.state.droplets).toHaveLength(1);
	expect(fake.state.droplets[0]!.ipv6).toBe(false);

	// The server is up with its IPv4 address and none for IPv6; nothing waited for one.
	const ipv4 = fake.state.droplets[0]!.ip;
	expect(state.steps['wait-server']!.output).toEqual({ ipv4, ipv6: null });

	// One A record per app, no AAAA, both recorded as made by this deployment.
	expect(state.steps.dns!.output).toEqual({
		records: ['news.example.org|A', 'passwords.example.org|A']
	});
	for (const { fqdn } of HOSTS) {
		expect(fake.lookup(fqdn, 'A')?.values).toEqual([ipv4]);
		expect(fake.lookup(fqdn, 'AAAA')).toBeUndefined();
	}

	// The apps were checked on the IPv4 address alone.
	expect(asked.map((a) => a.fqdn).sort()).toEqual(['news.example.org', 'passwords.example.org']);
	for (const a of asked) expect(a.server).toEqual({ ipv4 });

	expect(fake.api.violations).toEqual([]);
});
