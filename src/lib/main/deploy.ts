/**
 * Composition root of setup and deploy: which providers the wizard offers (the sandbox
 * ones first), where deployment state and setup choices are kept, and how a deployment's
 * controller is assembled from the chosen adapters.
 */
import type { CloudProvider } from '../ports/cloud.ts';
import type { DnsProvider } from '../ports/dns.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { AppProbe, Clock, DeployArtifacts } from '../ports/deploy.ts';
import type { AppChoice } from '../core/deploy/setup.ts';
import type { Plan } from '../core/deploy/plan.ts';
import { DeployController } from '../services/deploy/controller.ts';
import { vaultDeploymentStore, type RecordVault } from '../services/deploy/vault-store.ts';
import { webDeployCoordination } from '../adapters/deploy/web-coordination.ts';
import { appParts } from './app.ts';

export interface ProviderOption<T> {
	id: string;
	name: string;
	/** Sandbox: practice providers served by nassella itself; nothing is created anywhere. */
	sandbox: boolean;
	/** Where to get a token and which permissions it needs, in plain words. */
	tokenHelp: string;
	create(token: string): T;
}

/** Everything the wizard keeps about a setup (in the vault, with the tokens). */
export interface SetupRecord {
	deploymentId: string;
	apps: string[];
	domain: string;
	dns: { provider: string; token: string };
	cloud: { provider: string; token: string; region: string; size: string };
	git: { host: string; token: string };
	backups: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string; resticPassword: string };
}

export interface DeployEnvironment {
	clouds: ProviderOption<CloudProvider>[];
	dns: ProviderOption<DnsProvider>[];
	gits: ProviderOption<GitHost>[];
	apps(): Promise<AppChoice[]>;
	/** The vault's records when it is unlocked; undefined while locked or absent. */
	records(): RecordVault | undefined;
	randomBytes(n: number): Uint8Array;
	/** Assembles the controller of one deployment from the chosen adapters. */
	controller(setup: SetupRecord, plan: Plan): DeployController;
}

export const realClock: Clock = {
	now: () => Date.now(),
	sleep: (ms, signal) =>
		new Promise((resolve, reject) => {
			if (signal?.aborted) return reject(new DOMException('Aborted', 'AbortError'));
			const t = setTimeout(resolve, ms);
			signal?.addEventListener('abort', () => {
				clearTimeout(t);
				reject(new DOMException('Aborted', 'AbortError'));
			});
		})
};

/** Parts that differ per environment; filled in by `configureDeploy` as the adapters become available. */
export interface DeployWiring {
	clouds: ProviderOption<CloudProvider>[];
	dns: ProviderOption<DnsProvider>[];
	gits: ProviderOption<GitHost>[];
	apps(): Promise<AppChoice[]>;
	records(): RecordVault | undefined;
	probe(setup: SetupRecord): AppProbe;
	artifacts(setup: SetupRecord, plan: Plan): DeployArtifacts;
}

let wiring: DeployWiring | undefined;

export function configureDeploy(w: DeployWiring): void {
	wiring = w;
}

function pick<T>(options: ProviderOption<T>[], id: string, token: string): T {
	const option = options.find((o) => o.id === id);
	if (!option) throw new Error(`Unknown provider “${id}”.`);
	return option.create(token);
}

export function deployEnvironment(): DeployEnvironment {
	const w = wiring;
	if (!w) throw new Error('Setup is not available in this build.');
	const coordination = webDeployCoordination();
	return {
		clouds: w.clouds,
		dns: w.dns,
		gits: w.gits,
		apps: () => w.apps(),
		records: () => w.records(),
		randomBytes: (n) => globalThis.crypto.getRandomValues(new Uint8Array(n)),
		controller(setup, plan) {
			const records = w.records();
			if (!records) throw new Error('Unlock your vault first.');
			return new DeployController(
				{
					cloud: pick(w.clouds, setup.cloud.provider, setup.cloud.token),
					dns: pick(w.dns, setup.dns.provider, setup.dns.token),
					git: pick(w.gits, setup.git.host, setup.git.token),
					probe: w.probe(setup),
					artifacts: w.artifacts(setup, plan),
					clock: realClock,
					random: Math.random,
					store: vaultDeploymentStore(records),
					coordination,
					operations: appParts().locks
				},
				plan.deploymentId
			);
		}
	};
}
