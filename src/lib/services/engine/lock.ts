/**
 * One tab at a time for a long operation: the operation's exclusive lock (seen by every
 * tab), and meanwhile the app's operation lock, so no app update activates in the middle.
 */
import type { OperationLocks } from '../../ports/app-updates.ts';
import type { ExclusiveLock } from '../../ports/deploy.ts';

export interface LockPorts {
	lock: ExclusiveLock;
	operations: OperationLocks;
}

/** Runs `fn` unless another tab runs operation `key`; then returns undefined at once. */
export async function runExclusively<T>(
	ports: LockPorts,
	key: string,
	operation: string,
	fn: () => Promise<T>
): Promise<T | undefined> {
	const result = await ports.lock.exclusive(key, () => ports.operations.hold(operation, fn), { ifAvailable: true });
	return result.acquired ? result.value : undefined;
}
