/**
 * Composition root of setup and deploy: which providers the wizard offers (the sandbox
 * ones first: the real adapters pointed at the fakes `npm start` serves under /sandbox/),
 * where deployment state and setup choices are kept (the vault), how the bundle and the
 * Ignition config are made, and how a deployment's controller is assembled.
 */
import type { AppManifest, CatalogApp } from '../core/catalog/types.ts';
import { completeAppSecrets, toDeployment } from '../core/deploy/config.ts';
import type { Plan } from '../core/deploy/plan.ts';
import type { TokenHelp } from '../core/providers/descriptor.ts';
import type { AppChoice } from '../core/deploy/setup.ts';
import type { SetupRecord, StoredKeys } from '../core/deploy/stored.ts';
import type { CloudProvider, CloudResource } from '../ports/cloud.ts';
import type { AppProbe, DeployArtifacts } from '../ports/deploy.ts';
import { realClock } from '../adapters/deploy/clock.ts';
import type { DnsProvider } from '../ports/dns.ts';
import type { BundleFile, GitHost, RepoRef } from '../ports/git-host.ts';
import { DeployController } from '../services/deploy/controller.ts';
import { listOrphans, removeOrphans } from '../services/deploy/sweep.ts';
import { vaultDeploymentStore, type RecordVault } from '../services/deploy/vault-store.ts';
import { typedRecords } from '../services/records.ts';
import { webDeployCoordination } from '../adapters/deploy/web-coordination.ts';
import { dohProbe, serverProbe } from '../adapters/deploy/probe.ts';
import { appParts, loadVault } from './app.ts';
import { cloudChoices, dataDevicePath, dnsChoices, dohEndpoints } from './providers.ts';
import { gitHostChoices } from './git-hosts.ts';

export interface ProviderOption<T> {
	id: string;
	name: string;
	/** Sandbox: practice providers served by nassella itself; nothing is created anywhere. */
	sandbox: boolean;
	/** Where to get a token and which permissions it needs, in plain words. */
	tokenHelp: string;
	/** Step by step, with the provider's token page (real providers only). */
	tokenGuide?: TokenHelp;
	/** The provider's own name, for "Open DigitalOcean's token page". */
	providerName: string;
	/** DNS: it hands out free names under this suffix (deSEC: "dedyn.io"). */
	freeNames?: string;
	/** `proxyBase`: the relay address from the settings, for providers reached through it. */
	create(token: string, proxyBase?: string): Promise<T>;
}

export type { SetupRecord };

export interface DeployEnvironment {
	clouds: ProviderOption<CloudProvider>[];
	dns: ProviderOption<DnsProvider>[];
	gits: ProviderOption<GitHost>[];
	apps(): Promise<AppChoice[]>;
	/** The vault's records when it is unlocked; undefined while locked or absent. */
	records(): Promise<RecordVault | undefined>;
	randomBytes(n: number): Uint8Array;
	/** Assembles the controller of one deployment from the chosen adapters. */
	controller(setup: SetupRecord, plan: Plan, proxyBase?: string): Promise<DeployController>;
	/** Labelled resources in the chosen cloud account that no deployment in the vault knows. */
	orphans(
		setup: SetupRecord,
		proxyBase?: string
	): Promise<{
		list(): Promise<CloudResource[]>;
		remove(resources: readonly CloudResource[]): Promise<CloudResource[]>;
	}>;
}

export { realClock };

function origin(): string {
	return typeof location !== 'undefined' ? location.origin : 'http://127.0.0.1';
}

const SANDBOX_TOKEN = 'Practice: any token works (for example “sandbox”). Nothing is created or charged.';

function options<T>(
	choices: readonly {
		id: string;
		label: string;
		note: string;
		token?: TokenHelp;
		providerName: string;
		freeNames?: string;
		sandbox: boolean;
		create(c: { token: string; proxyBase?: string }): Promise<T>;
	}[]
): ProviderOption<T>[] {
	return choices.map((c) => ({
		id: c.id,
		name: c.label,
		sandbox: c.sandbox,
		tokenHelp: c.sandbox ? SANDBOX_TOKEN : c.note,
		...(c.token && !c.sandbox ? { tokenGuide: c.token } : {}),
		providerName: c.providerName,
		...(c.freeNames ? { freeNames: c.freeNames } : {}),
		create: (token, proxyBase) => c.create({ token, proxyBase })
	}));
}

let catalogPromise: Promise<CatalogApp[]> | undefined;

export function catalog(): Promise<CatalogApp[]> {
	catalogPromise ??= import('virtual:nassella-catalog').then((m) => m.default as CatalogApp[]);
	return catalogPromise;
}

/** The vault's records while it is unlocked. */
export async function vaultRecords(): Promise<RecordVault | undefined> {
	const vault = await loadVault();
	if (vault.status() !== 'unlocked') return undefined;
	return typedRecords(vault);
}

/** The DNS check, then the server's own report through its link (keys from the vault). */
export function probeFor(setup: SetupRecord, records: RecordVault, proxyBase?: string): AppProbe {
	const sandbox = setup.dns.provider.startsWith('sandbox-');
	return serverProbe({
		dns: dohProbe(dohEndpoints(sandbox)),
		apps: setup.apps,
		link: async () => (await import('./server-link.ts')).serverLinkFor(setup, records, { proxyBase })
	});
}

/** One-off additions to a render: requests for the server (`requests.json`), or a restore at first boot. */
export interface RenderExtras {
	requests?: { backup?: string; drill?: string };
	restore?: { snapshot?: string };
}

/** The bundle and Ignition config of a deployment, rendered by the server generator. */
/**
 * The stored keys with every secret the chosen apps need (new apps' secrets, derived bcrypt
 * hashes, the setup gates'), made once and saved back to the vault when something was missing.
 */
export async function withAppSecrets(
	records: RecordVault,
	deploymentId: string,
	keys: StoredKeys,
	apps: readonly string[]
): Promise<StoredKeys> {
	const { bcryptDeriver } = await import('../adapters/deploy/keys.ts');
	const secrets = completeAppSecrets(
		await catalog(),
		apps,
		keys.appSecrets,
		(b) => crypto.getRandomValues(b),
		await bcryptDeriver()
	);
	const merged = { ...keys.appSecrets, ...secrets };
	if (JSON.stringify(merged) === JSON.stringify(keys.appSecrets)) return keys;
	const updated = { ...keys, appSecrets: merged };
	await records.put('deploymentKeys', deploymentId, updated);
	return updated;
}

export function artifactsFor(
	setup: SetupRecord,
	plan: Plan,
	records: RecordVault,
	extras: RenderExtras = {}
): DeployArtifacts {
	let keys: Promise<StoredKeys> | undefined;
	const ensureKeys = (): Promise<StoredKeys> =>
		(keys ??= (async () => {
			const existing = await records.get('deploymentKeys', setup.deploymentId);
			if (existing) return existing;
			const { makeKeys, bcryptDeriver } = await import('../adapters/deploy/keys.ts');
			const secrets = completeAppSecrets(
				await catalog(),
				setup.apps,
				{},
				(b) => crypto.getRandomValues(b),
				await bcryptDeriver()
			);
			const made = await makeKeys(setup.deploymentId, secrets);
			await records.put('deploymentKeys', setup.deploymentId, made);
			return made;
		})());
	const render = async (repo: RepoRef, volume: { id: string; name: string }) => {
		const stored = await withAppSecrets(records, setup.deploymentId, await ensureKeys(), setup.apps);
		const [{ deploymentKeys }, { renderServer }, { ageEncrypt }] = await Promise.all([
			import('../adapters/deploy/keys.ts'),
			import('../core/server/render.ts'),
			import('../adapters/age/encrypt.ts')
		]);
		const apps: readonly AppManifest[] = await catalog();
		const deployment = toDeployment({
			choices: setup,
			catalog: apps,
			keys: deploymentKeys(stored),
			repo: { sshUrl: repo.sshUrl, branch: repo.defaultBranch, hostKeys: repo.hostKeys },
			dataDevice: dataDevicePath(setup.cloud.provider, volume),
			appOrigin: origin()
		});
		const config: typeof deployment.config & Record<string, unknown> = { ...deployment.config };
		if (setup.ntfyTopic) config.ntfyTopic = setup.ntfyTopic;
		const requests = extras.requests ?? setup.requests;
		if (requests && (requests.backup || requests.drill)) config.requests = { ...requests };
		if (extras.restore) {
			config.restoreFromBackup = true;
			if (extras.restore.snapshot && /^[0-9a-f]{8,64}$/.test(extras.restore.snapshot))
				config.restoreSnapshot = extras.restore.snapshot;
		}
		return renderServer({ ...deployment, config }, apps, { encrypt: ageEncrypt });
	};
	const volumeName = plan.steps.find((s) => s.id === 'volume')?.name ?? 'data';
	return {
		async bundle({ repo }) {
			// The repo's own files (README, the check and its workflow) are loaded only here.
			const [{ files }, { configRepoTree }, { default: check }, { signingKey }] = await Promise.all([
				render(repo, { id: '0', name: volumeName }),
				import('../core/git/repo-files.ts'),
				import('virtual:nassella-repo-check'),
				ensureKeys()
			]);
			const tree = configRepoTree(files, { serverName: setup.domain, signingKey: signingKey.publicKey, check });
			return tree.map((f): BundleFile => ({ path: f.path, content: f.contents, executable: f.executable }));
		},
		async sign(payload) {
			const [{ commitSigner }, stored] = await Promise.all([
				import('../adapters/ssh-signature/index.ts'),
				ensureKeys()
			]);
			return commitSigner(stored.signingKey)(payload);
		},
		async deployKey() {
			const stored = await ensureKeys();
			return { title: `nassella server ${setup.deploymentId}`, publicKey: stored.deployKey.publicKey };
		},
		async ignition({ repo, volume }) {
			return (await render(repo, volume)).ignition;
		}
	};
}

export function pick<T>(options: ProviderOption<T>[], id: string, token: string, proxyBase?: string): Promise<T> {
	const option = options.find((o) => o.id === id);
	if (!option) throw new Error(`Unknown provider “${id}”.`);
	return option.create(token, proxyBase);
}

let coordination: ReturnType<typeof webDeployCoordination> | undefined;

/** Tabs agree through Web Locks on who runs a long operation (a deployment, a move). */
export function deployCoordination(): ReturnType<typeof webDeployCoordination> {
	coordination ??= webDeployCoordination();
	return coordination;
}

export function deployEnvironment(): DeployEnvironment {
	const clouds = options<CloudProvider>(cloudChoices);
	const dns = options<DnsProvider>(dnsChoices);
	const gits = options<GitHost>(gitHostChoices);
	return {
		clouds,
		dns,
		gits,
		apps: () => catalog(),
		records: () => vaultRecords(),
		randomBytes: (n) => globalThis.crypto.getRandomValues(new Uint8Array(n)),
		async orphans(setup, proxyBase) {
			const records = await vaultRecords();
			if (!records) throw new Error('Unlock your vault first.');
			const cloud = await pick(clouds, setup.cloud.provider, setup.cloud.token, proxyBase);
			const store = vaultDeploymentStore(records);
			return { list: () => listOrphans(cloud, store), remove: (r) => removeOrphans(cloud, r) };
		},
		async controller(setup, plan, proxyBase) {
			const records = await vaultRecords();
			if (!records) throw new Error('Unlock your vault first.');
			const [cloud, dnsProvider, git] = await Promise.all([
				pick(clouds, setup.cloud.provider, setup.cloud.token, proxyBase),
				pick(dns, setup.dns.provider, setup.dns.token, proxyBase),
				pick(gits, setup.git.host, setup.git.token, proxyBase)
			]);
			return new DeployController(
				{
					cloud,
					dns: dnsProvider,
					git,
					probe: probeFor(setup, records, proxyBase),
					artifacts: artifactsFor(setup, plan, records),
					clock: realClock,
					random: Math.random,
					store: vaultDeploymentStore(records),
					coordination: deployCoordination(),
					operations: appParts().locks
				},
				plan.deploymentId
			);
		}
	};
}
