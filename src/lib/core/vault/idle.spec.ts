import { describe, expect, it } from 'vitest';
import { describeAge, describeIdle, exportDue, idleExpired } from './idle.ts';

describe('idle lock and export reminders', () => {
	it('expires after the chosen minutes without interaction', () => {
		expect(idleExpired(15 * 60_000 - 1, 0, 15)).toBe(false);
		expect(idleExpired(15 * 60_000, 0, 15)).toBe(true);
		expect(idleExpired(61_000, 1_000, 1)).toBe(true);
	});

	it('describes times plainly', () => {
		expect(describeIdle(1)).toBe('1 minute');
		expect(describeIdle(15)).toBe('15 minutes');
		expect(describeIdle(60)).toBe('1 hour');
		expect(describeIdle(240)).toBe('4 hours');
		expect(describeAge(undefined, 0)).toBe('never');
		expect(describeAge(0, 3_600_000)).toBe('today');
		expect(describeAge(0, 86_400_000)).toBe('yesterday');
		expect(describeAge(0, 5 * 86_400_000)).toBe('5 days ago');
	});

	it('reminds to export when never exported or changed since', () => {
		expect(exportDue({})).toBe(true);
		expect(exportDue({ lastExportAt: 10, lastChangeAt: 5 })).toBe(false);
		expect(exportDue({ lastExportAt: 10, lastChangeAt: 11 })).toBe(true);
	});
});
