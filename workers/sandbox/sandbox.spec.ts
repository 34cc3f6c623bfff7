/** The sandbox over real HTTP, as `npm start` serves it: the real adapters against the mounted fakes. */
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigitalOceanCloud } from '../../src/lib/adapters/digitalocean/cloud.ts';
import { DesecDns } from '../../src/lib/adapters/desec/dns.ts';
import { HetznerCloud } from '../../src/lib/adapters/hetzner/cloud.ts';
import { checkPropagation } from '../../src/lib/adapters/doh/propagation.ts';
import { deploymentLabels } from '../../src/lib/core/labels.ts';
import { createLocalServer } from '../local/server.ts';
import { SANDBOX_ZONE, sandboxMount } from './index.ts';

describe('sandbox mount', () => {
	const server = createLocalServer({
		root: 'build',
		mounts: [sandboxMount({ bootMs: 20, importMs: 20, builderMs: 30, snapshotMs: 20 })]
	});
	let base = '';
	beforeAll(async () => {
		await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
		base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	});
	afterAll(() => new Promise<void>((r) => server.close(() => r())));
	const post = (path: string, body: unknown) =>
		fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

	it('serves DigitalOcean and Hetzner to the real adapters, and shows the state', async () => {
		const labels = deploymentLabels('sandbox01');
		const doCloud = new DigitalOceanCloud({ token: 'anything', baseUrl: `${base}/sandbox/digitalocean`, pollMs: 10 });
		const img = await doCloud.ensureImage('fra1', labels);
		const d = await doCloud.ensureServer({
			name: 'nassella-sandbox01-server',
			region: 'fra1',
			size: 's-1vcpu-1gb',
			imageId: img.id,
			userData: '{}',
			volumeIds: [],
			sshKeyIds: [],
			labels
		});
		expect((await doCloud.waitForServer(d.id)).ipv4).toBeTruthy();
		const hz = new HetznerCloud({ token: 'anything', baseUrl: `${base}/sandbox/hetzner/v1`, pollMs: 10 });
		expect((await hz.ensureImage('fsn1', labels)).kind).toBe('snapshot');
		const state = await (await fetch(`${base}/sandbox/_control/state`)).json();
		expect(state.digitalocean.droplets).toHaveLength(1);
		expect(state.hetzner.images).toHaveLength(1);
		expect(state.violations).toEqual({ digitalocean: [], hetzner: [], desec: [], cloudflare: [] });
	});

	it('answers DoH from the DNS fakes, takes faults, and resets', async () => {
		const dns = new DesecDns({ token: 'anything', baseUrl: `${base}/sandbox/desec` });
		const zone = await dns.findZone(`photos.${SANDBOX_ZONE}`);
		const record = { name: `photos.${SANDBOX_ZONE}`, type: 'A' as const, ttl: 3600, values: ['192.0.2.44'] };
		await dns.upsert(zone, record);
		const http = (r: Request) => {
			const u = new URL(r.url);
			return fetch(new Request(`${base}/sandbox/doh/${u.host}${u.pathname}${u.search}`, r));
		};
		expect((await checkPropagation(record, { http })).live).toBe(true);
		expect((await post('/sandbox/_control/faults', { provider: 'desec', fault: { kind: 'revoked' } })).status).toBe(
			200
		);
		expect(await dns.verify().catch((e: { code: string }) => e.code)).toBe('unauthorized');
		expect((await post('/sandbox/_control/reset', {})).status).toBe(200);
		expect((await dns.verify()).account).toBeTruthy();
		expect((await fetch(`${base}/sandbox/_control/reset`, { method: 'POST', body: '{}' })).status).toBe(415);
	});
});
