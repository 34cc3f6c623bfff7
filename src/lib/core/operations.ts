/** Prefix of the cross-tab lock names that mark a long operation as running. */
export const OPERATION_LOCK_PREFIX = 'nassella-operation:';

export function operationLockName(operation: string): string {
	return OPERATION_LOCK_PREFIX + operation;
}

/** Operation names from a list of held lock names, ignoring locks that are not operations. */
export function operationsFromLocks(lockNames: readonly (string | undefined)[]): string[] {
	const names = new Set<string>();
	for (const lock of lockNames) {
		if (lock?.startsWith(OPERATION_LOCK_PREFIX)) names.add(lock.slice(OPERATION_LOCK_PREFIX.length));
	}
	return [...names].sort();
}

export type UpdateDecision = { allowed: true } | { allowed: false; reason: string };

/**
 * A new version of the app may take over only when nothing is running in any tab:
 * old pages could otherwise ask for files that no longer exist mid-operation.
 */
export function decideUpdate(running: readonly string[]): UpdateDecision {
	if (running.length === 0) return { allowed: true };
	return {
		allowed: false,
		reason: `The update will wait until this finishes: ${running.join(', ')}. Nothing is lost by waiting.`
	};
}
