import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
	BEFORE_SWITCH,
	buildMovePlan,
	initialMoveState,
	moveTransition,
	nextMoveAction,
	type MoveEvent,
	type MoveInput,
	type MoveState
} from './move.ts';
import { TransitionError } from './steps.ts';

const input: MoveInput = {
	deploymentId: 'abc12345',
	moveId: 'mv01',
	from: { provider: 'sandbox-digitalocean', region: 'ams3', ipv4: '198.51.100.7', resources: [] },
	to: { provider: 'sandbox-hetzner', region: 'fsn1', size: 'cx22' },
	volumeGiB: 10,
	adminHost: 'nassella.example.org',
	hosts: [{ app: 'vaultwarden', fqdn: 'passwords.example.org' }]
};

const err = { code: 'unavailable' as const, provider: 'x', message: 'm', action: 'a' };

/** Runs every step to done, in order, until `stop`. */
function until(stop: string): MoveState {
	let s = initialMoveState(buildMovePlan(input), 0);
	for (let t = 1; ; t++) {
		const next = nextMoveAction(s, t).start;
		if (!next || next === 'revert' || next === stop) return s;
		s = moveTransition(s, { type: 'begin', step: next, at: t });
		s = moveTransition(s, { type: 'succeed', step: next, at: t, output: {} });
	}
}

describe('move plan', () => {
	it('names the new resources after the move, so they never collide with the current ones', () => {
		const plan = buildMovePlan(input);
		expect(plan.steps.find((s) => s.id === 'server')?.name).toBe('nassella-abc12345-web-mv01');
		expect(plan.steps.map((s) => s.id)).not.toContain('ssh-key');
		expect(buildMovePlan({ ...input, sshPublicKey: 'ssh-ed25519 AAAA' }).steps.map((s) => s.id)).toContain('ssh-key');
	});

	it('refuses a move without a known current address, apps or a valid id', () => {
		expect(() => buildMovePlan({ ...input, from: { ...input.from, ipv4: undefined } })).toThrow(/address is unknown/);
		expect(() => buildMovePlan({ ...input, hosts: [] })).toThrow(/no apps/);
		expect(() => buildMovePlan({ ...input, moveId: 'BAD!' })).toThrow(/move id/);
	});
});

describe('move state machine', () => {
	it('waits for a confirmation before removing the old server', () => {
		const s = until('remove-old');
		expect(s.phase).toBe('confirm');
		expect(nextMoveAction(s, 100)).toEqual({});
		expect(() => moveTransition(s, { type: 'begin', step: 'remove-old', at: 100 })).toThrow(TransitionError);
		const c = moveTransition(s, { type: 'confirm-removal', at: 101, confirmed: true });
		expect(nextMoveAction(c, 102).start).toBe('remove-old');
	});

	it('a final failure after the status address moved, before the switch, asks for a revert first', () => {
		for (const step of BEFORE_SWITCH.filter((x) => x !== 'ssh-key')) {
			let s = until(step);
			s = moveTransition(s, { type: 'begin', step, at: 1000 });
			s = moveTransition(s, { type: 'fail', step, at: 1001, error: err, jitter: 0, final: true });
			expect(s.phase).toBe('failed');
			const pointed = BEFORE_SWITCH.indexOf(step) >= BEFORE_SWITCH.indexOf('point-admin');
			expect(s.revert).toBe(pointed ? 'needed' : undefined);
			if (pointed) {
				expect(nextMoveAction(s, 1002).start).toBe('revert');
				expect(() => moveTransition(s, { type: 'retry', at: 1002 })).toThrow(/put back/);
				const r = moveTransition(s, { type: 'reverted', at: 1003 });
				expect(r.steps['point-admin']?.status).not.toBe('done');
				const again = moveTransition(r, { type: 'retry', at: 1004 });
				expect(nextMoveAction(again, 1005).start).toBe('point-admin');
			}
		}
	});

	it('cannot be given up once the app addresses were switched', () => {
		let s = until('check-https');
		s = moveTransition(s, { type: 'begin', step: 'check-https', at: 1000 });
		s = moveTransition(s, { type: 'fail', step: 'check-https', at: 1001, error: err, jitter: 0, final: true });
		expect(s.revert).toBeUndefined();
		expect(() => moveTransition(s, { type: 'abandoned', at: 1002 })).toThrow(/finish the move/);
	});

	it('any sequence of events keeps the steps in order and never removes without confirmation', () => {
		const event = fc.oneof(
			fc.constant<'next'>('next'),
			fc.constant<'fail'>('fail'),
			fc.constant<'final'>('final'),
			fc.constant<'retry'>('retry'),
			fc.constant<'revert'>('revert'),
			fc.constant<'confirm'>('confirm')
		);
		fc.assert(
			fc.property(fc.array(event, { maxLength: 80 }), (events) => {
				let s = initialMoveState(buildMovePlan(input), 0);
				let t = 0;
				for (const e of events) {
					t += 60_000;
					const next = nextMoveAction(s, t).start;
					let ev: MoveEvent | undefined;
					if (e === 'confirm' && s.phase === 'confirm') ev = { type: 'confirm-removal', at: t, confirmed: true };
					else if (e === 'retry' && s.phase === 'failed' && s.revert !== 'needed') ev = { type: 'retry', at: t };
					else if (e === 'revert' && next === 'revert') ev = { type: 'reverted', at: t };
					else if (next && next !== 'revert') {
						s = moveTransition(s, { type: 'begin', step: next, at: t });
						ev =
							e === 'next'
								? { type: 'succeed', step: next, at: t, output: {} }
								: { type: 'fail', step: next, at: t, error: err, jitter: 0.5, final: e === 'final' };
					}
					if (ev) s = moveTransition(s, ev);
					const ids = s.plan.steps.map((x) => x.id);
					const firstOpen = ids.findIndex((id) => s.steps[id]?.status !== 'done');
					if (firstOpen >= 0) for (const id of ids.slice(firstOpen + 1)) expect(s.steps[id]?.status).not.toBe('done');
					if (s.steps['remove-old']?.attempts) expect(s.confirmedAt).toBeTypeOf('number');
					if ((s.steps['switch-dns']?.attempts ?? 0) > 0) expect(s.revert).not.toBe('needed');
				}
			}),
			{ numRuns: 300 }
		);
	});
});
