import { describe, expect, it } from 'vitest';
import { stepOf, stepsDone, TransitionError, waitingSteps } from './steps.ts';

describe('steps shared by deploy and move', () => {
	const plan = [{ id: 'a' }, { id: 'b' }, { id: 'c' }] as const;

	it('starts every step waiting with no attempt', () => {
		expect(waitingSteps(plan)).toEqual({
			a: { status: 'waiting', attempts: 0 },
			b: { status: 'waiting', attempts: 0 },
			c: { status: 'waiting', attempts: 0 }
		});
	});

	it('names what has no such step', () => {
		const steps = waitingSteps(plan) as Partial<Record<string, { status: string }>>;
		expect(stepOf(steps, 'b', 'move')).toEqual({ status: 'waiting', attempts: 0 });
		expect(() => stepOf(steps, 'z', 'move')).toThrow(new TransitionError('This move has no step “z”.'));
	});

	it('counts the done steps out of all, ignoring steps the plan does not have', () => {
		expect(stepsDone(plan, { a: { status: 'done' }, b: { status: 'failed' }, x: { status: 'done' } })).toEqual({
			done: 1,
			total: 3
		});
	});
});
