import { describe, expect, it } from 'vitest';
import {
	backupProblem,
	dedynProblem,
	dedynZoneOf,
	deploymentIdFrom,
	hostsFor,
	monthlyCost,
	deploymentHosts,
	passwordFrom,
	sizeFit,
	sshKeyProblem,
	volumeGiB,
	type AppChoice
} from './setup.ts';
import { DEPLOYMENT_ID_PATTERN } from '../labels.ts';

const app = (id: string, ram: number, disk = 1024): AppChoice => ({
	id,
	name: id,
	tagline: '',
	entrypoints: [{ id: 'main', subdomain: id }],
	resources: { ramMinMiB: ram, ramRecommendedMiB: ram * 2, diskMiB: disk },
	firstLogin: ''
});

const size = (memoryMiB: number) => ({
	id: `s${memoryMiB}`,
	name: `s${memoryMiB}`,
	vcpus: 1,
	memoryMiB,
	diskGiB: 25,
	monthlyPrice: 6,
	currency: 'USD',
	regions: []
});

describe('setup helpers', () => {
	it('explains sizes too small for the chosen apps, counting the system’s own share', () => {
		const apps = [app('a', 512), app('b', 256)];
		const small = sizeFit(apps, size(1024));
		expect(small.fits).toBe(false);
		if (!small.fits) expect(small.reason).toMatch(/at least 1.3 GB/);
		expect(sizeFit(apps, size(1536))).toEqual({ fits: true, tight: true });
		expect(sizeFit(apps, size(4096))).toEqual({ fits: true, tight: false });
	});

	it('sizes the data disk and names every app’s address', () => {
		expect(volumeGiB([app('a', 1, 100)])).toBe(10);
		expect(volumeGiB([app('a', 1, 20 * 1024)])).toBe(40);
		expect(hostsFor([app('photos', 1)], 'example.org')).toEqual([{ app: 'photos', fqdn: 'photos.example.org' }]);
		// The deployment also points its admin host (status and logs) at the server.
		expect(deploymentHosts([app('photos', 1)], 'example.org')).toEqual([
			{ app: 'photos', fqdn: 'photos.example.org' },
			{ app: 'nassella', fqdn: 'nassella.example.org' }
		]);
	});

	it('checks free names, backup targets and SSH keys in plain words', () => {
		expect(dedynProblem('my-home')).toBeUndefined();
		expect(dedynProblem('a.b')).toBeDefined();
		const target = { endpoint: 'https://s3.example.com', bucket: 'backups', accessKeyId: 'k', secretAccessKey: 's' };
		expect(backupProblem(target)).toBeUndefined();
		expect(backupProblem({ ...target, endpoint: 'http://s3.example.com' })).toMatch(/https/);
		expect(backupProblem({ ...target, bucket: 'A' })).toMatch(/bucket/);
		expect(sshKeyProblem('')).toBeUndefined();
		expect(sshKeyProblem('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHefgKgq3bIclQMoj0 me@laptop')).toBeUndefined();
		expect(sshKeyProblem('-----BEGIN OPENSSH PRIVATE KEY-----')).toMatch(/public key/);
	});

	it('makes ids and passwords from random bytes', () => {
		const id = deploymentIdFrom(new Uint8Array(12).map((_, i) => i * 37));
		expect(id).toMatch(DEPLOYMENT_ID_PATTERN);
		const password = passwordFrom(new Uint8Array(96).map((_, i) => (i * 53) % 256));
		expect(password).toHaveLength(32);
		expect(() => passwordFrom(new Uint8Array(8))).toThrow();
	});
});

describe('dedynZoneOf', () => {
	it('finds the free name that holds an address, and nothing elsewhere', () => {
		expect(dedynZoneOf('photos.my-home.dedyn.io')).toBe('my-home.dedyn.io');
		expect(dedynZoneOf('My-Home.dedyn.io.')).toBe('my-home.dedyn.io');
		expect(dedynZoneOf('dedyn.io')).toBeUndefined();
		expect(dedynZoneOf('photos.example.org')).toBeUndefined();
		expect(dedynZoneOf('photos.notdedyn.io')).toBeUndefined();
	});
});

describe('monthlyCost', () => {
	const size = {
		id: 's',
		name: 'Small',
		vcpus: 1,
		memoryMiB: 2048,
		diskGiB: 25,
		monthlyPrice: 12,
		currency: 'USD',
		regions: ['r1'],
		arch: 'amd64' as const
	};
	it('prices the data disk and adds it to the total', () => {
		const cost = monthlyCost(size, { giB: 25, price: { monthlyPerGiB: 0.1, currency: 'USD' } });
		expect(cost.lines.map((l) => [l.what, l.monthly])).toEqual([
			['Server (Small)', 12],
			['Data disk (25 GB)', 2.5],
			['Git repository, DNS records', 0]
		]);
		expect(cost.total).toBe(14.5);
		expect(cost.diskPriced).toBe(true);
	});
	it('without a price, or in another currency, the disk is named but not added', () => {
		const none = monthlyCost(size, { giB: 25 });
		expect(none.total).toBe(12);
		expect(none.diskPriced).toBe(false);
		expect(none.lines[1]?.note).toMatch(/charged by size/);
		const other = monthlyCost(size, { giB: 25, price: { monthlyPerGiB: 0.05, currency: 'EUR' } });
		expect(other.total).toBe(12);
		expect(other.diskPriced).toBe(false);
		expect(other.lines[1]).toMatchObject({ monthly: 1.25, currency: 'EUR' });
	});
});
