import { describe, expect, it } from 'vitest';
import { decideUpdate, operationLockName, operationsFromLocks } from './operations.ts';

describe('operations and updates', () => {
	it('reads operation names from held locks and ignores other locks', () => {
		const held = [operationLockName('deploy home'), 'unrelated', undefined, operationLockName('deploy home')];
		expect(operationsFromLocks(held)).toEqual(['deploy home']);
	});

	it('allows an update only when nothing runs', () => {
		expect(decideUpdate([])).toEqual({ allowed: true });
		const blocked = decideUpdate(['deploy home']);
		expect(blocked.allowed).toBe(false);
		if (!blocked.allowed) expect(blocked.reason).toContain('deploy home');
	});
});
