/**
 * Composition root of the dashboard: which deployments the vault holds, their settings
 * repository and git host, the link to each server, and the bundle for changed settings
 * (the deploy engine's own generator and signer, so a change is committed exactly the way
 * the first setup was).
 */
import type { CatalogApp } from '../core/catalog/types.ts';
import { setupAsRunning, type SetupRecord } from '../core/deploy/stored.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { ServerLink } from '../ports/server.ts';
import type { RecordVault } from '../ports/vault.ts';
import { vaultDeploymentStore } from '../services/deploy/vault-store.ts';
import {
	vaultSettingsStore,
	type ChangePorts,
	type ServerSettings,
	type SettingsRecord,
	type SettingsStore
} from '../services/dashboard/changes.ts';
import { ensureAdminRecord, pointAtServer } from '../services/dashboard/addresses.ts';
import { dashboardDeployments, firstSettings, type DashboardDeployment } from '../services/dashboard/deployments.ts';
import { vaultStatusCache, type StatusCache } from '../services/dashboard/status.ts';
import { hostsFor } from '../core/deploy/setup.ts';
import { artifactsFor, catalog, deployEnvironment, realClock, vaultRecords } from './deploy.ts';
import { adminHostFor, serverLinkFor } from './server-link.ts';
import { gitHostChoices } from './git-hosts.ts';
import { MissingSecretError } from '../core/errors.ts';

export type { DashboardDeployment };
export { realClock };

export interface DashboardEnvironment {
	/** The vault's records when it is unlocked; undefined while locked. */
	records(): Promise<RecordVault | undefined>;
	/** Deployments that reached their settings commit. */
	deployments(records: RecordVault): Promise<DashboardDeployment[]>;
	statusCache(records: RecordVault): StatusCache;
	settingsStore(records: RecordVault): SettingsStore;
	/** The settings record, made from the setup on first use. */
	settings(records: RecordVault, d: DashboardDeployment): Promise<SettingsRecord>;
	link(records: RecordVault, d: DashboardDeployment, proxyBase?: string): Promise<ServerLink>;
	git(d: DashboardDeployment, proxyBase?: string): Promise<GitHost>;
	changePorts(records: RecordVault, d: DashboardDeployment, proxyBase?: string): Promise<ChangePorts>;
	catalog(): Promise<CatalogApp[]>;
	/** One generated secret of an app (a first login), read from the deployment's keys in the vault. */
	appSecret(records: RecordVault, d: DashboardDeployment, app: string, secret: string): Promise<string | undefined>;
	now(): number;
	sleep(ms: number, signal?: AbortSignal): Promise<void>;
	random(): number;
}

/** Where the dashboard's address records go: the deployment's DNS provider, its record in the vault. */
function addressPorts(records: RecordVault, d: DashboardDeployment, proxyBase?: string) {
	return {
		async dns() {
			const option = deployEnvironment().dns.find((o) => o.id === d.setup.dns.provider);
			if (!option) throw new Error(`Unknown DNS provider “${d.setup.dns.provider}”.`);
			return option.create(d.setup.dns.token, proxyBase);
		},
		store: vaultDeploymentStore(records),
		clock: realClock,
		memory: {
			load: (id: string) => records.get('dashboardAdminDns', id),
			save: (id: string, value: { key: string }) => records.put('dashboardAdminDns', id, value)
		}
	};
}

export function dashboardEnvironment(): DashboardEnvironment {
	const gitFor = async (d: DashboardDeployment, proxyBase?: string) => {
		const choice = gitHostChoices.find((c) => c.id === d.setup.git.host);
		if (!choice) throw new Error(`Unknown git host “${d.setup.git.host}”.`);
		return choice.create({ token: d.setup.git.token, proxyBase });
	};
	return {
		records: () => vaultRecords(),
		deployments: (records) => dashboardDeployments(records),
		statusCache: (records) => vaultStatusCache(records),
		settingsStore: (records) => vaultSettingsStore(records),
		async settings(records, d) {
			const store = vaultSettingsStore(records);
			const existing = await store.load(d.id);
			if (existing) return existing;
			const apps = await catalog();
			const made = firstSettings(d, (a) => apps.find((c) => c.id === a)?.version ?? 'unknown');
			await store.save(made);
			return made;
		},
		async link(records, d, proxyBase) {
			const target = { deploymentId: d.id, domain: d.domain, cloud: { provider: d.setup.cloud.provider } };
			await ensureAdminRecord(addressPorts(records, d, proxyBase), d.state, adminHostFor(target));
			return serverLinkFor(target, records, { proxyBase });
		},
		git: gitFor,
		async changePorts(records, d, proxyBase) {
			const git = await gitFor(d, proxyBase);
			const setupFor = (s: ServerSettings): SetupRecord => ({
				...setupAsRunning(d.setup, s),
				...(s.requests ? { requests: s.requests } : {})
			});
			return {
				git,
				repo: d.repo,
				async bundle(settings) {
					// Apps added since the setup get their generated secrets (made once and kept in the
					// vault) when the bundle is rendered: see withAppSecrets.
					const keys = await records.get('deploymentKeys', d.id);
					if (!keys) throw new MissingSecretError("This deployment's keys are not in your vault.");
					return artifactsFor(setupFor(settings), d.state.plan, records).bundle({ repo: d.repo });
				},
				sign: (payload) => artifactsFor(d.setup, d.state.plan, records).sign(payload),
				async versions(apps) {
					const all = await catalog();
					return Object.fromEntries(apps.map((a) => [a, all.find((c) => c.id === a)?.version ?? 'unknown']));
				},
				store: vaultSettingsStore(records),
				now: () => Date.now(),
				async prepare(settings) {
					// Added apps answer on new addresses: point them at the server first.
					const known = new Set(d.state.plan.input.hosts.map((h) => h.fqdn));
					const all = await catalog();
					const wanted = hostsFor(
						all.filter((a) => settings.apps.includes(a.id)),
						d.domain
					).filter((h) => !known.has(h.fqdn));
					await pointAtServer(
						addressPorts(records, d, proxyBase),
						d.state,
						wanted.map((h) => h.fqdn)
					);
				}
			};
		},
		catalog: () => catalog(),
		async appSecret(records, d, app, secret) {
			const keys = await records.get('deploymentKeys', d.id);
			const value = keys?.appSecrets?.[app]?.[secret];
			return typeof value === 'string' ? value : undefined;
		},
		now: () => Date.now(),
		sleep: (ms, signal) => realClock.sleep(ms, signal),
		random: () => Math.random()
	};
}
