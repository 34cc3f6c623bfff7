import { describe, expect, it } from 'vitest';
import { ProviderError } from '../../core/errors.ts';
import {
	ChangeError,
	checkNtfyTopic,
	commitSettings,
	requestId,
	rollbackSettings,
	statusProblem,
	vaultSettingsStore,
	watchApply,
	watchRequest,
	type ChangePorts,
	type SettingsRecord,
	type WatchOptions
} from './changes.ts';
import { MemoryGit, MemoryServer, memoryRecords, TEST_REPO, testBundle } from '../../../../tests/doubles/dashboard.ts';

function setup() {
	const records = memoryRecords();
	const store = vaultSettingsStore(records);
	const git = new MemoryGit();
	let t = Date.parse('2026-11-25T12:00:00Z');
	const ports: ChangePorts = {
		git: git.host(),
		repo: TEST_REPO,
		bundle: async (s) => testBundle(s),
		sign: async (payload) => `signed:${payload.length}`,
		versions: async (apps) => Object.fromEntries(apps.map((a) => [a, '1.0'])),
		store,
		now: () => t
	};
	const record: SettingsRecord = {
		version: 1,
		deploymentId: 'abc',
		current: { apps: ['vaultwarden'], inputs: {} },
		commits: []
	};
	const server = new MemoryServer(git);
	server.clock = { now: () => t };
	const watch: WatchOptions = {
		sleep: async (ms) => {
			t += ms;
		},
		now: () => t,
		intervalMs: 1000,
		timeoutMs: 60_000
	};
	return { records, store, git, ports, record, server, watch, advance: (ms: number) => (t += ms) };
}

describe('committing settings', () => {
	it('regenerates, commits signed on top of the head, and records the commit', async () => {
		const { ports, record, git, store } = setup();
		const first = await commitSettings(ports, record, { apps: ['vaultwarden'], inputs: {} }, 'Set up');
		const second = await commitSettings(
			ports,
			first.record,
			{ apps: ['vaultwarden', 'memos'], inputs: {} },
			'Add Memos'
		);
		expect(git.commits.map((c) => c.message)).toEqual(['Set up', 'Add Memos']);
		expect(git.commits[1]!.parent).toBe(first.sha);
		expect(git.commits[1]!.signature).toMatch(/^signed:/);
		const saved = await store.load('abc');
		expect(saved?.current.apps).toEqual(['vaultwarden', 'memos']);
		expect(saved?.commits.map((c) => c.sha)).toEqual([second.sha, first.sha]);
		expect(saved?.draft).toBeUndefined();
	});

	it('keeps the change as a draft with a plain error when the commit fails, and a retry commits it', async () => {
		const { ports, record, git, store } = setup();
		git.failNext = new ProviderError({
			code: 'unauthorized',
			provider: 'GitHub',
			message: 'GitHub did not accept the token.',
			action: 'Enter a new token.'
		});
		const wanted = { apps: ['vaultwarden', 'memos'], inputs: { memos: { name: 'x' } } };
		await expect(commitSettings(ports, record, wanted, 'Add Memos')).rejects.toThrow(ChangeError);
		const kept = await store.load('abc');
		expect(kept?.draft?.settings).toEqual(wanted);
		expect(kept?.draft?.error?.message).toBe('GitHub did not accept the token.');
		expect(kept?.current.apps).toEqual(['vaultwarden']);
		expect(git.commits).toHaveLength(0);
		const again = await commitSettings(ports, kept!, kept!.draft!.settings, kept!.draft!.message);
		expect(again.record.current).toEqual(wanted);
		expect(again.record.draft).toBeUndefined();
	});

	it('explains a conflict (the branch moved) as something to retry', async () => {
		const { ports, record } = setup();
		const moving = { ...ports, git: { ...ports.git, head: async () => 'f'.repeat(40) } };
		await expect(commitSettings(moving, record, record.current, 'x')).rejects.toThrow(
			/changed while nassella was saving/
		);
	});

	it('rolls back apps and inputs from an earlier commit but keeps the ntfy topic and requests', async () => {
		const { ports, record } = setup();
		const a = await commitSettings(
			ports,
			record,
			{ apps: ['vaultwarden'], inputs: { vaultwarden: { signups: 'false' } } },
			'A'
		);
		const b = await commitSettings(
			ports,
			a.record,
			{ apps: ['vaultwarden', 'memos'], inputs: {}, ntfyTopic: 'https://ntfy.sh/x', requests: { backup: 'b1' } },
			'B'
		);
		const back = rollbackSettings(b.record, a.sha);
		expect(back).toEqual({
			apps: ['vaultwarden'],
			inputs: { vaultwarden: { signups: 'false' } },
			ntfyTopic: 'https://ntfy.sh/x',
			requests: { backup: 'b1' }
		});
		expect(() => rollbackSettings(b.record, 'c'.repeat(40))).toThrow(ChangeError);
	});
});

describe('watching the server', () => {
	it('waits until the server runs the new commit with every app healthy', async () => {
		const { ports, record, server, watch } = setup();
		server.delay = 3;
		const { sha, at } = await commitSettings(ports, record, { apps: ['vaultwarden', 'memos'], inputs: {} }, 'Add');
		const seen: (string | null)[] = [];
		const out = await watchApply(server.link(), sha, at, ['vaultwarden', 'memos'], {
			...watch,
			onStatus: (s) => seen.push(s.commit)
		});
		expect(out.kind).toBe('applied');
		expect(seen.at(-1)).toBe(sha);
		expect(seen.length).toBeGreaterThan(1);
	});

	it('reports a refusal and a rollback by the server', async () => {
		for (const [fault, kind] of [
			['refuse', 'refused'],
			['roll-back', 'rolled-back']
		] as const) {
			const { ports, record, server, watch } = setup();
			server.faults = [fault];
			const { sha, at } = await commitSettings(ports, record, { apps: ['vaultwarden'], inputs: {} }, 'x');
			const out = await watchApply(server.link(), sha, at, ['vaultwarden'], watch);
			expect(out.kind).toBe(kind);
		}
	});

	it('says at once which app did not start when the server applied the rest without it', async () => {
		const { ports, record, server, watch } = setup();
		const a = await commitSettings(ports, record, { apps: ['vaultwarden'], inputs: {} }, 'A');
		expect((await watchApply(server.link(), a.sha, a.at, ['vaultwarden'], watch)).kind).toBe('applied');
		server.faults = [{ failsToStart: 'memos' }, { failsToStart: 'vaultwarden' }];
		const b = await commitSettings(ports, a.record, { apps: ['vaultwarden', 'memos'], inputs: {} }, 'B');
		const out = await watchApply(server.link(), b.sha, b.at, ['vaultwarden', 'memos'], watch);
		expect(out.kind).toBe('partial');
		if (out.kind === 'partial')
			expect(out.reason).toBe(
				'vaultwarden did not start (not answering (502)); it runs its previous version again; memos did not start (not answering (502)); it is stopped'
			);
	});

	it('gives up after the timeout when an app stays unhealthy, and rides out read errors', async () => {
		const { ports, record, server, watch } = setup();
		server.faults = [{ unhealthy: 'memos' }];
		const { sha, at } = await commitSettings(ports, record, { apps: ['vaultwarden', 'memos'], inputs: {} }, 'x');
		const errors: unknown[] = [];
		const out = await watchApply(server.link(), sha, at, ['vaultwarden', 'memos'], {
			...watch,
			onError: (e) => errors.push(e)
		});
		expect(out.kind).toBe('timeout');
		if (out.kind === 'timeout') expect(out.status?.apps.memos).toBe('not answering (502)');

		const down = setup();
		down.server.faults = ['down'];
		const r = await commitSettings(down.ports, down.record, down.record.current, 'x');
		const out2 = await watchApply(down.server.link(), r.sha, r.at, [], {
			...down.watch,
			onError: (e) => errors.push(e)
		});
		expect(out2.kind).toBe('timeout');
		expect(errors.length).toBeGreaterThan(10);
	});

	it('follows a backup request to done or failed', async () => {
		const { ports, record, server, watch } = setup();
		const id = requestId('backup', Date.parse('2026-11-25T12:00:00Z'), () => 0.5);
		expect(id).toMatch(/^backup-20261125T1200-[0-9a-z]{4}$/);
		await commitSettings(ports, record, { ...record.current, requests: { backup: id } }, 'Back up now');
		expect((await watchRequest(server.link(), 'backup', id, watch)).kind).toBe('done');

		const f = setup();
		f.server.faults = ['backup-fails'];
		await commitSettings(f.ports, f.record, { ...f.record.current, requests: { backup: 'b-2' } }, 'Back up now');
		const out = await watchRequest(f.server.link(), 'backup', 'b-2', f.watch);
		expect(out).toMatchObject({ kind: 'failed', reason: 'bucket is full' });
	});
});

describe('plain-language problems', () => {
	it('tells a wrong password from an unreachable server', () => {
		const auth = statusProblem(new ProviderError({ code: 'unauthorized', provider: 's', message: 'm', action: 'a' }));
		expect(auth.kind).toBe('auth');
		expect(auth.message).toContain('password');
		const net = statusProblem(new ProviderError({ code: 'network', provider: 's', message: 'm', action: 'a' }));
		expect(net.kind).toBe('unreachable');
		expect(net.action).toContain('last known state');
		expect(statusProblem(new Error('secret token xyz')).message).not.toContain('xyz');
	});
});

describe('ntfy topic', () => {
	it('accepts https topic URLs only', () => {
		expect(checkNtfyTopic('')).toEqual({ ok: true, url: undefined });
		expect(checkNtfyTopic(' https://ntfy.sh/my-topic_1 ')).toEqual({ ok: true, url: 'https://ntfy.sh/my-topic_1' });
		for (const bad of [
			'http://ntfy.sh/x',
			'ntfy.sh/x',
			'https://ntfy.sh/',
			'https://user:pw@ntfy.sh/x',
			'https://ntfy.sh/x?auth=1',
			'https://ntfy.sh:8443/x',
			'https://ntfy.sh/a/b',
			'javascript:alert(1)',
			'https://ntfy.sh/' + 'x'.repeat(70)
		])
			expect(checkNtfyTopic(bad).ok, bad).toBe(false);
	});
});
