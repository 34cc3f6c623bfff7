/**
 * The stand-in server boots from an Ignition config and behaves like the server the project sets up:
 * Ignition writes a file, enables units and fetches the compose sysext over HTTPS from the stand-in
 * download mirror (test CA, sha512 checked); systemd-sysext merges it; docker and `docker compose`
 * work; names resolve through the guest's dnsmasq; nothing but the forwarded services is reachable;
 * a reboot keeps the disks and does not run Ignition again.
 *
 * Runs with tests/machine/vitest.config.ts (skipped by the main test run); the two reboots run when
 * the file is run by itself or with `npm run test:machine -- --all`.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureVmImage, type VmImage } from './image/build.ts';
import { cacheRoot, ensureCa, issueCert } from './lib/ca.ts';
import { startVm, type Vm } from './vm.ts';

const enabled = !!process.env.NASSELLA_MACHINE_TESTS;
/** The reboots take two more boots: left out of `npm run test:machine` without --all. */
const reboots = process.env.NASSELLA_MACHINE_ALL !== '0';

describe.skipIf(!enabled)('the stand-in server', () => {
	let image: VmImage;
	let vm: Vm | undefined;
	let mirror: Server;
	let mirrorPort = 0;
	let mirrorHits = 0;
	const workDir = join(cacheRoot(), 'runs', `smoke-${process.pid}`);
	const timings: Record<string, number> = {};

	beforeAll(async () => {
		let started = Date.now();
		image = await ensureVmImage({ log: (text) => process.stderr.write(text) });
		timings.imageSeconds = (Date.now() - started) / 1000;

		rmSync(workDir, { recursive: true, force: true });
		mkdirSync(workDir, { recursive: true });
		const ca = ensureCa();
		const tls = issueCert(ca, join(workDir, 'tls'), 'mirror', ['mirror.nassella.test']);
		const rawName = `docker-compose-${image.composeVersion}-x86-64.raw`;
		mirror = createServer({ cert: readFileSync(tls.cert), key: readFileSync(tls.key) }, (req, res) => {
			if (req.url !== `/extensions/${rawName}`) {
				res.writeHead(404).end();
				return;
			}
			mirrorHits++;
			res.writeHead(200, { 'content-length': statSync(image.sysextFile).size });
			createReadStream(image.sysextFile).pipe(res);
		});
		await new Promise<void>((r) => mirror.listen(0, '127.0.0.1', r));
		mirrorPort = (mirror.address() as { port: number }).port;

		const sha512 = createHash('sha512').update(readFileSync(image.sysextFile)).digest('hex');
		const rawPath = `/opt/extensions/docker-compose/${rawName}`;
		const config = {
			ignition: { version: '3.3.0' },
			storage: {
				files: [
					{ path: '/etc/nassella-smoke.txt', mode: 0o644, contents: { source: 'data:,hello%20stand-in' } },
					{
						path: rawPath,
						mode: 0o644,
						contents: {
							source: `https://mirror.nassella.test/extensions/${rawName}`,
							verification: { hash: `sha512-${sha512}` }
						}
					}
				],
				links: [{ path: '/etc/extensions/docker-compose.raw', target: rawPath, hard: false }]
			},
			systemd: {
				units: [
					{ name: 'docker.service', enabled: true },
					{
						name: 'nassella-smoke.service',
						enabled: true,
						contents: [
							'[Unit]',
							'Description=Smoke check unit',
							'Requires=systemd-time-wait-sync.service',
							'After=systemd-time-wait-sync.service time-sync.target',
							'[Service]',
							'Type=oneshot',
							'RemainAfterExit=yes',
							"ExecStart=/bin/sh -c 'date -u +%%s >/run/nassella-smoke-ran'",
							'[Install]',
							'WantedBy=multi-user.target',
							''
						].join('\n')
					}
				]
			}
		};
		const ignitionPath = join(workDir, 'config.ign');
		writeFileSync(ignitionPath, JSON.stringify(config));
		execFileSync('ignition-validate', [ignitionPath], { stdio: 'pipe' });

		started = Date.now();
		vm = await startVm({
			image,
			ignitionPath,
			name: 'smoke',
			workDir,
			dataDisk: join(workDir, 'data.img'),
			dataDiskSize: 2 * 1024 ** 3,
			guestfwd: [{ ip: '10.0.2.104', port: 443, hostPort: mirrorPort }]
		});
		timings.bootState = 0;
		const state = await vm.waitForBoot(15 * 60_000);
		timings.bootSeconds = (Date.now() - started) / 1000;
		process.stderr.write(
			`stand-in: ${state} after ${timings.bootSeconds} s (image ready in ${timings.imageSeconds} s)\n`
		);
	});

	afterAll(async () => {
		await vm?.stop();
		await new Promise((r) => (mirror ? mirror.close(r) : r(undefined)));
		if (!process.env.NASSELLA_MACHINE_KEEP) rmSync(workDir, { recursive: true, force: true });
	});

	it('reached multi-user with no failed unit', async () => {
		const failed = await vm!.run('systemctl --failed --no-legend --plain');
		expect(failed.trim()).toBe('');
		expect((await vm!.run('systemctl is-active multi-user.target')).trim()).toBe('active');
		process.stderr.write(`${await vm!.run('systemd-analyze; systemd-analyze blame | head -n 12')}\n`);
	});

	it('ran Ignition: the file is written and the enabled unit ran after time sync', async () => {
		expect(await vm!.run('cat /etc/nassella-smoke.txt')).toBe('hello stand-in');
		expect((await vm!.run('systemctl is-active nassella-smoke.service')).trim()).toBe('active');
		expect(await vm!.run('test -s /run/nassella-smoke-ran && echo yes')).toBe('yes\n');
		expect(await vm!.run('test -e /dev/disk/by-id/virtio-nassella-data && echo yes')).toBe('yes\n');
		// Only what the config enables is enabled, as on Flatcar.
		const enabled = await vm!.exec('systemctl is-enabled docker.service containerd.service apt-daily.timer');
		expect(enabled.stdout.trim().split(/\s+/)).toEqual(['enabled', 'disabled', 'disabled']);
	});

	it('runs docker', async () => {
		const version = await vm!.run("docker info --format '{{.ServerVersion}}'");
		expect(version.trim()).toMatch(/^\d+\.\d+/);
		expect(await vm!.run('command -v docker')).toBe('/usr/bin/docker\n');
	});

	it('merged the compose sysext fetched by Ignition, and docker compose works', async () => {
		expect(mirrorHits).toBeGreaterThanOrEqual(1);
		const status = await vm!.run('systemd-sysext status');
		expect(status).toContain('docker-compose');
		const compose = await vm!.run('docker compose version');
		expect(compose).toContain(image.composeVersion);
	});

	it('resolves the stand-in names through dnsmasq, on the host', async () => {
		expect(await vm!.run('cat /etc/resolv.conf')).toBe('nameserver 10.0.2.15\n');
		expect(await vm!.run('getent hosts registry-1.docker.io')).toMatch(/^10\.0\.2\.101\s/);
		expect(await vm!.run('getent hosts bucket.s3.eu-central-003.backblazeb2.com')).toMatch(/^10\.0\.2\.103\s/);
		expect(await vm!.run('getent hosts github.com')).toMatch(/^10\.0\.2\.100\s/);
		expect((await vm!.exec('getent hosts example.org')).code).not.toBe(0);
	});

	it('resolves them in containers too, on the default bridge and on a compose-style network', async () => {
		// A one-binary image made from the guest's own getent and libc (no registry in this test).
		await vm!.run(
			'tar -C / -chf - usr/bin/getent lib/x86_64-linux-gnu/libc.so.6 lib64/ld-linux-x86-64.so.2 etc/nsswitch.conf | docker import - standin-getent',
			300_000
		);
		const bridge = await vm!.run('docker run --rm standin-getent /usr/bin/getent hosts ghcr.io', 300_000);
		expect(bridge).toMatch(/^10\.0\.2\.101\s/);
		await vm!.run('docker network create smoke-net');
		const user = await vm!.run(
			'docker run --rm --network smoke-net standin-getent /usr/bin/getent hosts x.s3.eu-central-003.backblazeb2.com',
			300_000
		);
		expect(user).toMatch(/^10\.0\.2\.103\s/);
	});

	it('keeps the guest clock with the host clock', async () => {
		const before = Date.now() / 1000;
		const guest = Number(await vm!.run('date +%s.%N'));
		const after = Date.now() / 1000;
		expect(guest).toBeGreaterThan(before - 3);
		expect(guest).toBeLessThan(after + 3);
		// Not the TSC, which follows the host's own, unstable one (vm.ts).
		expect((await vm!.run('cat /sys/devices/system/clocksource/clocksource0/current_clocksource')).trim()).toBe('hpet');
	});

	it('trusts the test CA and reaches the forwarded service', async () => {
		const body = await vm!.exec(
			`curl -sS -o /dev/null -w '%{http_code}' https://mirror.nassella.test/extensions/docker-compose-${image.composeVersion}-x86-64.raw`
		);
		expect(body.stdout, `${body.stderr} (exit ${body.code})`).toBe('200');
	});

	it('reaches nothing else: not even the host behind the gateway', async () => {
		const result = await vm!.exec(`curl -sS -m 10 -o /dev/null https://10.0.2.2:${mirrorPort}/`, 60_000);
		expect(result.code).not.toBe(0);
	});

	it.runIf(reboots)('reboots from the same disks without running Ignition again', async () => {
		await vm!.run('echo kept > /var/lib/nassella-smoke-kept');
		const hits = mirrorHits;
		const started = Date.now();
		await vm!.reboot();
		await vm!.waitForBoot(15 * 60_000);
		process.stderr.write(`stand-in: rebooted in ${(Date.now() - started) / 1000} s\n`);
		expect(vm!.boots).toBe(2);
		expect(await vm!.run('cat /var/lib/nassella-smoke-kept')).toBe('kept\n');
		expect(await vm!.run('cat /proc/cmdline')).not.toContain('ignition.firstboot');
		expect(mirrorHits).toBe(hits);
		expect(await vm!.run('docker compose version')).toContain(image.composeVersion);
	});

	it.runIf(reboots)('follows a reboot asked for inside the guest', async () => {
		await vm!.exec('systemctl --no-block reboot').catch(() => undefined);
		const deadline = Date.now() + 10 * 60_000;
		while (vm!.boots < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1000));
		expect(vm!.boots).toBe(3);
		await vm!.waitForBoot(15 * 60_000);
		expect(await vm!.run('cat /var/lib/nassella-smoke-kept')).toBe('kept\n');
		expect(await vm!.run('cat /proc/cmdline')).not.toContain('ignition.firstboot');
	});
});
