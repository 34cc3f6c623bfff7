/** Small pure pieces checked against the real thing: the manifest's SHA-256 against Node's crypto, unit names against systemd-escape. */
import { beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sha256Hex } from '../../src/lib/core/server/manifest.ts';
import { systemdEscapePath, backupTime, drillTime } from '../../src/lib/core/server/units.ts';
import { dataUrl, gzipDataUrl } from '../../src/lib/core/server/ignition.ts';
import { renderRequests } from '../../src/lib/core/server/render.ts';
import { dataUrlText, fixture, goldenEncrypt, ignitionFile, renderTo, run, type IgnitionDoc } from './helpers.ts';

describe('pure helpers', () => {
	it('the manifest hash equals node:crypto for any text', () => {
		fc.assert(
			fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => {
				expect(sha256Hex(text)).toBe(createHash('sha256').update(text, 'utf8').digest('hex'));
			}),
			{ numRuns: 300 }
		);
		expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
	});

	it('systemdEscapePath equals systemd-escape --path', () => {
		for (const p of [
			'/var/lib/nassella',
			'/dev/disk/by-id/scsi-0HC_Volume_12345678',
			'/dev/disk/by-id/scsi-0DO_Volume_my-vol.1'
		]) {
			const r = run('systemd-escape', ['--path', p]);
			expect(systemdEscapePath(p), p).toBe(r.stdout.trim());
		}
	});

	it('backups start 90 minutes before the reboot window', () => {
		expect(backupTime('04:00')).toBe('02:30:00');
		expect(backupTime('Sun 01:00')).toBe('23:30:00');
		expect(drillTime('04:00')).toBe('01:30:00');
		expect(drillTime('01:00')).toBe('22:30:00');
	});

	it('requests.json: the same requests give the same bytes, whatever the key order', () => {
		expect(renderRequests({ drill: 'd-1', backup: 'b-1' })).toBe('{"backup":"b-1","drill":"d-1"}\n');
		expect(renderRequests({ backup: 'b-1' })).toBe('{"backup":"b-1"}\n');
		expect(() => renderRequests({ backup: '$(x)' })).toThrow(/not a plain id/);
	});

	it('gzip data URLs unpack to the text exactly, and are deterministic', () => {
		fc.assert(
			fc.property(fc.string({ unit: 'grapheme', maxLength: 2000 }), (s) => {
				const a = gzipDataUrl(s);
				expect(gzipDataUrl(s)).toEqual(a);
				expect(dataUrlText(a.source, a.compression)).toBe(s);
			}),
			{ numRuns: 50 }
		);
	});

	it('data URLs carry text exactly', () => {
		fc.assert(
			fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
				expect(dataUrlText(dataUrl(s))).toBe(s);
			})
		);
	});
});

/** Every value of a [Unit]/[Service]/… key in a unit file, split on spaces (systemd's list syntax). */
function unitValues(text: string, key: string): string[] {
	return text
		.split('\n')
		.filter((l) => l.startsWith(`${key}=`))
		.flatMap((l) => l.slice(key.length + 1).split(/\s+/))
		.filter(Boolean);
}

describe('units that need a correct clock wait for it', () => {
	it('sync, backup and drill want and follow time-sync.target, which systemd-time-wait-sync really holds back', async () => {
		const { ignition } = await renderTo(fixture('one-app'), goldenEncrypt);
		const units = (JSON.parse(ignition) as IgnitionDoc).systemd.units;
		const byName = Object.fromEntries(units.map((u) => [u.name, u]));
		for (const name of ['nassella-sync.service', 'nassella-backup.service', 'nassella-drill.service']) {
			const text = byName[name]?.contents ?? '';
			expect(unitValues(text, 'Wants'), name).toContain('time-sync.target');
			expect(unitValues(text, 'After'), name).toContain('time-sync.target');
		}
		expect(byName['systemd-time-wait-sync.service']).toEqual({ name: 'systemd-time-wait-sync.service', enabled: true });
	});
});

describe('a missing or late data volume (the real unit graph: presets as Ignition writes them, systemd-analyze verify)', () => {
	const DEVICE = '/dev/disk/by-id/scsi-0HC_Volume_12345678';
	const deviceUnit = 'dev-disk-by\\x2did-scsi\\x2d0HC_Volume_12345678.device';
	let dir = '';
	let byName: Record<string, IgnitionDoc['systemd']['units'][number]> = {};

	/** The jobs systemd puts in the start transaction of a unit (from verify's debug log). */
	const transaction = (unit: string): string[] => {
		const r = run('systemd-analyze', ['verify', '--man=no', `./${unit}`], {
			cwd: dir,
			env: { ...process.env, SYSTEMD_LOG_LEVEL: 'debug' }
		});
		expect(r.code, r.stderr.slice(-2000)).toBe(0);
		expect(r.stderr).not.toMatch(/ordering cycle/);
		return [...r.stderr.matchAll(/Installed new job (\S+)\/start/g)].map((m) => m[1]!);
	};

	beforeAll(async () => {
		const { ignition } = await renderTo(fixture('one-app'), goldenEncrypt);
		const units = (JSON.parse(ignition) as IgnitionDoc).systemd.units;
		byName = Object.fromEntries(units.map((u) => [u.name, u]));
		// A root as Ignition leaves it: the unit files, and a preset file enabling what the config enables.
		const root = mkdtempSync(join(tmpdir(), 'nassella-units-'));
		dir = join(root, 'etc/systemd/system');
		mkdirSync(dir, { recursive: true });
		mkdirSync(join(root, 'etc/systemd/system-preset'), { recursive: true });
		mkdirSync(join(root, 'usr/lib/systemd/system'), { recursive: true });
		writeFileSync(
			join(dir, 'docker.service'),
			'[Unit]\nDescription=stand-in for the docker.service Flatcar ships\n\n[Service]\nExecStart=/bin/true\n'
		);
		for (const u of units) if (u.contents) writeFileSync(join(dir, u.name), u.contents);
		for (const u of units)
			if (!u.contents && existsSync(`/usr/lib/systemd/system/${u.name}`))
				copyFileSync(`/usr/lib/systemd/system/${u.name}`, join(root, 'usr/lib/systemd/system', u.name));
		const enabled = units.filter((u) => u.enabled).map((u) => u.name);
		writeFileSync(
			join(root, 'etc/systemd/system-preset/20-ignition.preset'),
			enabled.map((n) => `enable ${n}\n`).join('')
		);
		const preset = run('systemctl', [`--root=${root}`, 'preset', ...enabled.filter((n) => n !== 'docker.service')]);
		expect(preset.code, preset.stderr).toBe(0);
	});

	it('the boot does not wait for the volume: nothing of it is in the boot transaction', () => {
		for (const target of ['local-fs.target', 'multi-user.target']) {
			if (!existsSync(join(dir, target))) copyFileSync(`/usr/lib/systemd/system/${target}`, join(dir, target));
			const jobs = transaction(target);
			expect(jobs, target).not.toContain('var-lib-nassella.mount');
			expect(jobs, target).not.toContain('nassella-format-data.service');
			expect(jobs, target).not.toContain(deviceUnit);
		}
		// The system disk's empty mount point is made unwritable first, before Docker can restart any app.
		expect(transaction('local-fs.target')).toContain('nassella-data-guard.service');
		const guard = byName['nassella-data-guard.service']!.contents!;
		expect(unitValues(guard, 'Before')).toEqual(
			expect.arrayContaining(['var-lib-nassella.mount', 'docker.service', 'local-fs.target'])
		);
		expect(guard).toContain(
			"ExecStart=/bin/sh -c 'mkdir -p /var/lib/nassella && { mountpoint -q /var/lib/nassella || chattr +i /var/lib/nassella; }'"
		);
	});

	it('the device brings format, mount and sync, in that order, whenever it appears', () => {
		const wants = readdirSync(join(dir, `${deviceUnit}.wants`)).sort();
		expect(wants).toEqual(['nassella-format-data.service', 'var-lib-nassella.mount']);
		const mount = byName['var-lib-nassella.mount']!.contents!;
		expect(unitValues(mount, 'WantedBy')).toEqual([deviceUnit]);
		expect(unitValues(mount, 'Wants')).toContain('nassella-sync.service');
		const format = byName['nassella-format-data.service']!.contents!;
		expect(unitValues(format, 'WantedBy')).toEqual([deviceUnit]);
		expect(unitValues(format, 'BindsTo')).toEqual([deviceUnit]);
		const jobs = transaction('var-lib-nassella.mount');
		expect(jobs).toEqual(
			expect.arrayContaining([
				deviceUnit,
				'nassella-format-data.service',
				'var-lib-nassella.mount',
				'nassella-sync.service'
			])
		);
		expect(unitValues(byName['nassella-sync.service']!.contents!, 'After')).toContain('var-lib-nassella.mount');
	});

	it('a sync started by its timer never pulls in the volume (it checks, reports, and waits for it)', () => {
		const sync = byName['nassella-sync.service']!.contents!;
		expect(sync).not.toMatch(/^RequiresMountsFor=/m);
		expect(sync).not.toMatch(/^(Requires|BindsTo)=.*var-lib-nassella/m);
		const jobs = transaction('nassella-sync.service');
		expect(jobs).not.toContain('var-lib-nassella.mount');
		expect(jobs).not.toContain(deviceUnit);
		expect(jobs).toEqual(expect.arrayContaining(['nassella-fetch.service', 'time-sync.target']));
		expect(ignitionConf()).toContain(`DATA_DEVICE='${DEVICE}'\n`);
	});

	let conf = '';
	const ignitionConf = () => conf;
	beforeAll(async () => {
		const { ignition } = await renderTo(fixture('one-app'), goldenEncrypt);
		conf = ignitionFile(JSON.parse(ignition) as IgnitionDoc, '/etc/nassella/sync.conf');
	});
});
