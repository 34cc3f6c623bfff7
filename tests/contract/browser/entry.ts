/** Bundled for Chromium by browser.test.ts: the real adapters against the sandbox, in a browser. */
import { DigitalOceanCloud } from '../../../src/lib/adapters/digitalocean/cloud.ts';
import { HetznerDns } from '../../../src/lib/adapters/hetzner/dns.ts';
import { checkPropagation } from '../../../src/lib/adapters/doh/propagation.ts';
import { deploymentLabels } from '../../../src/lib/core/labels.ts';

async function run(): Promise<Record<string, unknown>> {
	const labels = deploymentLabels('browser01');
	const cloud = new DigitalOceanCloud({ token: 'browser-token', baseUrl: '/sandbox/digitalocean', pollMs: 20 });
	const image = await cloud.ensureImage('fra1', labels);
	const volume = await cloud.ensureVolume('nassella-browser01-data', 'fra1', 10, labels);
	const made = await cloud.ensureServer({
		name: 'nassella-browser01-server',
		region: 'fra1',
		size: 's-1vcpu-1gb',
		imageId: image.id,
		userData: '{"ignition":{"version":"3.4.0"}}',
		volumeIds: [volume.id],
		sshKeyIds: [],
		labels
	});
	const server = await cloud.waitForServer(made.id);
	const dns = new HetznerDns({ token: 'browser-token', baseUrl: '/sandbox/hetzner/v1' });
	const zone = await dns.findZone('photos.nassella-sandbox.example');
	const record = { name: 'photos.nassella-sandbox.example', type: 'A' as const, ttl: 3600, values: [server.ipv4!] };
	await dns.upsert(zone, record);
	await dns.upsert(zone, record);
	const live = await checkPropagation(record, {
		endpoints: [{ name: 'sandbox', url: '/sandbox/doh/dns.google/resolve' }]
	});
	const wrong = await new DigitalOceanCloud({ token: '', baseUrl: '/sandbox/digitalocean' })
		.verify()
		.catch((e: { code: string }) => e.code);
	return {
		ipv4: server.ipv4,
		live: live.live,
		records: (await dns.list(zone)).filter((r) => r.type === 'A').length,
		wrong
	};
}

(globalThis as unknown as { runProviders: typeof run }).runProviders = run;
