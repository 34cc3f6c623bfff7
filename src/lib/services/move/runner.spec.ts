/**
 * The move runner against the port doubles: a clean move, a page that dies after every
 * single call (and resumes from the stored state), random provider faults, and a new
 * server that fails (restore fails, an app stays unhealthy): then the old server keeps
 * serving, the DNS is as it was, and giving up removes only what the move created.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isSharedImage } from '../../core/deploy/sweep.ts';
import { Crashed, type Fault } from '../../../../tests/doubles/deploy/world.ts';
import { MoveRunner } from './runner.ts';
import { ADMIN, DEPLOYMENT, FAST, HOSTS, MoveWorld, OLD_IP, type ServerFault } from '../../../../tests/doubles/move.ts';

function runner(w: MoveWorld): MoveRunner {
	return new MoveRunner(w.ports(), w.stored(), FAST);
}

async function swallow<T>(p: Promise<T>): Promise<T | undefined> {
	try {
		return await p;
	} catch (e) {
		if (e instanceof Crashed) return undefined;
		throw e;
	}
}

/** Never two of anything (even counting deleted ones); everything at the provider is recorded or the old deployment's. */
function invariants(w: MoveWorld): void {
	const created = new Map<string, number>();
	for (const c of w.world.cloudCreates)
		created.set(`${c.kind}:${c.name}`, (created.get(`${c.kind}:${c.name}`) ?? 0) + 1);
	for (const [k, n] of created) if (!k.startsWith('image:')) expect(n, `created ${k} ${n} times`).toBe(1);
	const state = w.stored();
	// Until the app records were switched, they point at the old server and it exists.
	if ((state.steps['switch-dns']?.attempts ?? 0) === 0) {
		for (const h of HOSTS) expect(w.world.dns.get(`${h.fqdn}|A`)?.values).toEqual([OLD_IP]);
		expect(w.world.cloud.some((r) => r.id === 'old-server')).toBe(true);
	}
}

/** Drives the stored move until it waits for the person, resuming after every crash. */
async function driveToRest(w: MoveWorld, crashAfter?: number): Promise<number> {
	let crashes = 0;
	for (let i = 0; i < 200; i++) {
		w.world.crashAfterCalls = i === 0 ? crashAfter : undefined;
		const s = w.stored();
		if (s.phase !== 'running' && !(s.phase === 'failed' && s.revert === 'needed')) break;
		const before = w.world.epoch;
		await swallow(runner(w).run());
		if (w.world.epoch !== before) crashes++;
		invariants(w);
	}
	return crashes;
}

function newServer(w: MoveWorld) {
	return w.world.cloud.find((r) => r.kind === 'server' && r.id !== 'old-server') as
		{ id: string; ipv4?: string } | undefined;
}

describe('move runner', () => {
	it('moves: fresh backup, new server restores it, DNS switched, old one removed only after confirmation', async () => {
		const w = new MoveWorld();
		w.start();
		await driveToRest(w);
		const s = w.stored();
		expect(s.phase).toBe('confirm');
		expect(w.requested).toEqual(['move-mv01-backup']);
		const fresh = s.steps['wait-backup']?.output?.snapshot;
		expect(fresh).toBe(w.snapshots[0]);
		expect(fresh).not.toBe('snap-old');
		expect(s.steps['wait-restore']?.output?.restoredSnapshot).toBe(fresh);
		const server = newServer(w)!;
		for (const name of [ADMIN, ...HOSTS.map((h) => h.fqdn)]) {
			expect(w.world.dns.get(`${name}|A`)).toMatchObject({ values: [server.ipv4], ttl: 300 });
		}
		expect(w.adopted.at(-1)?.server.id).toBe(server.id);
		// Not removed before the person confirms.
		expect(w.world.cloud.some((r) => r.id === 'old-server')).toBe(true);
		await expect(runner(w).run()).resolves.toMatchObject({ phase: 'confirm' });
		const done = await runner(w).confirmRemoval();
		expect(done.phase).toBe('done');
		for (const id of ['old-server', 'old-fw', 'old-volume']) expect(w.world.cloud.some((r) => r.id === id)).toBe(false);
		expect(w.world.cloud.filter((r) => r.kind === 'server')).toHaveLength(1);
	});

	it('lowers the TTLs before anything else, and waits for the old TTL to pass before switching', async () => {
		const w = new MoveWorld();
		w.start();
		const r = runner(w);
		const seen: number[] = [];
		r.subscribe((s) => {
			if (s.steps['lower-ttl']?.status === 'done' && s.steps.backup?.status === 'waiting')
				seen.push(w.world.dns.get(`${HOSTS[0]!.fqdn}|A`)!.ttl);
		});
		await r.run();
		expect(seen[0]).toBe(60);
		const s = w.stored();
		const lowered = s.steps['lower-ttl']!.output!.loweredAt as number;
		const switched = s.steps['switch-dns']!.output!.switchedAt as number;
		expect(switched - lowered).toBeGreaterThanOrEqual(FAST.ttlWaitCapMs);
	});

	it('resumes after the page closes at every single call of the move', async () => {
		const clean = new MoveWorld();
		clean.start();
		await driveToRest(clean);
		const calls = clean.world.calls;
		expect(calls).toBeGreaterThan(10);
		for (let k = 1; k <= calls + 2; k++) {
			const w = new MoveWorld();
			w.start();
			const crashes = await driveToRest(w, k);
			if (k <= calls) expect(crashes, `crash after call ${k}`).toBe(1);
			const s = w.stored();
			expect(s.phase, `crash after call ${k}`).toBe('confirm');
			expect(w.world.cloud.filter((r) => r.kind === 'server')).toHaveLength(2);
			// The removal itself survives a crash too.
			w.world.crashAfterCalls = 2;
			await swallow(runner(w).confirmRemoval());
			w.world.crashAfterCalls = undefined;
			const after = await runner(w).run();
			expect(after.phase, `crash after call ${k}`).toBe('done');
			expect(w.world.cloud.filter((r) => r.kind === 'server')).toHaveLength(1);
		}
	});

	for (const fault of ['restore-fails', 'app-unhealthy'] as ServerFault[])
		it(`a new server that fails (${fault}) leaves the old one serving and DNS unchanged, at any crash point`, async () => {
			for (const crashAt of [undefined, 3, 8, 14, 20, 26, 30]) {
				const w = new MoveWorld();
				w.fault = fault;
				w.start();
				await driveToRest(w, crashAt);
				const s = w.stored();
				expect(s.phase).toBe('failed');
				expect(s.revert).toBe('done');
				expect(s.error?.message).toMatch(fault === 'restore-fails' ? /could not restore/ : /healthy/);
				expect(w.dnsNow().map((r) => ({ ...r, ttl: 0 }))).toEqual(w.initialDns.map((r) => ({ ...r, ttl: 0 })));
				expect(w.world.cloud.some((r) => r.id === 'old-server')).toBe(true);
				expect(w.adopted).toEqual([]);
				// Giving up removes what the move made, and only that.
				const gone = await runner(w).abandon();
				expect(gone.phase).toBe('abandoned');
				expect(w.world.cloud.filter((r) => r.kind === 'server').map((r) => r.id)).toEqual(['old-server']);
				expect(w.world.cloud.filter((r) => r.kind === 'volume').map((r) => r.id)).toEqual(['old-volume']);
				expect(w.world.cloud.filter((r) => r.kind === 'firewall').map((r) => r.id)).toEqual(['old-fw']);
				// And the DNS is exactly as before, TTLs included.
				expect(w.dnsNow()).toEqual(w.initialDns);
			}
		});

	it('never counts the account’s shared Flatcar image as its own: not recorded, not handed on, kept when given up', async () => {
		const w = new MoveWorld();
		w.fault = 'restore-fails';
		w.start();
		await driveToRest(w);
		const failed = w.stored();
		expect(failed.phase).toBe('failed');
		const shared = w.world.cloud.filter((r) => isSharedImage(r));
		expect(shared.length).toBeGreaterThan(0);
		const sharedIds = new Set(shared.map((r) => r.id));
		expect(failed.created.filter((r) => sharedIds.has(r.id))).toEqual([]);
		await runner(w).abandon();
		for (const id of sharedIds) expect(w.world.cloud.some((r) => r.id === id)).toBe(true);

		const moved = new MoveWorld();
		moved.start();
		await driveToRest(moved);
		expect(moved.stored().phase).toBe('confirm');
		const ids = new Set(moved.world.cloud.filter((r) => isSharedImage(r)).map((r) => r.id));
		expect(ids.size).toBeGreaterThan(0);
		expect(moved.stored().created.filter((r) => ids.has(r.id))).toEqual([]);
		expect(moved.adopted.at(-1)!.created.filter((r) => ids.has(r.id))).toEqual([]);
	});

	it('a failed backup stops before anything is created', async () => {
		const w = new MoveWorld();
		w.fault = 'backup-fails';
		w.start();
		await driveToRest(w);
		const s = w.stored();
		expect(s.phase).toBe('failed');
		expect(s.error?.message).toMatch(/could not make a backup/);
		expect(w.world.cloud.filter((r) => r.kind === 'server')).toHaveLength(1);
		expect(s.revert).toBeUndefined();
	});

	it('after a failure the person can fix the server and retry: the status address is pointed again', async () => {
		const w = new MoveWorld();
		w.fault = 'app-unhealthy';
		w.start();
		await driveToRest(w);
		expect(w.stored().phase).toBe('failed');
		w.fault = undefined;
		const s = await runner(w).retry();
		expect(s.phase).toBe('confirm');
		expect(w.world.dns.get(`${ADMIN}|A`)?.values).toEqual([newServer(w)!.ipv4]);
	});

	it('random faults and crashes: the move still ends moved, with nothing made twice', async () => {
		const faults: Fault[] = ['rate-limited', 'unavailable', 'network', 'lost-response'];
		await fc.assert(
			fc.asyncProperty(
				fc.array(fc.constantFrom(...faults), { maxLength: 6 }),
				fc.option(fc.integer({ min: 1, max: 40 }), { nil: undefined }),
				async (injected, crashAt) => {
					const w = new MoveWorld();
					w.start();
					w.world.faults.push(...injected);
					await driveToRest(w, crashAt);
					for (let i = 0; i < 5 && w.stored().phase === 'failed'; i++) {
						await swallow(runner(w).retry());
						invariants(w);
					}
					expect(w.stored().phase).toBe('confirm');
				}
			),
			{ numRuns: 40 }
		);
	});

	it('the deployment id in every request id and name stays this deployment’s', () => {
		const w = new MoveWorld();
		const s = w.start();
		for (const step of s.plan.steps) if (step.name) expect(step.name).toContain(DEPLOYMENT);
	});
});
