/**
 * When the server may restart for an operating-system update: a setting the person chooses
 * in the wizard and can change from the dashboard. The choices are a short allowlist in the
 * form Flatcar's locksmithd reads from /etc/flatcar/update.conf
 * (`LOCKSMITHD_REBOOT_WINDOW_START="Sun 04:00"`, `LOCKSMITHD_REBOOT_WINDOW_LENGTH=2h`),
 * in the server's own time zone. The nightly backup runs 90 minutes before the window opens.
 */
import type { RebootWindow } from '../model/config.ts';

export type { RebootWindow };

export const DEFAULT_REBOOT_WINDOW: RebootWindow = { start: 'Sun 04:00', length: '2h', timezone: 'UTC' };

/** `''` is every day; otherwise locksmithd's three-letter day names. */
export const REBOOT_DAYS: readonly { value: string; label: string; plural: string }[] = [
	{ value: '', label: 'Every day', plural: 'Every day' },
	{ value: 'Mon', label: 'Monday', plural: 'Mondays' },
	{ value: 'Tue', label: 'Tuesday', plural: 'Tuesdays' },
	{ value: 'Wed', label: 'Wednesday', plural: 'Wednesdays' },
	{ value: 'Thu', label: 'Thursday', plural: 'Thursdays' },
	{ value: 'Fri', label: 'Friday', plural: 'Fridays' },
	{ value: 'Sat', label: 'Saturday', plural: 'Saturdays' },
	{ value: 'Sun', label: 'Sunday', plural: 'Sundays' }
];

/** Whole hours, `00:00` to `23:00`. */
export const REBOOT_TIMES: readonly string[] = Array.from({ length: 24 }, (_, h) => `${String(h).padStart(2, '0')}:00`);

export const REBOOT_LENGTHS: readonly { value: string; label: string }[] = [
	{ value: '1h', label: '1 hour' },
	{ value: '2h', label: '2 hours' },
	{ value: '3h', label: '3 hours' },
	{ value: '4h', label: '4 hours' }
];

/** The day (`''`: every day) and the time of a window's start. */
export function splitStart(start: string): { day: string; time: string } {
	const m = /^(?:(\S+) )?(\S+)$/.exec(start);
	return m ? { day: m[1] ?? '', time: m[2]! } : { day: '', time: start };
}

export function joinStart(day: string, time: string): string {
	return day ? `${day} ${time}` : time;
}

function knownTimeZone(zone: string): boolean {
	if (zone === 'UTC') return true;
	const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
	return intl.supportedValuesOf?.('timeZone').includes(zone) ?? false;
}

/** Why a window cannot be used, in plain words; undefined when it is one of the choices offered. */
export function rebootWindowProblem(w: RebootWindow): string | undefined {
	const { day, time } = splitStart(w.start);
	if (!REBOOT_DAYS.some((d) => d.value === day)) return 'Choose a day of the week, or every day.';
	if (!REBOOT_TIMES.includes(time)) return 'Choose a start time on the hour, from 00:00 to 23:00.';
	if (!REBOOT_LENGTHS.some((l) => l.value === w.length)) return 'Choose a window of 1 to 4 hours.';
	if (!knownTimeZone(w.timezone)) return 'Choose a known time zone, such as Europe/Berlin.';
	return undefined;
}

/** The window in plain words, e.g. “Sundays 04:00–06:00 (UTC)”. */
export function describeRebootWindow(w: RebootWindow): string {
	const { day, time } = splitStart(w.start);
	const days = REBOOT_DAYS.find((d) => d.value === day)?.plural ?? day;
	const m = /^(\d+)([hm])$/.exec(w.length);
	const minutes = m ? Number(m[1]) * (m[2] === 'h' ? 60 : 1) : 0;
	const [h, min] = time.split(':').map(Number) as [number, number];
	const end = (h * 60 + min + minutes) % 1440;
	const endText = `${String(Math.floor(end / 60)).padStart(2, '0')}:${String(end % 60).padStart(2, '0')}`;
	return `${days} ${time}–${endText} (${w.timezone})`;
}

/** The browser's own time zone, when it is one the server knows; else UTC. */
export function localTimeZone(): string {
	const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
	return zone && knownTimeZone(zone) ? zone : 'UTC';
}
