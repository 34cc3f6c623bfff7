/**
 * When the vault locks by itself: after `idleMinutes` without interaction with the app,
 * counting time the page was hidden (Bitwarden measures the same way).
 */
export const IDLE_CHOICES: readonly number[] = [1, 5, 15, 30, 60, 240];

export function idleExpired(now: number, lastActivity: number, idleMinutes: number): boolean {
	return now - lastActivity >= idleMinutes * 60_000;
}

export function describeIdle(minutes: number): string {
	if (minutes < 60) return minutes === 1 ? '1 minute' : `${minutes} minutes`;
	const hours = minutes / 60;
	return hours === 1 ? '1 hour' : `${hours} hours`;
}

/** "today", "yesterday", "5 days ago"; `undefined` means never. */
export function describeAge(then: number | undefined, now: number): string {
	if (then === undefined) return 'never';
	const days = Math.floor((now - then) / 86_400_000);
	if (days <= 0) return 'today';
	return days === 1 ? 'yesterday' : `${days} days ago`;
}

/** Remind to export when nothing was exported yet or something changed since. */
export function exportDue(settings: { lastExportAt?: number; lastChangeAt?: number }): boolean {
	if (settings.lastExportAt === undefined) return true;
	return (settings.lastChangeAt ?? 0) > settings.lastExportAt;
}
