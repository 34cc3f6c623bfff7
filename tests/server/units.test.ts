/** Small pure pieces checked against the real thing: SHA-256 against Node's crypto, unit names against systemd-escape. */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sha256 } from '../../src/lib/core/server/sha256.ts';
import { systemdEscapePath, backupTime, drillTime } from '../../src/lib/core/server/units.ts';
import { dataUrl, gzipDataUrl } from '../../src/lib/core/server/ignition.ts';
import { renderRequests } from '../../src/lib/core/server/render.ts';
import { dataUrlText, fixture, goldenEncrypt, renderTo, run, type IgnitionDoc } from './helpers.ts';

describe('pure helpers', () => {
	it('sha256 equals node:crypto for any input', () => {
		fc.assert(
			fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
				expect(sha256(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
			}),
			{ numRuns: 300 }
		);
		expect(sha256('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
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
