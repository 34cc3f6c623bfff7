/**
 * The deployments the dashboard shows: every deployment in the vault that reached its
 * settings commit, with the setup it was made from (its own copy, kept beside its settings),
 * and the settings record a deployment starts with.
 */
import type { DeploymentState } from '../../core/deploy/machine.ts';
import type { ServerSettings, SettingsRecord, SetupRecord } from '../../core/deploy/stored.ts';
import type { RepoRef } from '../../ports/git-host.ts';
import type { RecordVault } from '../../ports/vault.ts';
import { repoFromOutput } from '../deploy/steps.ts';
import { vaultDeploymentStore } from '../deploy/vault-store.ts';

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

function hasSetup(v: unknown): v is SetupRecord {
	if (!v || typeof v !== 'object') return false;
	const s = v as Partial<SetupRecord>;
	return (
		typeof s.deploymentId === 'string' && typeof s.domain === 'string' && Array.isArray(s.apps) && !!s.git && !!s.cloud
	);
}

/** The setup of deployment `id`: its own copy, or the wizard's current one (then copied). */
export async function setupOf(records: RecordVault, id: string): Promise<SetupRecord | undefined> {
	const own: unknown = await records.get('dashboardSetup', id);
	if (hasSetup(own) && own.deploymentId === id) return own;
	const current: unknown = await records.get('setup', 'current');
	if (hasSetup(current) && current.deploymentId === id) {
		await records.put('dashboardSetup', id, current);
		return current;
	}
	return undefined;
}

/** Deployments that reached their settings commit, oldest first; an unreadable record is left out. */
export async function dashboardDeployments(records: RecordVault): Promise<DashboardDeployment[]> {
	const store = vaultDeploymentStore(records);
	const out: DashboardDeployment[] = [];
	for (const id of await store.list()) {
		const state = await store.load(id).catch(() => undefined);
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
}

/** The settings record a deployment starts with: its setup's choices, and the setup's commit. */
export function firstSettings(d: DashboardDeployment, versionOf: (app: string) => string): SettingsRecord {
	const current: ServerSettings = {
		apps: [...d.setup.apps],
		inputs: structuredClone(d.setup.inputs ?? {}),
		...(d.setup.ntfyTopic ? { ntfyTopic: d.setup.ntfyTopic } : {}),
		...(d.setup.rebootWindow ? { rebootWindow: { ...d.setup.rebootWindow } } : {})
	};
	const versions = Object.fromEntries(current.apps.map((a) => [a, versionOf(a)]));
	return {
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
}
