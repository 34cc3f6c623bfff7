/**
 * The engine with a tiny operation of its own: two steps, the second after the first. It
 * stores an intent before every side effect, resumes a begun step by observing, retries
 * after the wait the operation asks for, and stops for good when storing fails.
 */
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../core/errors.ts';
import type { StepError } from '../../core/deploy/retry.ts';
import { Engine, toStepError, type Operation } from './engine.ts';

type Id = 'a' | 'b';
interface Step {
	status: 'waiting' | 'pending' | 'retrying' | 'done' | 'failed';
	attempts: number;
	retryAt?: number;
	error?: StepError;
}
interface S {
	phase: 'running' | 'done' | 'failed';
	steps: Record<Id, Step>;
}
type E =
	| { type: 'begin'; step: Id }
	| { type: 'succeed'; step: Id }
	| { type: 'fail'; step: Id; at: number; error: StepError; final: boolean };

const initial = (): S => ({
	phase: 'running',
	steps: { a: { status: 'waiting', attempts: 0 }, b: { status: 'waiting', attempts: 0 } }
});

function transition(s: S, e: E): S {
	const step = s.steps[e.step];
	const steps = { ...s.steps };
	if (e.type === 'begin') steps[e.step] = { status: 'pending', attempts: step.attempts + 1 };
	if (e.type === 'succeed') steps[e.step] = { status: 'done', attempts: step.attempts };
	if (e.type === 'fail')
		steps[e.step] = e.final
			? { status: 'failed', attempts: step.attempts, error: e.error }
			: { status: 'retrying', attempts: step.attempts, retryAt: e.at + 1_000, error: e.error };
	const phase = steps.b.status === 'done' ? 'done' : e.type === 'fail' && e.final ? 'failed' : s.phase;
	return { phase, steps };
}

function world(perform: (step: Id, observe: boolean) => Promise<void>) {
	let time = 0;
	const saved: string[] = [];
	const log: string[] = [];
	const op: Operation<S, E, Id, void> = {
		transition,
		next(s, now, inFlight) {
			if (s.phase !== 'running') return { start: [] };
			for (const id of ['a', 'b'] as const) {
				const st = s.steps[id];
				if (st.status === 'done') continue;
				if (inFlight.has(id)) return { start: [] };
				if (st.status === 'retrying' && (st.retryAt ?? 0) > now) return { start: [], wakeAt: st.retryAt };
				return st.status === 'failed' ? { start: [] } : { start: [id] };
			}
			return { start: [] };
		},
		running: (s) => s.phase === 'running',
		attempts: (s, id) => s.steps[id].attempts,
		providerOf: () => 'Test cloud',
		async perform(_s, step, observe) {
			log.push(`${step}${observe ? ' (observing)' : ''} after ${saved.at(-1)}`);
			await perform(step, observe);
		},
		begin: (_s, step) => ({ type: 'begin', step }),
		succeed: (step) => ({ type: 'succeed', step }),
		fail: (step, at, error, _jitter, thrown) => ({ type: 'fail', step, at, error, final: thrown === 'final' })
	};
	const ports = {
		store: {
			save: async (s: S) => {
				saved.push(`${s.steps.a.status}/${s.steps.b.status}`);
			}
		},
		clock: {
			now: () => time,
			sleep: async (ms: number) => {
				time += ms;
			}
		},
		random: () => 0.5
	};
	return { op, ports, saved, log };
}

describe('engine', () => {
	it('stores an intent before each side effect and the result after it', async () => {
		const w = world(async () => undefined);
		const s = await new Engine(w.op, w.ports, initial()).run();
		expect(s.phase).toBe('done');
		expect(w.log).toEqual(['a after pending/waiting', 'b after done/pending']);
		expect(w.saved).toEqual(['pending/waiting', 'done/waiting', 'done/pending', 'done/done']);
	});

	it('a step begun before a closed page runs again observing first', async () => {
		const w = world(async () => undefined);
		const begun: S = { ...initial(), steps: { ...initial().steps, a: { status: 'pending', attempts: 1 } } };
		await new Engine(w.op, w.ports, begun).run();
		expect(w.log[0]).toMatch(/^a \(observing\)/);
	});

	it('retries after the wait the operation asks for, and stops when a failure is final', async () => {
		let calls = 0;
		const w = world(async (step) => {
			calls++;
			if (step === 'a' && calls === 1)
				throw new ProviderError({ code: 'unavailable', provider: 'Test cloud', message: 'busy', action: '' });
			if (step === 'b') throw 'final';
		});
		const s = await new Engine(w.op, w.ports, initial()).run();
		expect(w.log).toEqual(['a after pending/waiting', 'a (observing) after pending/waiting', 'b after done/pending']);
		expect(s.phase).toBe('failed');
		expect(s.steps.b.error).toEqual(toStepError('final', 'Test cloud'));
		expect(s.steps.b.error?.code).toBe('unexpected');
	});

	it('a failure to store the state stops the engine, never recorded as a failed step', async () => {
		const w = world(async () => undefined);
		const broken = { ...w.ports, store: { save: async () => Promise.reject(new Error('disk full')) } };
		await expect(new Engine(w.op, broken, initial()).run()).rejects.toThrow('disk full');
	});
});
