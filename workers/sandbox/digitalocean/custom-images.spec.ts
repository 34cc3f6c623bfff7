/**
 * What the DigitalOcean fake does with a custom image as DigitalOcean documents it: which
 * files an import takes, and that a droplet of a custom image gets no metrics agent even when
 * the create request asks for one.
 */
import { describe, expect, it } from 'vitest';
import { createDigitalOceanFake } from './fake.ts';

const TOKEN = 'custom-image-spec-token-5d1e';
const IMPORT_MS = 10;

interface ImageView {
	id: number;
	status: string;
	error_message: string;
	regions: string[];
}
/** The parts of the fake's answers these tests read. */
interface Answer {
	status: number;
	body: {
		id?: string;
		image?: ImageView;
		droplet?: { id: number; features: string[] };
		data?: { result: unknown[] };
	};
}

function setup(options: { metricsAgent?: boolean } = {}) {
	const fake = createDigitalOceanFake({ tokens: [TOKEN], importMs: IMPORT_MS, bootMs: 0, ...options });
	const http = fake.api.client();
	const call = async (method: string, path: string, body?: unknown): Promise<Answer> => {
		const response = await http(
			new Request(`https://api.digitalocean.com${path}`, {
				method,
				headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
				body: body === undefined ? undefined : JSON.stringify(body)
			})
		);
		return { status: response.status, body: (await response.json().catch(() => ({}))) as Answer['body'] };
	};
	const imported = async (url: string) => {
		const made = await call('POST', '/v2/images', { name: 'flatcar', url, region: 'fra1', distribution: 'CoreOS' });
		expect(made.status).toBe(202);
		expect(made.body.image!.status).toBe('NEW');
		await new Promise((r) => setTimeout(r, IMPORT_MS + 20));
		return (await call('GET', `/v2/images/${made.body.image!.id}`)).body.image!;
	};
	return { fake, call, imported };
}

describe('DigitalOcean fake: custom image import', () => {
	it.each([
		'https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_digitalocean_image.bin.gz',
		'https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_digitalocean_image.bin.bz2',
		'https://stable.release.flatcar-linux.net/amd64-usr/4459.2.0/flatcar_production_digitalocean_image.bin',
		'https://cloud-images.ubuntu.com/minimal/releases/bionic/release/ubuntu-18.04-minimal-cloudimg-amd64.img',
		'https://example.net/images/disk.qcow2',
		'https://example.net/images/disk.qcow2.gz',
		'https://example.net/images/disk.vhdx',
		'https://example.net/images/disk.vdi.bz2',
		'https://example.net/images/disk.VMDK',
		'https://example.net/images/disk.img.gz?version=3'
	])('imports %s', async (url) => {
		const { fake, imported } = setup();
		const image = await imported(url);
		expect(image.status).toBe('available');
		expect(image.error_message).toBe('');
		expect(image.regions).toEqual(['fra1']);
		expect(fake.api.violations).toEqual([]);
	});

	it.each([
		// Compressions DigitalOcean does not take (it takes gzip and bzip2 only).
		'https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_digitalocean_image.bin.xz',
		'https://example.net/images/disk.img.zst',
		'https://example.net/images/disk.qcow2.zip',
		// An archive of files, an ISO, or a file that names no disk format.
		'https://example.net/images/digital-ocean.tar.gz',
		'https://example.net/images/installer.iso',
		'https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_image.vmlinuz',
		'https://example.net/images/'
	])('fails the import of %s as DigitalOcean does: accepted, then deleted with an error message', async (url) => {
		const { fake, imported, call } = setup();
		const image = await imported(url);
		expect(image.status).toBe('deleted');
		expect(image.error_message).toMatch(/raw.*qcow2.*VHDX.*VDI.*VMDK.*gzip.*bzip2/);
		expect(image.regions).toEqual([]);
		// A droplet cannot be made from it.
		const droplet = await call('POST', '/v2/droplets', {
			name: 'd1',
			region: 'fra1',
			size: 's-1vcpu-1gb',
			image: image.id,
			ssh_keys: []
		});
		expect(droplet.status).toBe(422);
		expect(droplet.body.id).toBe('unprocessable_entity');
		expect(fake.api.violations).toEqual([]);
	});
});

describe('DigitalOcean fake: monitoring on a custom image', () => {
	async function droplet(monitoring: boolean | undefined, metricsAgent = false) {
		const { fake, call, imported } = setup({ metricsAgent });
		const image = await imported(
			'https://stable.release.flatcar-linux.net/amd64-usr/current/flatcar_production_digitalocean_image.bin.gz'
		);
		const made = await call('POST', '/v2/droplets', {
			name: 'd1',
			region: 'fra1',
			size: 's-1vcpu-1gb',
			image: image.id,
			ssh_keys: [],
			...(monitoring === undefined ? {} : { monitoring })
		});
		expect(made.status).toBe(202);
		const id = made.body.droplet!.id;
		const now = Math.floor(Date.now() / 1000);
		const range = `host_id=${id}&start=${now - 600}&end=${now}`;
		const disk = await call('GET', `/v2/monitoring/metrics/droplet/filesystem_size?${range}`);
		const cpu = await call('GET', `/v2/monitoring/metrics/droplet/cpu?${range}`);
		expect(fake.api.violations).toEqual([]);
		return {
			state: fake.state.droplets[0]!,
			features: made.body.droplet!.features,
			diskSeries: disk.body.data!.result.length,
			cpuSeries: cpu.body.data!.result.length
		};
	}

	it('accepts monitoring: true on a custom image, installs no agent, and records that it did not', async () => {
		const d = await droplet(true);
		expect(d.state.monitoring).toBe(true);
		expect(d.state.agent).toBe(false);
		expect(d.features).not.toContain('monitoring');
		// CPU and bandwidth come without the agent; disk space only from it.
		expect(d.cpuSeries).toBeGreaterThan(0);
		expect(d.diskSeries).toBe(0);
	});

	it('records a droplet that did not ask for monitoring the same way', async () => {
		const d = await droplet(undefined);
		expect(d.state.monitoring).toBe(false);
		expect(d.state.agent).toBe(false);
		expect(d.features).not.toContain('monitoring');
		expect(d.diskSeries).toBe(0);
	});

	it('reports disk space when the agent was installed by hand, as DigitalOcean tells custom images to', async () => {
		const d = await droplet(undefined, true);
		expect(d.state.monitoring).toBe(false);
		expect(d.state.agent).toBe(true);
		expect(d.diskSeries).toBeGreaterThan(0);
	});
});
