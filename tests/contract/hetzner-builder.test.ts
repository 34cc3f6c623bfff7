/** The experimental Hetzner route to Flatcar: the builder's config, resuming, and failure. */
import { describe, expect, it } from 'vitest';
import { BUILDER_NAME, HetznerCloud } from '../../src/lib/adapters/hetzner/cloud.ts';
import { builderUserData, flatcarHetznerImageUrl } from '../../src/lib/adapters/hetzner/builder.ts';
import { ProviderError } from '../../src/lib/core/errors.ts';
import { deploymentLabels } from '../../src/lib/core/labels.ts';
import { createHetznerFake, type HetznerFakeOptions } from '../../workers/sandbox/hetzner/fake.ts';
import { recorder, testOptions, TOKEN } from './harness.ts';

const labels = deploymentLabels('builder01');

function setup(options: HetznerFakeOptions = {}, extra: Record<string, unknown> = {}) {
	const fake = createHetznerFake({
		tokens: [TOKEN],
		bootMs: 20,
		builderMs: 30,
		snapshotMs: 40,
		actionMs: 10,
		...options
	});
	const cloud = new HetznerCloud({
		...testOptions(fake.api, recorder()),
		baseUrl: 'https://api.hetzner.cloud/v1',
		...extra
	});
	return { fake, cloud };
}

describe('Hetzner Flatcar builder', () => {
	it('writes a small cloud-config that checks the image digest and powers off only after writing', () => {
		const data = builderUserData('stable', 'x86');
		expect(data.startsWith('#cloud-config\n')).toBe(true);
		expect(new TextEncoder().encode(data).length).toBeLessThan(32 * 1024);
		expect(data).toContain(flatcarHetznerImageUrl('stable', 'x86'));
		expect(flatcarHetznerImageUrl('beta', 'arm')).toBe(
			'https://beta.release.flatcar-linux.net/arm64-usr/current/flatcar_production_hetzner_image.bin.bz2'
		);
		expect(data).toMatch(/sha512sum/);
		expect(data.indexOf('test -n "$want" && test "$want" = "$have"')).toBeLessThan(
			data.indexOf('echo u > /proc/sysrq-trigger')
		);
		expect(data.indexOf('echo u > /proc/sysrq-trigger')).toBeLessThan(data.indexOf('echo o > /proc/sysrq-trigger'));
		expect(data).toMatch(/trap .*reboot' ERR/);
	});

	it('builds one labelled snapshot, deletes the builder, and boots servers from the snapshot', async () => {
		const { fake, cloud } = setup();
		const notes: string[] = [];
		const image = await cloud.ensureImage('fsn1', labels, (n) => notes.push(n.message));
		expect(image.kind).toBe('snapshot');
		expect(image.labels).toMatchObject({ 'managed-by': 'nassella', os: 'flatcar', channel: 'stable', arch: 'x86' });
		expect(fake.state.servers.filter((s) => s.name === BUILDER_NAME)).toEqual([]);
		expect(fake.state.images).toHaveLength(1);
		expect(notes.some((n) => /Writing Flatcar/.test(n))).toBe(true);
		const server = await cloud.ensureServer({
			name: 'nassella-builder01-server',
			region: 'nbg1',
			size: 'cx22',
			imageId: image.id,
			userData: '{"ignition":{"version":"3.4.0"}}',
			volumeIds: [],
			sshKeyIds: [],
			labels
		});
		expect(fake.state.servers.find((s) => String(s.id) === server.id)?.image).toBe(Number(image.id));
		expect(fake.api.violations).toEqual([]);
	});

	it('resumes after the snapshot request lost its answer: one snapshot, no second builder', async () => {
		const { fake, cloud } = setup();
		fake.api.faults.push({ kind: 'lost', method: 'POST', path: '/actions/create_image' });
		const first = await cloud.ensureImage('fsn1', labels).catch((e: unknown) => e as ProviderError);
		expect((first as ProviderError).code).toBe('network');
		const image = await cloud.ensureImage('fsn1', labels);
		expect(fake.state.images.map((i) => String(i.id))).toEqual([image.id]);
		expect(fake.state.servers).toEqual([]);
		expect(fake.api.violations).toEqual([]);
	});

	it('when the builder never powers off, gives up with a plain message and takes no snapshot', async () => {
		const { fake, cloud } = setup({ builderFails: true }, { buildTimeoutMs: 200 });
		const error = (await cloud.ensureImage('fsn1', labels).catch((e: unknown) => e)) as ProviderError;
		expect(error).toBeInstanceOf(ProviderError);
		expect(error.code).toBe('unavailable');
		expect(error.message).toMatch(/took too long/);
		expect(fake.state.images).toEqual([]);
		// The builder stays, labelled, for the person (or the orphan sweep) to remove.
		expect((await cloud.findByLabels({ 'managed-by': 'nassella' })).map((r) => r.name)).toContain(BUILDER_NAME);
	});

	it("refuses a server config over Hetzner's 32 KiB before sending it", async () => {
		const { cloud } = setup();
		const error = (await cloud
			.ensureServer({
				name: 'nassella-builder01-server',
				region: 'fsn1',
				size: 'cx22',
				imageId: '1',
				userData: 'x'.repeat(33 * 1024),
				volumeIds: [],
				sshKeyIds: [],
				labels
			})
			.catch((e: unknown) => e)) as ProviderError;
		expect(error.code).toBe('invalid');
		expect(error.message).toMatch(/32 KiB/);
	});
});

describe('the builder server type', () => {
	/** A Hetzner project and the server types of the POST /servers it was sent. */
	function watched() {
		const { fake } = setup();
		const types: string[] = [];
		const client = fake.api.client();
		const cloud = new HetznerCloud({
			...testOptions(fake.api, recorder()),
			baseUrl: 'https://api.hetzner.cloud/v1',
			http: async (request: Request) => {
				if (request.method === 'POST' && new URL(request.url).pathname === '/v1/servers')
					types.push(((await request.clone().json()) as { server_type: string }).server_type);
				return client(request);
			}
		});
		return { fake, cloud, types };
	}

	it('is chosen from what Hetzner sells in the location: outside Europe, where CX types are not sold', async () => {
		const { fake, cloud, types } = watched();
		expect((await cloud.ensureImage('ash', labels)).kind).toBe('snapshot');
		expect(types).toEqual(['cpx11']);
		expect(fake.api.violations).toEqual([]);
	});

	it('in Europe, the cheapest type sold there', async () => {
		const { cloud, types } = watched();
		await cloud.ensureImage('fsn1', labels);
		expect(types).toEqual(['cx22']);
	});

	it('a location where Hetzner sells no type for it is named plainly, and nothing is made', async () => {
		const { fake, cloud, types } = watched();
		const error = (await cloud.ensureImage('sin', labels).catch((e: unknown) => e)) as ProviderError;
		expect(error).toBeInstanceOf(ProviderError);
		expect(error.message).toMatch(/sin/);
		expect(error.action).toMatch(/another region/i);
		expect(types).toEqual([]);
		expect(fake.state.servers).toEqual([]);
	});
});
