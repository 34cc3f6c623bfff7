import { describe, expect, it } from 'vitest';
import { initialState, nextActions, transition, TransitionError, type DeploymentState } from './machine.ts';
import { buildPlan, criticalPath, PlanError, type PlanInput } from './plan.ts';
import { retryDecision, waitFromHeaders, type StepError } from './retry.ts';
import { findOrphans, removalStages } from './sweep.ts';

const input: PlanInput = {
	deploymentId: 'abc12345',
	cloud: { provider: 'x', region: 'r1', size: 's1' },
	volumeGiB: 10,
	dns: { provider: 'x' },
	git: { host: 'x' },
	hosts: [{ app: 'a', fqdn: 'a.example.org' }]
};

const err = (code: StepError['code'], retryAfterMs?: number): StepError => ({
	code,
	provider: 'P',
	message: 'm',
	action: 'a',
	retryAfterMs
});

describe('plan', () => {
	it('names resources deterministically and runs independent steps in parallel', () => {
		const plan = buildPlan(input);
		expect(buildPlan(input)).toEqual(plan);
		expect(plan.steps.find((s) => s.id === 'volume')?.name).toBe('nassella-abc12345-data');
		expect(plan.steps.some((s) => s.id === 'ssh-key')).toBe(false);
		const path = criticalPath(plan);
		expect(path).toHaveLength(6);
		expect(path.slice(2)).toEqual(['server', 'wait-server', 'dns', 'wait-https']);
		const first = nextActions(initialState(plan, 0), 0, new Set());
		expect(first.start.sort()).toEqual(['firewall', 'image', 'repo', 'volume', 'zone']);
		const withSsh = buildPlan({ ...input, sshPublicKey: 'ssh-ed25519 AAAA' });
		expect(withSsh.steps.find((s) => s.id === 'server')?.after).toContain('ssh-key');
	});

	it('refuses input that cannot deploy', () => {
		expect(() => buildPlan({ ...input, hosts: [] })).toThrow(PlanError);
		expect(() => buildPlan({ ...input, hosts: [{ app: 'a', fqdn: 'bad_name' }] })).toThrow(/not a valid/);
		expect(() =>
			buildPlan({
				...input,
				hosts: [
					{ app: 'a', fqdn: 'a.example.org' },
					{ app: 'b', fqdn: 'a.example.org' }
				]
			})
		).toThrow(/share/);
		expect(() => buildPlan({ ...input, deploymentId: 'UPPER' })).toThrow();
		expect(() => buildPlan({ ...input, volumeGiB: 0 })).toThrow(/disk/);
	});
});

describe('transition', () => {
	const start = () => initialState(buildPlan(input), 1000);

	it('writes an intent before the side effect and the id after it', () => {
		let s: DeploymentState = transition(start(), {
			type: 'begin',
			step: 'volume',
			at: 1,
			name: 'nassella-abc12345-data'
		});
		expect(s.steps.volume).toMatchObject({
			status: 'pending',
			attempts: 1,
			intent: { name: 'nassella-abc12345-data' }
		});
		expect(s.steps.volume?.intent?.labels).toEqual({ 'managed-by': 'nassella', 'nassella-deployment': 'abc12345' });
		s = transition(s, {
			type: 'succeed',
			step: 'volume',
			at: 2,
			output: { volumeId: 'v1' },
			resources: [{ kind: 'volume', id: 'v1', name: 'n', step: 'volume' }]
		});
		expect(s.steps.volume?.status).toBe('done');
		expect(s.resources).toHaveLength(1);
		expect(s.rev).toBe(2);
	});

	it('refuses to start a step before its dependencies or twice', () => {
		expect(() => transition(start(), { type: 'begin', step: 'server', at: 1 })).toThrow(TransitionError);
		const s = transition(start(), { type: 'begin', step: 'volume', at: 1 });
		expect(() => transition(s, { type: 'succeed', step: 'image', at: 1, output: {}, resources: [] })).toThrow(
			TransitionError
		);
	});

	it('waits as told on 429, backs off on 5xx, stops on a wrong token', () => {
		let s = transition(start(), { type: 'begin', step: 'volume', at: 0 });
		s = transition(s, { type: 'fail', step: 'volume', at: 10, error: err('rate-limited', 30_000), jitter: 0 });
		expect(s.steps.volume).toMatchObject({ status: 'retrying', retryAt: 30_010 });
		expect(nextActions(s, 20_000, new Set()).start).not.toContain('volume');
		expect(nextActions(s, 20_000, new Set()).wakeAt).toBe(30_010);
		expect(nextActions(s, 30_010, new Set()).start).toContain('volume');
		s = transition(s, { type: 'begin', step: 'volume', at: 30_010 });
		s = transition(s, { type: 'fail', step: 'volume', at: 30_010, error: err('unauthorized'), jitter: 0 });
		expect(s.phase).toBe('failed');
		expect(s.error?.code).toBe('unauthorized');
		expect(nextActions(s, 40_000, new Set()).start).toEqual([]);
		s = transition(s, { type: 'retry', at: 50_000 });
		expect(s.phase).toBe('running');
		expect(s.steps.volume?.status).toBe('waiting');
		expect(s.steps.volume?.attempts).toBe(2);
	});

	it('keeps pending intents through cancel, and records late answers', () => {
		let s = transition(start(), { type: 'begin', step: 'volume', at: 0 });
		s = transition(s, { type: 'cancel', at: 1 });
		expect(nextActions(s, 2, new Set()).start).toEqual([]);
		s = transition(s, { type: 'fail', step: 'volume', at: 2, error: err('network'), jitter: 0 });
		expect(s.steps.volume?.status).toBe('pending');
		expect(() => transition(s, { type: 'destroyed', at: 3 })).toThrow(TransitionError);
		s = transition(s, { type: 'destroy', at: 3, confirmed: true });
		s = transition(s, { type: 'record', at: 4, resources: [{ kind: 'volume', id: 'v', name: 'n', step: 'volume' }] });
		expect(() => transition(s, { type: 'destroyed', at: 5 })).toThrow(/still there/);
		s = transition(s, { type: 'removed', at: 5, key: 'volume:v' });
		s = transition(s, { type: 'destroyed', at: 6 });
		expect(s.phase).toBe('destroyed');
	});

	it('cannot destroy while running', () => {
		expect(() => transition(start(), { type: 'destroy', at: 1, confirmed: true })).toThrow(/Cancel/);
	});
});

describe('retry rules', () => {
	it('clamps provider waits and gives up after a bound', () => {
		expect(retryDecision(err('rate-limited', 5_000), 1, 0)).toEqual({ retry: true, delayMs: 5_000 });
		expect(retryDecision(err('rate-limited', 10 * 3600_000), 1, 0)).toEqual({ retry: true, delayMs: 15 * 60_000 });
		expect(retryDecision(err('rate-limited', 5_000), 10, 0)).toEqual({ retry: false });
		const backoff = [1, 2, 3, 4, 5].map((a) => retryDecision(err('unavailable'), a, 0.999));
		expect(backoff.every((d) => d.retry)).toBe(true);
		expect(retryDecision(err('network'), 8, 0.5)).toEqual({ retry: false });
		for (const code of ['unauthorized', 'forbidden', 'quota', 'invalid', 'unexpected'] as const)
			expect(retryDecision(err(code), 1, 0.5)).toEqual({ retry: false });
	});

	it('reads Retry-After as seconds or a date, and resets as epoch or seconds', () => {
		const now = 1_700_000_000_000;
		const h = (map: Record<string, string>) => (name: string) => map[name] ?? null;
		expect(waitFromHeaders(h({ 'retry-after': '7' }), now)).toBe(7000);
		expect(waitFromHeaders(h({ 'retry-after': new Date(now + 9000).toUTCString() }), now)).toBe(9000);
		expect(waitFromHeaders(h({ 'ratelimit-reset': String(now / 1000 + 30) }), now)).toBe(30_000);
		expect(waitFromHeaders(h({ 'ratelimit-reset': '12' }), now)).toBe(12_000);
		expect(waitFromHeaders(h({}), now)).toBeUndefined();
	});
});

describe('removal and sweep', () => {
	it('removes DNS and servers before volumes and the repo last', () => {
		const stages = removalStages([
			{ kind: 'repo', id: 'r', name: 'r', step: 'repo' },
			{ kind: 'volume', id: 'v', name: 'v', step: 'volume' },
			{ kind: 'server', id: 's', name: 's', step: 'server' },
			{ kind: 'dns-record', id: 'd', name: 'd', step: 'dns' },
			{ kind: 'deploy-key', id: 'k', name: 'k', step: 'deploy-key' }
		]);
		expect(stages.map((g) => g.map((r) => r.kind))).toEqual([['dns-record'], ['server'], ['volume'], ['repo']]);
	});

	it('finds labelled resources that no known deployment owns', () => {
		const res: { kind: string; id: string; name: string; labels: Record<string, string> }[] = [
			{ kind: 'server', id: '1', name: 'a', labels: { 'managed-by': 'nassella', 'nassella-deployment': 'known123' } },
			{ kind: 'server', id: '2', name: 'b', labels: { 'managed-by': 'nassella', 'nassella-deployment': 'gone1234' } },
			{ kind: 'server', id: '3', name: 'c', labels: { 'managed-by': 'nassella' } },
			{ kind: 'server', id: '4', name: 'd', labels: { 'nassella-deployment': 'gone1234' } }
		];
		expect(findOrphans(res, new Set(['known123'])).map((r) => r.id)).toEqual(['2', '3']);
	});
});
