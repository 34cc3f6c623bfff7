import { describe, expect, it } from 'vitest';
import { validateDeployment } from '../model/config.ts';
import {
	DEFAULT_REBOOT_WINDOW,
	describeRebootWindow,
	joinStart,
	REBOOT_DAYS,
	REBOOT_LENGTHS,
	REBOOT_TIMES,
	rebootWindowProblem,
	splitStart
} from './reboot-window.ts';
import base from '../../../../tests/fixtures/configs/one-app.json' with { type: 'json' };

describe('the reboot window setting', () => {
	it('says it in plain words', () => {
		expect(describeRebootWindow(DEFAULT_REBOOT_WINDOW)).toBe('Sundays 04:00–06:00 (UTC)');
		expect(describeRebootWindow({ start: '23:00', length: '2h', timezone: 'Europe/Berlin' })).toBe(
			'Every day 23:00–01:00 (Europe/Berlin)'
		);
	});

	it('takes only the offered days, hours and lengths', () => {
		expect(rebootWindowProblem(DEFAULT_REBOOT_WINDOW)).toBeUndefined();
		expect(rebootWindowProblem({ start: 'Wed 02:00', length: '4h', timezone: 'Europe/Berlin' })).toBeUndefined();
		expect(rebootWindowProblem({ start: 'Sunday 04:00', length: '2h', timezone: 'UTC' })).toMatch(/day/);
		expect(rebootWindowProblem({ start: 'Sun 04:15', length: '2h', timezone: 'UTC' })).toMatch(/on the hour/);
		expect(rebootWindowProblem({ start: 'Sun 24:00', length: '2h', timezone: 'UTC' })).toMatch(/on the hour/);
		expect(rebootWindowProblem({ start: 'Sun 04:00', length: '12h', timezone: 'UTC' })).toMatch(/1 to 4 hours/);
		expect(rebootWindowProblem({ start: 'Sun 04:00"\nX=1', length: '2h', timezone: 'UTC' })).toBeDefined();
		expect(rebootWindowProblem({ start: 'Sun 04:00', length: '2h', timezone: 'Mars/Olympus' })).toMatch(/time zone/);
	});

	it('offers only windows the config check (and so locksmithd) accepts', () => {
		for (const day of REBOOT_DAYS)
			for (const time of REBOOT_TIMES)
				for (const length of REBOOT_LENGTHS) {
					const rebootWindow = { start: joinStart(day.value, time), length: length.value, timezone: 'UTC' };
					expect(rebootWindowProblem(rebootWindow)).toBeUndefined();
					expect(splitStart(rebootWindow.start)).toEqual({ day: day.value, time });
					const d = structuredClone(base);
					d.config.rebootWindow = rebootWindow;
					expect(() => validateDeployment(d)).not.toThrow();
				}
	});
});
