/**
 * Composition root of the dashboard: which deployments the vault holds, their settings
 * repository and git host, the link to each server, and the bundle for changed settings
 * (the deploy engine's own generator and signer, so a change is committed exactly the way
 * the first setup was).
 */
import type { CatalogApp } from '../core/catalog/types.ts';
import { transition, type CreatedResource, type DeploymentState } from '../core/deploy/machine.ts';
import type { GitHost, RepoRef } from '../ports/git-host.ts';
import type { ServerLink } from '../ports/server.ts';
import { vaultDeploymentStore, type RecordVault } from '../services/deploy/vault-store.ts';
import { repoFromOutput } from '../services/deploy/steps.ts';
import {
	vaultSettingsStore,
	type ChangePorts,
	type ServerSettings,
	type SettingsRecord,
	type SettingsStore
} from '../services/dashboard/changes.ts';
import { vaultStatusCache, type StatusCache } from '../services/dashboard/status.ts';
import { hostsFor } from '../core/deploy/setup.ts';
import { artifactsFor, catalog, deployEnvironment, realClock, vaultRecords, type SetupRecord } from './deploy.ts';
import { adminHostFor, serverLinkFor } from './server-link.ts';
import { gitHostChoices } from './git-hosts.ts';

export { realClock };

export interface DashboardDeployment {
	id: string;
	domain: string;
	sandbox: boolean;
	/** Where the server pulls its settings from. */
	repo: RepoRef;
	/** The commit the setup made. */
	firstCommit?: string;
	createdAt: number;
	setup: SetupRecord;
	state: DeploymentState;
}

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

function hasSetup(v: unknown): v is SetupRecord {
	if (!v || typeof v !== 'object') return false;
	const s = v as Partial<SetupRecord>;
	return (
		typeof s.deploymentId === 'string' && typeof s.domain === 'string' && Array.isArray(s.apps) && !!s.git && !!s.cloud
	);
}

/** The setup of deployment `id`: its own copy, or the wizard's current one (then copied). */
async function setupOf(records: RecordVault, id: string): Promise<SetupRecord | undefined> {
	const own: unknown = await records.get('dashboardSetup', id);
	if (hasSetup(own) && own.deploymentId === id) return own;
	const current: unknown = await records.get('setup', 'current');
	if (hasSetup(current) && current.deploymentId === id) {
		await records.put('dashboardSetup', id, current);
		return current;
	}
	return undefined;
}

/** Points `fqdns` at the deployment's server (A and AAAA), through its DNS provider. */
async function pointAtServer(
	records: RecordVault,
	d: DashboardDeployment,
	fqdns: readonly string[],
	proxyBase?: string
): Promise<void> {
	if (fqdns.length === 0) return;
	const addr = d.state.steps['wait-server']?.output ?? {};
	const option = deployEnvironment().dns.find((o) => o.id === d.setup.dns.provider);
	if (!option) throw new Error(`Unknown DNS provider “${d.setup.dns.provider}”.`);
	const dns = await option.create(d.setup.dns.token, proxyBase);
	const made: CreatedResource[] = [];
	for (const fqdn of fqdns) {
		const zone = await dns.findZone(fqdn);
		for (const [type, value] of [
			['A', addr.ipv4],
			['AAAA', addr.ipv6]
		] as const) {
			if (typeof value !== 'string') continue;
			await dns.upsert(zone, { name: fqdn, type, ttl: 300, values: [value] });
			made.push({
				kind: 'dns-record',
				id: `${fqdn}|${type}`,
				name: fqdn,
				step: 'dns',
				extra: { zoneId: zone.id, zoneName: zone.name, type }
			});
		}
	}
	// Recorded with the deployment's resources, so "Destroy" removes these records too.
	const store = vaultDeploymentStore(records);
	const latest = await store.load(d.id);
	if (latest && made.length > 0)
		await store.save(transition(latest, { type: 'record', at: Date.now(), resources: made }));
}

/**
 * The admin host (status and logs) needs an address record like the apps' hosts; the
 * setup's plan names only the apps' hosts, so the dashboard makes it once per server
 * address and remembers that in the vault.
 */
async function ensureAdminRecord(
	records: RecordVault,
	d: DashboardDeployment,
	host: string,
	proxyBase?: string
): Promise<void> {
	if (d.state.plan.input.hosts.some((h) => h.fqdn === host)) return;
	const addr = d.state.steps['wait-server']?.output ?? {};
	const key = `${host} ${String(addr.ipv4 ?? '')} ${String(addr.ipv6 ?? '')}`;
	if ((await records.get('dashboardAdminDns', d.id))?.key === key) return;
	await pointAtServer(records, d, [host], proxyBase);
	await records.put('dashboardAdminDns', d.id, { key });
}

export function dashboardEnvironment(): DashboardEnvironment {
	const gitFor = async (d: DashboardDeployment, proxyBase?: string) => {
		const choice = gitHostChoices.find((c) => c.id === d.setup.git.host);
		if (!choice) throw new Error(`Unknown git host “${d.setup.git.host}”.`);
		return choice.create({ token: d.setup.git.token, proxyBase });
	};
	return {
		records: () => vaultRecords(),
		async deployments(records) {
			const store = vaultDeploymentStore(records);
			const out: DashboardDeployment[] = [];
			for (const id of await store.list()) {
				let state: DeploymentState | undefined;
				try {
					state = await store.load(id);
				} catch {
					continue;
				}
				if (!state || state.phase === 'destroyed' || state.phase === 'destroying') continue;
				const repoOut = state.steps.repo?.output;
				if (!repoOut || state.steps.commit?.status !== 'done') continue;
				const setup = await setupOf(records, id);
				if (!setup) continue;
				const sha = state.steps.commit.output?.sha;
				out.push({
					id,
					domain: setup.domain,
					sandbox: setup.cloud.provider.startsWith('sandbox-'),
					repo: repoFromOutput(repoOut),
					firstCommit: typeof sha === 'string' ? sha : undefined,
					createdAt: state.createdAt,
					setup,
					state
				});
			}
			return out.sort((a, b) => a.createdAt - b.createdAt);
		},
		statusCache: (records) => vaultStatusCache(records),
		settingsStore: (records) => vaultSettingsStore(records),
		async settings(records, d) {
			const store = vaultSettingsStore(records);
			const existing = await store.load(d.id);
			if (existing) return existing;
			const current: ServerSettings = {
				apps: [...d.setup.apps],
				inputs: structuredClone(d.setup.inputs ?? {}),
				...(d.setup.ntfyTopic ? { ntfyTopic: d.setup.ntfyTopic } : {})
			};
			const apps = await catalog();
			const versions = Object.fromEntries(
				current.apps.map((a) => [a, apps.find((c) => c.id === a)?.version ?? 'unknown'])
			);
			const made: SettingsRecord = {
				version: 1,
				deploymentId: d.id,
				current,
				commits: d.firstCommit
					? [
							{
								sha: d.firstCommit,
								at: d.state.steps.commit?.intent?.at ?? d.createdAt,
								message: 'Set up the server',
								settings: current,
								versions
							}
						]
					: []
			};
			await store.save(made);
			return made;
		},
		async link(records, d, proxyBase) {
			const target = { deploymentId: d.id, domain: d.domain, cloud: { provider: d.setup.cloud.provider } };
			await ensureAdminRecord(records, d, adminHostFor(target), proxyBase);
			return serverLinkFor(target, records, { proxyBase });
		},
		git: gitFor,
		async changePorts(records, d, proxyBase) {
			const git = await gitFor(d, proxyBase);
			const setupFor = (s: ServerSettings): SetupRecord => ({
				...d.setup,
				apps: [...s.apps],
				inputs: structuredClone(s.inputs),
				ntfyTopic: s.ntfyTopic,
				requests: s.requests
			});
			return {
				git,
				repo: d.repo,
				async bundle(settings) {
					// Apps added since the setup get their generated secrets (made once and kept in the
					// vault) when the bundle is rendered: see withAppSecrets.
					const keys = await records.get('deploymentKeys', d.id);
					if (!keys) throw new Error("This deployment's keys are not in your vault.");
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
						records,
						d,
						wanted.map((h) => h.fqdn),
						proxyBase
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
