/** Small pure pieces checked against the real thing: SHA-256 against Node's crypto, unit names against systemd-escape. */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sha256 } from '../../src/lib/core/server/sha256.ts';
import { systemdEscapePath, backupTime } from '../../src/lib/core/server/units.ts';
import { dataUrl } from '../../src/lib/core/server/ignition.ts';
import { dataUrlText, run } from './helpers.ts';

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
	});

	it('data URLs carry text exactly', () => {
		fc.assert(
			fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
				expect(dataUrlText(dataUrl(s))).toBe(s);
			})
		);
	});
});
