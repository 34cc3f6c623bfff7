/**
 * One contract for every CloudProvider adapter, run against the adapter over its stateful fake.
 * The fake validates every request and response against the provider's OpenAPI spec; any
 * violation fails the test.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/lib/core/errors.ts';
import { deploymentLabels, resourceName } from '../../src/lib/core/labels.ts';
import type { CloudProvider } from '../../src/lib/ports/cloud.ts';
import type { FakeApi } from '../../workers/sandbox/kit.ts';
import { recorder, TOKEN, type Recorder } from './harness.ts';

export interface CloudSetup {
	provider: CloudProvider;
	/** A provider built like `provider` but with another (wrong) token. */
	withToken(token: string): CloudProvider;
	fake: FakeApi;
	region: string;
	size: string;
	/** How many servers the fake holds with this name. */
	serverCount(name: string): number;
	/** Inbound TCP ports the fake's firewall opens. */
	firewallPorts(id: string): string[];
}

export function cloudContract(name: string, make: (rec: Recorder) => CloudSetup) {
	describe(`CloudProvider contract: ${name}`, () => {
		let s: CloudSetup;
		let rec: Recorder;
		const dep = 'contract01';
		const labels = deploymentLabels(dep);

		beforeEach(() => {
			rec = recorder();
			s = make(rec);
		});
		afterEach(() => {
			expect(s.fake.violations).toEqual([]);
		});

		async function everything(provider = s.provider) {
			const image = await provider.ensureImage(s.region, labels);
			const volume = await provider.ensureVolume(resourceName(dep, 'data'), s.region, 10, labels);
			const firewall = await provider.ensureFirewall(resourceName(dep, 'firewall'), false, labels);
			const key = await provider.ensureSshKey(
				resourceName(dep, 'key'),
				'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMx1 nassella',
				labels
			);
			const server = await provider.ensureServer({
				name: resourceName(dep, 'server'),
				region: s.region,
				size: s.size,
				imageId: image.id,
				userData: JSON.stringify({ ignition: { version: '3.4.0' } }),
				volumeIds: [volume.id],
				firewallId: firewall.id,
				sshKeyIds: [key.id],
				labels
			});
			return { image, volume, firewall, key, server };
		}

		it('verifies the token and lists regions and sizes with monthly prices', async () => {
			expect((await s.provider.verify()).account).toBeTruthy();
			const regions = await s.provider.regions();
			expect(regions.map((r) => r.id)).toContain(s.region);
			const sizes = await s.provider.sizes();
			expect(sizes.length).toBeGreaterThan(0);
			for (const size of sizes) expect(size.monthlyPrice).toBeGreaterThan(0);
			expect(sizes.map((x) => x.id)).toContain(s.size);
		});

		it('creates everything, waits for the server, then finds it all by label', async () => {
			const made = await everything();
			const progress: number[] = [];
			const running = await s.provider.waitForServer(made.server.id, (n) => progress.push(n.fraction ?? 0));
			expect(running.ipv4).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
			expect(progress.at(-1)).toBe(1);
			const found = await s.provider.findByLabels(labels);
			const kinds = found.map((r) => `${r.kind}:${r.id}`);
			expect(kinds).toContain(`server:${made.server.id}`);
			expect(kinds).toContain(`volume:${made.volume.id}`);
			expect(kinds).toContain(`firewall:${made.firewall.id}`);
			const other = await s.provider.findByLabels(deploymentLabels('otherdeploy'));
			expect(other.filter((r) => r.kind === 'server')).toEqual([]);
		});

		it('ensures twice without making anything twice', async () => {
			const a = await everything();
			const b = await everything();
			expect(b.image.id).toBe(a.image.id);
			expect(b.volume.id).toBe(a.volume.id);
			expect(b.firewall.id).toBe(a.firewall.id);
			expect(b.key.id).toBe(a.key.id);
			expect(b.server.id).toBe(a.server.id);
			expect(s.serverCount(resourceName(dep, 'server'))).toBe(1);
		});

		it('opens 80 and 443 inbound, and SSH only when asked', async () => {
			const closed = await s.provider.ensureFirewall(resourceName(dep, 'firewall'), false, labels);
			expect(s.firewallPorts(closed.id).sort()).toEqual(['443', '80']);
			const open = await s.provider.ensureFirewall(
				resourceName('contract02', 'firewall'),
				true,
				deploymentLabels('contract02')
			);
			expect(s.firewallPorts(open.id).sort()).toEqual(['22', '443', '80']);
		});

		it('reuses the Flatcar image for a second deployment', async () => {
			const first = await s.provider.ensureImage(s.region, labels);
			const second = await s.provider.ensureImage(s.region, deploymentLabels('seconddeploy'));
			expect(second.id).toBe(first.id);
		});

		it('the image is the account’s: no deployment label, found by findImage without creating', async () => {
			expect(await s.provider.findImage?.(s.region)).toBeUndefined();
			const image = await s.provider.ensureImage(s.region, labels);
			expect(image.labels['nassella-deployment']).toBeUndefined();
			expect(image.labels['managed-by']).toBe('nassella');
			expect((await s.provider.findImage?.(s.region))?.id).toBe(image.id);
			// Not among one deployment's resources, so its destroy cannot take it away.
			expect((await s.provider.findByLabels(labels)).some((r) => r.id === image.id)).toBe(false);
		});

		it('maps a wrong token to "unauthorized" without leaking it', async () => {
			const wrong = 'wrong-token-1f2e3d4c5b6a79881726';
			const error = await s
				.withToken(wrong)
				.verify()
				.catch((e: unknown) => e);
			expect(error).toBeInstanceOf(ProviderError);
			expect((error as ProviderError).code).toBe('unauthorized');
			expect(JSON.stringify({ m: (error as ProviderError).message, a: (error as ProviderError).action })).not.toContain(
				wrong
			);
		});

		it('maps a token revoked midway to "unauthorized"', async () => {
			await s.provider.verify();
			s.fake.faults.push({ kind: 'revoked' });
			const error = await s.provider.regions().catch((e: unknown) => e);
			expect((error as ProviderError).code).toBe('unauthorized');
			expect((error as ProviderError).message).not.toContain(TOKEN);
		});

		it('waits as a 429 tells it to, then goes on', async () => {
			s.fake.faults.push({ kind: 'rate-limit', method: 'GET', waitSeconds: 7 });
			const regions = await s.provider.regions();
			expect(regions.length).toBeGreaterThan(0);
			expect(rec.waits).toHaveLength(1);
			expect(rec.waits[0]!.reason).toBe('rate-limited');
			expect(rec.waits[0]!.ms).toBeGreaterThanOrEqual(5_000);
			expect(rec.waits[0]!.ms).toBeLessThanOrEqual(8_000);
		});

		it('reports a persistent 429 as "rate-limited" with the reset time', async () => {
			s.fake.faults.push({ kind: 'rate-limit', times: 20, waitSeconds: 30 });
			const error = (await s.provider.sizes().catch((e: unknown) => e)) as ProviderError;
			expect(error.code).toBe('rate-limited');
			expect(error.retryAfterMs).toBeGreaterThan(20_000);
		});

		it('after a create whose answer was lost, a retry finds the server instead of making a second', async () => {
			const image = await s.provider.ensureImage(s.region, labels);
			s.fake.faults.push({
				kind: 'lost',
				method: 'POST',
				path: s.fake.dialect.name === 'DigitalOcean' ? '/droplets' : '/servers'
			});
			const spec = {
				name: resourceName(dep, 'server'),
				region: s.region,
				size: s.size,
				imageId: image.id,
				userData: '{"ignition":{"version":"3.4.0"}}',
				volumeIds: [],
				sshKeyIds: [],
				labels
			};
			const server = await s.provider.ensureServer(spec);
			expect(server.name).toBe(spec.name);
			expect(s.serverCount(spec.name)).toBe(1);
			const again = await s.provider.ensureServer(spec);
			expect(again.id).toBe(server.id);
			expect(s.serverCount(spec.name)).toBe(1);
		});

		it('retries reads after a server error and a timeout', async () => {
			s.fake.faults.push({ kind: 'server-error', method: 'GET' }, { kind: 'timeout', method: 'GET' });
			expect((await s.provider.regions()).length).toBeGreaterThan(0);
			expect(rec.waits.map((w) => w.reason).sort()).toEqual(['network', 'server-error']);
		});

		it('maps an account limit to "quota"', async () => {
			const image = await s.provider.ensureImage(s.region, labels);
			s.fake.faults.push({ kind: 'quota', method: 'POST' });
			const error = (await s.provider
				.ensureServer({
					name: resourceName(dep, 'server'),
					region: s.region,
					size: s.size,
					imageId: image.id,
					userData: '{}',
					volumeIds: [],
					sshKeyIds: [],
					labels
				})
				.catch((e: unknown) => e)) as ProviderError;
			expect(error.code).toBe('quota');
			expect(error.action).toBeTruthy();
		});

		it('deletes, and deleting again is not an error', async () => {
			const made = await everything();
			await s.provider.delete(made.server);
			await s.provider.delete(made.server);
			await s.provider.delete(made.volume);
			await s.provider.delete(made.firewall);
			await s.provider.delete(made.key);
			expect(s.serverCount(made.server.name)).toBe(0);
			const left = await s.provider.findByLabels(labels);
			expect(left.filter((r) => r.kind !== 'image' && r.kind !== 'snapshot')).toEqual([]);
		});

		it('reads metrics for a brand-new server (figures over time: metrics.contract.ts)', async () => {
			const made = await everything();
			const m = await s.provider.metrics(made.server.id, Date.now() - 3_600_000);
			// Nothing is measured before a server exists: a new one has at most a sample or two.
			expect(m.cpuPercent.length).toBeLessThanOrEqual(2);
			for (const [t, v] of m.cpuPercent) {
				expect(t).toBeGreaterThan(1e12);
				expect(v).toBeGreaterThanOrEqual(0);
				expect(v).toBeLessThanOrEqual(100);
			}
			expect(Array.isArray(m.networkInBytesPerSec)).toBe(true);
		});
	});
}
