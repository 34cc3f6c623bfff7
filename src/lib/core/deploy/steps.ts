/**
 * What the deploy and move state machines share about steps: a step's status, the error
 * thrown for an event that makes no sense in a state, a plan's steps all waiting, and how
 * many are done. Each machine keeps its own phases and events.
 */

export type StepStatus = 'waiting' | 'pending' | 'retrying' | 'done' | 'failed';

/** An event that makes no sense in the state it was given to (a bug, never a provider's answer). */
export class TransitionError extends Error {
	constructor(message: string) {
		super(message);
		this.name = 'TransitionError';
	}
}

/** Every step of a plan, waiting with no attempt yet. */
export function waitingSteps<Id extends string>(
	plan: readonly { id: Id }[]
): Partial<Record<Id, { status: 'waiting'; attempts: 0 }>> {
	const steps: Partial<Record<Id, { status: 'waiting'; attempts: 0 }>> = {};
	for (const s of plan) steps[s.id] = { status: 'waiting', attempts: 0 };
	return steps;
}

/** A step's state, or a TransitionError naming what has no such step (`deployment`, `move`). */
export function stepOf<Id extends string, S>(steps: Partial<Record<Id, S>>, step: Id, of: string): S {
	const s = steps[step];
	if (!s) throw new TransitionError(`This ${of} has no step “${step}”.`);
	return s;
}

/** Done steps out of all, for progress shown to the person. */
export function stepsDone(
	plan: readonly { id: string }[],
	steps: Readonly<Record<string, { status: string } | undefined>>
): { done: number; total: number } {
	return { done: plan.filter((s) => steps[s.id]?.status === 'done').length, total: plan.length };
}
