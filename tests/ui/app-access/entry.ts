/**
 * The dashboard's app list as the page mounts it: the rune state over in-memory stand-ins for
 * the vault, the git host and the server (tests/doubles/dashboard.ts), with the real
 * catalog (served by the test as JSON) and the deployment's generated secrets in the vault.
 */
import { mount } from 'svelte';
import '../../../src/app.css';
import type { CatalogApp } from '../../../src/lib/core/catalog/types.ts';
import type { DashboardDeployment, DashboardEnvironment } from '../../../src/lib/main/dashboard.ts';
import { vaultSettingsStore } from '../../../src/lib/services/dashboard/changes.ts';
import { vaultStatusCache } from '../../../src/lib/services/dashboard/status.ts';
import { MemoryGit, MemoryServer, memoryRecords, TEST_REPO, testBundle } from '../../doubles/dashboard.ts';
import { DashboardState } from '../../../src/lib/state/dashboard.svelte.ts';
import AppsPanel from '../../../src/lib/ui/dashboard/AppsPanel.svelte';

const catalog = (await (await fetch('/catalog.json')).json()) as CatalogApp[];
const secrets = (await (await fetch('/secrets.json')).json()) as Record<string, Record<string, string>>;
const records = memoryRecords();
const git = new MemoryGit();
const server = new MemoryServer(git);
const key = { privateKeyPkcs8: '', publicKey: '' };
await records.put('deploymentKeys', 'abc', {
	age: { identity: '', recipient: '' },
	deployKey: key,
	signingKey: key,
	admin: { user: 'admin', password: '', passwordHash: '' },
	appSecrets: secrets
});
await vaultSettingsStore(records).save({
	version: 1,
	deploymentId: 'abc',
	current: { apps: Object.keys(secrets), inputs: { nextcloud: { admin_username: 'alice' } } },
	commits: []
});
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
	settings: async (r) => (await vaultSettingsStore(r).load('abc'))!,
	link: async () => server.link(),
	git: async () => git.host(),
	changePorts: async (r) => ({
		git: git.host(),
		repo: TEST_REPO,
		bundle: async (s) => testBundle(s),
		sign: async () => 'sig',
		versions: async (apps) => Object.fromEntries(apps.map((a) => [a, '1.0'])),
		store: vaultSettingsStore(r),
		now: () => Date.now()
	}),
	catalog: async () => catalog,
	async appSecret(r, d, app, secret) {
		const keys = await r.get('deploymentKeys', d.id);
		return keys?.appSecrets[app]?.[secret];
	},
	now: () => Date.now(),
	sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))),
	random: () => 0.25
};

const main = document.createElement('main');
const title = document.createElement('h1');
title.textContent = 'Dashboard';
main.append(title);
document.body.append(main);
const dash = new DashboardState(env, { pollMs: 1e9, watchMs: 20 });
await dash.load();
mount(AppsPanel, { target: main, props: { dash } });
document.body.dataset.ready = 'true';
