import { describe, expect, it } from 'vitest';
import { memoryCoordination } from '../../../../tests/doubles/deploy/memory.ts';
import { runExclusively } from './lock.ts';

function operations() {
	const held: string[] = [];
	return {
		held,
		locks: {
			async hold<T>(operation: string, fn: () => Promise<T>): Promise<T> {
				held.push(operation);
				try {
					return await fn();
				} finally {
					held.splice(held.indexOf(operation), 1);
				}
			},
			running: async () => [...held]
		}
	};
}

describe('runExclusively', () => {
	it('runs in one tab only, marked as a long operation; the other tab gets undefined at once', async () => {
		const lock = memoryCoordination();
		const ops = operations();
		const ports = { lock, operations: ops.locks };
		let release!: () => void;
		const first = runExclusively(ports, 'move-abc12345', 'move abc12345', async () => {
			expect(ops.held).toEqual(['move abc12345']);
			await new Promise<void>((r) => (release = r));
			return 'moved';
		});
		await Promise.resolve();
		await expect(runExclusively(ports, 'move-abc12345', 'move abc12345', async () => 'twice')).resolves.toBe(undefined);
		release();
		await expect(first).resolves.toBe('moved');
		await expect(runExclusively(ports, 'move-abc12345', 'move abc12345', async () => 'again')).resolves.toBe('again');
		expect(ops.held).toEqual([]);
	});
});
