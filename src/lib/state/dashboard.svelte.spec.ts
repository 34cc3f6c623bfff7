import { describe, expect, it, vi } from 'vitest';
import { ProviderError } from '../core/errors.ts';
import type { CatalogApp } from '../core/catalog/types.ts';
import type { DashboardDeployment, DashboardEnvironment } from '../main/dashboard.ts';
import { vaultSettingsStore } from '../services/dashboard/changes.ts';
import { vaultStatusCache } from '../services/dashboard/status.ts';
import { MemoryGit, MemoryServer, memoryRecords, TEST_REPO, testBundle } from '../../../tests/doubles/dashboard.ts';
import { DashboardState } from './dashboard.svelte.ts';
import { loadCatalog } from '../../../catalog/load.ts';

function world() {
	const records = memoryRecords();
	const git = new MemoryGit();
	const server = new MemoryServer(git);
	let t = Date.parse('2026-11-25T12:00:00Z');
	server.clock = { now: () => t };
	let linkCalls = 0;
	const shipped: Record<string, string> = { vaultwarden: '1.0' };
	const deployment = {
		id: 'abc',
		domain: 'example.org',
		sandbox: true,
		repo: TEST_REPO,
		createdAt: 1,
		setup: {} as DashboardDeployment['setup'],
		state: {} as DashboardDeployment['state']
	} satisfies DashboardDeployment;
	const env: DashboardEnvironment = {
		records: async () => records,
		deployments: async () => [deployment],
		statusCache: (r) => vaultStatusCache(r),
		settingsStore: (r) => vaultSettingsStore(r),
		async settings(r) {
			const s = vaultSettingsStore(r);
			const e = await s.load('abc');
			if (e) return e;
			const made = {
				version: 1 as const,
				deploymentId: 'abc',
				current: { apps: ['vaultwarden'], inputs: {} },
				commits: []
			};
			await s.save(made);
			return made;
		},
		link: async () => {
			linkCalls++;
			return server.link();
		},
		git: async () => git.host(),
		changePorts: async (r) => ({
			git: git.host(),
			repo: TEST_REPO,
			bundle: async (s) => testBundle(s),
			sign: async () => 'sig',
			versions: async (apps) => Object.fromEntries(apps.map((a) => [a, shipped[a] ?? '1.0'])),
			store: vaultSettingsStore(r),
			now: () => t
		}),
		catalog: async () => [{ id: 'vaultwarden', name: 'Vaultwarden', version: '1.1' } as CatalogApp],
		async appSecret(r, dep, app, secret) {
			const keys = await r.get('deploymentKeys', dep.id);
			return keys?.appSecrets[app]?.[secret];
		},
		now: () => t,
		sleep: async (ms) => {
			t += ms;
		},
		random: () => 0.25
	};
	return { records, git, server, env, shipped, linkCalls: () => linkCalls };
}

describe('dashboard state', () => {
	it('paints from the cached status first, then refreshes and caches the new one', async () => {
		const w = world();
		await vaultStatusCache(w.records).save({
			version: 1,
			deploymentId: 'abc',
			fetchedAt: Date.parse('2026-11-25T11:00:00Z'),
			status: { ...(await w.server.link().status()), apps: { vaultwarden: 'starting' } }
		});
		const d = new DashboardState(w.env, { pollMs: 1e9 });
		await d.load();
		expect(d.phase).toBe('ready');
		expect(d.fromCache).toBe(true);
		expect(d.status?.apps.vaultwarden).toBe('starting');
		await d.refresh();
		expect(d.fromCache).toBe(false);
		expect(d.status?.checkedAt).toBe('2026-11-25T12:00:00.000Z');
		const cached = await vaultStatusCache(w.records).load('abc');
		expect(cached?.fetchedAt).toBe(Date.parse('2026-11-25T12:00:00Z'));
		d.start()();
	});

	it('keeps the last known status when the server rejects the password or does not answer', async () => {
		const w = world();
		const d = new DashboardState(w.env, { pollMs: 1e9 });
		await d.load();
		await d.refresh();
		const before = d.status;
		w.server.faults = ['auth'];
		await d.refresh();
		expect(d.problem?.kind).toBe('auth');
		expect(d.status).toEqual(before);
		w.server.faults = ['down'];
		await d.refresh();
		expect(d.problem?.kind).toBe('unreachable');
		w.server.faults = [];
		await d.refresh();
		expect(d.problem).toBeUndefined();
		d.start()();
	});

	it('adds an app, waits for the server, and records the commit; a failed commit keeps the draft', async () => {
		const w = world();
		const d = new DashboardState(w.env, { pollMs: 1e9, watchMs: 1000 });
		await d.load();
		expect(await d.setApps(['vaultwarden', 'memos'], 'Add Memos')).toBe(true);
		expect(d.work.kind).toBe('done');
		expect(d.status?.commit).toBe(w.git.head);
		expect(d.status?.apps.memos).toBe('healthy');
		expect(d.settings?.commits[0]?.message).toBe('Add Memos');
		// The catalog of this release has Vaultwarden 1.1; the server runs 1.0.
		expect(d.updates).toEqual([{ id: 'vaultwarden', name: 'Vaultwarden', from: '1.0', to: '1.1' }]);
		w.shipped.vaultwarden = '1.1';
		expect(await d.update(['Vaultwarden'])).toBe(true);
		expect(w.git.commits.at(-1)?.message).toBe('Update Vaultwarden');
		expect(d.updates).toEqual([]);

		w.git.failNext = new ProviderError({
			code: 'network',
			provider: 'GitHub',
			message: 'GitHub did not answer.',
			action: 'Try again.'
		});
		expect(await d.setApps(['vaultwarden'], 'Remove Memos')).toBe(false);
		expect(d.work).toMatchObject({ kind: 'failed', message: 'GitHub did not answer.', retry: 'commit' });
		expect(d.settings?.draft?.settings.apps).toEqual(['vaultwarden']);
		expect(await d.retry()).toBe(true);
		expect(d.settings?.current.apps).toEqual(['vaultwarden']);
		expect(d.settings?.draft).toBeUndefined();

		// Roll back to "Add Memos".
		const target = d.settings!.commits.find((c) => c.message === 'Add Memos')!.sha;
		expect(await d.rollback(target)).toBe(true);
		expect(d.settings?.current.apps).toEqual(['vaultwarden', 'memos']);
		expect(w.git.commits.at(-1)?.message).toBe(`Roll back to ${target.slice(0, 7)}`);
		d.start()();
	});

	it('explains a refused change', async () => {
		const w = world();
		w.server.faults = ['refuse'];
		const d = new DashboardState(w.env, { pollMs: 1e9, watchMs: 1000 });
		await d.load();
		expect(await d.setApps(['vaultwarden', 'memos'], 'Add Memos')).toBe(false);
		expect(d.work.kind === 'failed' && d.work.message).toContain('refused');
		d.start()();
	});

	it('backs up now and sets an ntfy topic', async () => {
		const w = world();
		const d = new DashboardState(w.env, { pollMs: 1e9, watchMs: 1000 });
		await d.load();
		expect(await d.backupNow()).toBe(true);
		expect(d.status?.requests?.backup?.state).toBe('done');
		expect(d.settings?.current.requests?.backup).toMatch(/^backup-/);
		expect(await d.setNtfy('http://ntfy.sh/x')).toContain('https://');
		expect(await d.setNtfy('https://ntfy.sh/my-alerts')).toBe('');
		expect(d.settings?.current.ntfyTopic).toBe('https://ntfy.sh/my-alerts');
		d.start()();
	});

	it('shows the reboot window from the settings and changes it with a signed commit', async () => {
		const w = world();
		const d = new DashboardState(w.env, { pollMs: 1e9, watchMs: 1000 });
		await d.load();
		expect(d.rebootWindowText).toBe('Sundays 04:00–06:00 (UTC)');
		const commits = w.git.commits.length;
		expect(await d.setRebootWindow({ start: 'Wed 04:15', length: '2h', timezone: 'UTC' })).toMatch(/on the hour/);
		expect(w.git.commits.length).toBe(commits);
		expect(await d.setRebootWindow({ start: 'Wed 02:00', length: '3h', timezone: 'UTC' })).toBe('');
		expect(w.git.commits.length).toBe(commits + 1);
		expect(w.git.commits.at(-1)?.message).toBe('Restart for updates: Wednesdays 02:00–05:00 (UTC)');
		expect(d.settings?.current.rebootWindow).toEqual({ start: 'Wed 02:00', length: '3h', timezone: 'UTC' });
		expect(d.rebootWindowText).toBe('Wednesdays 02:00–05:00 (UTC)');
		d.start()();
	});
});

describe('polling', () => {
	it('refreshes while the page is visible and pauses while it is hidden', async () => {
		vi.useFakeTimers();
		const listeners = new Set<() => void>();
		const doc = {
			visibilityState: 'visible',
			addEventListener: (_: string, f: () => void) => listeners.add(f),
			removeEventListener: (_: string, f: () => void) => listeners.delete(f)
		};
		(globalThis as { document?: unknown }).document = doc;
		try {
			const w = world();
			const d = new DashboardState(w.env, { pollMs: 30_000 });
			const stop = d.start();
			await d.load();
			await vi.advanceTimersByTimeAsync(10);
			const first = w.server.reads;
			expect(first).toBeGreaterThanOrEqual(1);
			await vi.advanceTimersByTimeAsync(90_000);
			expect(w.server.reads).toBe(first + 3);
			doc.visibilityState = 'hidden';
			for (const f of listeners) f();
			await vi.advanceTimersByTimeAsync(300_000);
			expect(w.server.reads).toBe(first + 3);
			doc.visibilityState = 'visible';
			for (const f of listeners) f();
			await vi.advanceTimersByTimeAsync(10);
			expect(w.server.reads).toBe(first + 4);
			stop();
			await vi.advanceTimersByTimeAsync(300_000);
			expect(w.server.reads).toBe(first + 4);
			expect(listeners.size).toBe(0);
		} finally {
			delete (globalThis as { document?: unknown }).document;
			vi.useRealTimers();
		}
	});

	it('changes an app’s details through a commit', async () => {
		const w = world();
		const d = new DashboardState(w.env, { pollMs: 1e9, watchMs: 1000 });
		await d.load();
		expect(await d.setInputs('vaultwarden', { signups: 'false' }, 'Vaultwarden')).toBe(true);
		expect(d.settings?.current.inputs).toEqual({ vaultwarden: { signups: 'false' } });
		expect(w.git.commits.at(-1)?.message).toBe('Change the settings of Vaultwarden');
		d.start()();
	});
});

describe('first logins', () => {
	const real = loadCatalog().apps as CatalogApp[];
	async function withApps(apps: string[], secrets: Record<string, Record<string, string>>) {
		const w = world();
		w.env.catalog = async () => real;
		const key = { privateKeyPkcs8: '', publicKey: '' };
		await w.records.put('deploymentKeys', 'abc', {
			age: { identity: '', recipient: '' },
			deployKey: key,
			signingKey: key,
			admin: { user: 'admin', password: '', passwordHash: '' },
			appSecrets: secrets
		});
		await vaultSettingsStore(w.records).save({
			version: 1,
			deploymentId: 'abc',
			current: { apps, inputs: { nextcloud: { admin_username: 'alice' } } },
			commits: []
		});
		const d = new DashboardState(w.env, { pollMs: 1e9, watchMs: 1000 });
		await d.load();
		return { w, d };
	}

	it('gives each app the address that opens it and its first login, the password only on demand', async () => {
		const { d } = await withApps(['nextcloud', 'vaultwarden'], {
			nextcloud: { admin_password: 'nc-generated-password' },
			vaultwarden: { admin_token: 'vw-admin-token' }
		});
		const nc = d.access('nextcloud');
		expect(nc.url).toBe('https://cloud.example.org/');
		expect(nc.gated).toBe(false);
		expect(nc.steps).toEqual([expect.objectContaining({ user: 'alice', secret: 'admin_password' })]);
		expect(JSON.stringify(nc)).not.toContain('nc-generated-password');
		expect(d.revealed).toEqual({});
		expect(await d.reveal('nextcloud', 'admin_password')).toBe('nc-generated-password');
		expect(d.revealed['nextcloud/admin_password']).toBe('nc-generated-password');
		d.hide('nextcloud', 'admin_password');
		expect(d.revealed).toEqual({});
		// Copying reads the vault without showing the value.
		expect(await d.readSecret('vaultwarden', 'admin_token')).toBe('vw-admin-token');
		expect(d.revealed).toEqual({});
		expect(d.access('vaultwarden').steps).toEqual([
			expect.objectContaining({ title: 'Admin token', secret: 'admin_token', secretLabel: 'Token' })
		]);
		d.start()();
	});

	it('shows the setup password while the gate is up, with a published default login, until setup is finished', async () => {
		const { w, d } = await withApps(['vaultwarden', 'bookstack'], {
			vaultwarden: { admin_token: 'x' },
			bookstack: { setup_password: 'bs-setup-password', setup_cookie: 'c', setup_password_bcrypt: 'h' }
		});
		const bs = d.access('bookstack');
		expect(bs.url).toBe('https://wiki.example.org/');
		expect(bs.gated).toBe(true);
		expect(bs.steps.map((s) => [s.title, s.user, s.secret ?? s.publicPassword])).toEqual([
			['Setup password', 'setup', 'setup_password'],
			['Default login', 'admin@admin.com', 'password']
		]);
		expect(await d.reveal('bookstack', 'setup_password')).toBe('bs-setup-password');
		expect(await d.finishSetup('bookstack')).toBe(true);
		expect(d.settings?.current.inputs.bookstack).toEqual({ setup_done: 'true' });
		expect(w.git.commits.at(-1)?.message).toBe('Finish setting up BookStack: remove its setup password');
		expect(d.access('bookstack').gated).toBe(false);
		d.start()();
	});

	it('shows no gate for an app that was on the server before setup gates existed', async () => {
		const { d } = await withApps(['uptime-kuma', 'immich'], {
			'uptime-kuma': {
				setup_password: 'p',
				setup_cookie: 'c',
				setup_password_bcrypt: 'h',
				setup_predates_gate: 'true'
			},
			immich: { db_password: 'x' }
		});
		expect(d.access('uptime-kuma').gated).toBe(false);
		expect(d.access('uptime-kuma').steps).toEqual([]);
		expect(d.access('immich').gated).toBe(false);
		d.start()();
	});
});
