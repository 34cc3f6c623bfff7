/**
 * Hetzner and Cloudflare are reached through the relay (workers/proxy), with its production
 * allowlist: the adapters against their fakes, with the real Node relay in between.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CloudflareDns } from '../../src/lib/adapters/cloudflare/dns.ts';
import { HetznerCloud } from '../../src/lib/adapters/hetzner/cloud.ts';
import { HetznerDns } from '../../src/lib/adapters/hetzner/dns.ts';
import { letsEncryptCaa } from '../../src/lib/core/dns/names.ts';
import { deploymentLabels, resourceName } from '../../src/lib/core/labels.ts';
import { createNodeProxy } from '../../workers/proxy/node.ts';
import { createCloudflareFake } from '../../workers/sandbox/cloudflare/fake.ts';
import { createHetznerFake } from '../../workers/sandbox/hetzner/fake.ts';
import { TOKEN } from './harness.ts';

const hetzner = createHetznerFake({ tokens: [TOKEN], bootMs: 20, builderMs: 30, snapshotMs: 20, actionMs: 10 });
const cloudflare = createCloudflareFake({ tokens: [TOKEN] });
const servers: Server[] = [];
let proxyBase = '';

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
	const s = createServer(handler);
	servers.push(s);
	await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
	return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

beforeAll(async () => {
	const hz = await listen((req, res) => void hetzner.api.serve(req, res, ''));
	const cf = await listen((req, res) => void cloudflare.api.serve(req, res, ''));
	const relay = createNodeProxy({
		sameOrigin: true,
		basePath: '/proxy',
		rateLimit: false,
		log: () => undefined,
		test: { loopbackUpstreams: { 'api.hetzner.cloud': hz, 'api.cloudflare.com': cf } }
	});
	proxyBase = (await listen((req, res) => void relay(req, res))) + '/proxy';
});
afterAll(async () => {
	await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

it('Hetzner cloud and DNS work through the relay', async () => {
	const labels = deploymentLabels('viaproxy1');
	const opts = { token: TOKEN, proxyBase, pollMs: 10 };
	const cloud = new HetznerCloud(opts);
	const image = await cloud.ensureImage('fsn1', labels);
	const volume = await cloud.ensureVolume(resourceName('viaproxy1', 'data'), 'fsn1', 10, labels);
	const firewall = await cloud.ensureFirewall(resourceName('viaproxy1', 'firewall'), false, labels);
	const made = await cloud.ensureServer({
		name: resourceName('viaproxy1', 'server'),
		region: 'fsn1',
		size: 'cx22',
		imageId: image.id,
		userData: '{}',
		volumeIds: [volume.id],
		firewallId: firewall.id,
		sshKeyIds: [],
		labels
	});
	const server = await cloud.waitForServer(made.id);
	expect((await cloud.findByLabels(labels)).map((r) => r.kind).sort()).toEqual(['firewall', 'server', 'volume']);
	// Metrics pass the relay's read-only metrics route with the query the adapter sends.
	hetzner.state.servers.find((s) => String(s.id) === made.id)!.created -= 86_400_000;
	const metrics = await cloud.serverMetrics(made.id, { from: Date.now() - 3_600_000, to: Date.now() });
	expect(metrics.series.map((s) => s.id)).toEqual([
		'cpu',
		'network-in',
		'network-out',
		'disk-read',
		'disk-write',
		'disk-read-ops',
		'disk-write-ops'
	]);
	hetzner.addZone('example.org');
	const dns = new HetznerDns(opts);
	const zone = await dns.findZone('photos.example.org');
	for (let i = 0; i < 2; i++) {
		await dns.upsert(zone, { name: 'photos.example.org', type: 'A', ttl: 3600, values: [server.ipv4!] });
		await dns.upsert(zone, letsEncryptCaa('example.org'));
	}
	expect((await dns.list(zone)).map((r) => r.type).sort()).toEqual(['A', 'CAA']);
	expect(hetzner.api.violations).toEqual([]);
});

it('Cloudflare DNS works through the relay', async () => {
	cloudflare.addZone('example.net');
	const dns = new CloudflareDns({ token: TOKEN, proxyBase });
	await dns.verify();
	const zone = await dns.findZone('www.example.net');
	await dns.upsert(zone, { name: 'www.example.net', type: 'A', ttl: 300, values: ['192.0.2.3'] });
	await dns.upsert(zone, letsEncryptCaa('example.net'));
	expect((await dns.list(zone)).map((r) => r.type).sort()).toEqual(['A', 'CAA']);
	expect(cloudflare.api.violations).toEqual([]);
});
