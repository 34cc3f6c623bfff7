/**
 * "Ensure everything" for one deployment (Flatcar image, SSH key, volume, firewall, server,
 * DNS records) against the stateful fakes with 150 ms injected latency per request: API calls
 * and wall time, done strictly one after another versus with independent steps in parallel.
 * Figures only; the issue sets no budget.
 */
import { DigitalOceanCloud } from '../../src/lib/adapters/digitalocean/cloud.ts';
import { DigitalOceanDns } from '../../src/lib/adapters/digitalocean/dns.ts';
import { HetznerCloud } from '../../src/lib/adapters/hetzner/cloud.ts';
import { HetznerDns } from '../../src/lib/adapters/hetzner/dns.ts';
import { letsEncryptCaa } from '../../src/lib/core/dns/names.ts';
import { deploymentLabels, resourceName } from '../../src/lib/core/labels.ts';
import type { CloudProvider } from '../../src/lib/ports/cloud.ts';
import type { DnsProvider } from '../../src/lib/ports/dns.ts';
import { createDigitalOceanFake } from '../../workers/sandbox/digitalocean/fake.ts';
import { createHetznerFake } from '../../workers/sandbox/hetzner/fake.ts';
import { report } from './lib.ts';

const LATENCY_MS = 150;
const DEP = 'benchmark01';
const ZONE = 'bench.example';
const labels = deploymentLabels(DEP);
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBenchmarkKeyForNassellaProvidersBench bench';

interface Setup {
	cloud: CloudProvider;
	dns: DnsProvider;
	region: string;
	size: string;
	calls: () => number;
}

function digitalOcean(): Setup {
	const fake = createDigitalOceanFake({
		tokens: ['t'],
		latencyMs: LATENCY_MS,
		importMs: 600,
		bootMs: 600,
		validate: false
	});
	fake.addDomain(ZONE);
	let calls = 0;
	const opts = { token: 't', http: fake.api.client(), pollMs: 300, onRequest: () => void calls++ };
	return {
		cloud: new DigitalOceanCloud(opts),
		dns: new DigitalOceanDns(opts),
		region: 'fra1',
		size: 's-1vcpu-1gb',
		calls: () => calls
	};
}

function hetzner(): Setup {
	const fake = createHetznerFake({
		tokens: ['t'],
		latencyMs: LATENCY_MS,
		bootMs: 600,
		builderMs: 600,
		snapshotMs: 300,
		actionMs: 150,
		validate: false
	});
	fake.addZone(ZONE);
	let calls = 0;
	const opts = {
		token: 't',
		baseUrl: 'https://api.hetzner.cloud/v1',
		http: fake.api.client(),
		pollMs: 300,
		onRequest: () => void calls++
	};
	return { cloud: new HetznerCloud(opts), dns: new HetznerDns(opts), region: 'fsn1', size: 'cx22', calls: () => calls };
}

async function sequential(s: Setup) {
	const image = await s.cloud.ensureImage(s.region, labels);
	const key = await s.cloud.ensureSshKey(resourceName(DEP, 'key'), KEY, labels);
	const volume = await s.cloud.ensureVolume(resourceName(DEP, 'data'), s.region, 10, labels);
	const firewall = await s.cloud.ensureFirewall(resourceName(DEP, 'firewall'), false, labels);
	const made = await s.cloud.ensureServer({
		name: resourceName(DEP, 'server'),
		region: s.region,
		size: s.size,
		imageId: image.id,
		userData: '{"ignition":{"version":"3.4.0"}}',
		volumeIds: [volume.id],
		firewallId: firewall.id,
		sshKeyIds: [key.id],
		labels
	});
	const server = await s.cloud.waitForServer(made.id);
	const zone = await s.dns.findZone(`photos.${ZONE}`);
	await s.dns.upsert(zone, { name: `photos.${ZONE}`, type: 'A', ttl: 3600, values: [server.ipv4!] });
	await s.dns.upsert(zone, { name: `files.${ZONE}`, type: 'A', ttl: 3600, values: [server.ipv4!] });
	await s.dns.upsert(zone, letsEncryptCaa(ZONE));
}

async function parallel(s: Setup) {
	// Everything that does not need the server's address goes at once; then the server; then the A records.
	const [image, key, volume, firewall, zone] = await Promise.all([
		s.cloud.ensureImage(s.region, labels),
		s.cloud.ensureSshKey(resourceName(DEP, 'key'), KEY, labels),
		s.cloud.ensureVolume(resourceName(DEP, 'data'), s.region, 10, labels),
		s.cloud.ensureFirewall(resourceName(DEP, 'firewall'), false, labels),
		s.dns.findZone(`photos.${ZONE}`).then(async (z) => {
			await s.dns.upsert(z, letsEncryptCaa(ZONE));
			return z;
		})
	]);
	const made = await s.cloud.ensureServer({
		name: resourceName(DEP, 'server'),
		region: s.region,
		size: s.size,
		imageId: image.id,
		userData: '{"ignition":{"version":"3.4.0"}}',
		volumeIds: [volume.id],
		firewallId: firewall.id,
		sshKeyIds: [key.id],
		labels
	});
	const server = await s.cloud.waitForServer(made.id);
	await Promise.all([
		s.dns.upsert(zone, { name: `photos.${ZONE}`, type: 'A', ttl: 3600, values: [server.ipv4!] }),
		s.dns.upsert(zone, { name: `files.${ZONE}`, type: 'A', ttl: 3600, values: [server.ipv4!] })
	]);
}

for (const [name, make] of [
	['DigitalOcean', digitalOcean],
	['Hetzner', hetzner]
] as const) {
	for (const [mode, run] of [
		['sequential', sequential],
		['parallel', parallel]
	] as const) {
		const s = make();
		const started = performance.now();
		await run(s);
		const ms = Math.round(performance.now() - started);
		report({ name: `${name}: ensure everything, ${mode}, wall time`, value: ms, unit: 'ms' });
		report({ name: `${name}: ensure everything, ${mode}, API calls`, value: s.calls(), unit: 'calls' });
	}
	const s = make();
	await parallel(s);
	const before = s.calls();
	const started = performance.now();
	await parallel(s);
	report({
		name: `${name}: ensure everything again (all exists), wall time`,
		value: Math.round(performance.now() - started),
		unit: 'ms'
	});
	report({
		name: `${name}: ensure everything again (all exists), API calls`,
		value: s.calls() - before,
		unit: 'calls'
	});
}
