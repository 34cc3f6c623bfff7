/**
 * Test harness: the sandbox (clouds, DNS, git host and the stand-in servers) over real HTTP
 * on loopback, and a deployment driven through the real deploy engine with the real
 * adapters, generator, keys and commit signatures, as the app does under `npm start`.
 */
import type { AddressInfo } from 'node:net';
import { loadCatalog } from '../../catalog/load.ts';
import type { AppManifest } from '../../src/lib/core/catalog/types.ts';
import { completeAppSecrets, toDeployment } from '../../src/lib/core/deploy/config.ts';
import { dataDevicePath } from '../../src/lib/main/providers.ts';
import { initialState, type DeploymentState } from '../../src/lib/core/deploy/machine.ts';
import { buildPlan, type Plan } from '../../src/lib/core/deploy/plan.ts';
import { renderServer } from '../../src/lib/core/server/render.ts';
import { MANIFEST_PATH, renderManifest } from '../../src/lib/core/server/manifest.ts';
import type { CloudProvider } from '../../src/lib/ports/cloud.ts';
import type { DnsProvider } from '../../src/lib/ports/dns.ts';
import type { AppProbe, DeployArtifacts } from '../../src/lib/ports/deploy.ts';
import type { BundleFile, RepoRef } from '../../src/lib/ports/git-host.ts';
import { bcryptDeriver, makeKeys, deploymentKeys, type StoredKeys } from '../../src/lib/adapters/deploy/keys.ts';
import { ageEncrypt } from '../../src/lib/adapters/age/encrypt.ts';
import { commitSigner } from '../../src/lib/adapters/ssh-signature/index.ts';
import { GitHubGitHost } from '../../src/lib/adapters/github/index.ts';
import { DigitalOceanCloud } from '../../src/lib/adapters/digitalocean/cloud.ts';
import { HetznerCloud } from '../../src/lib/adapters/hetzner/cloud.ts';
import { DigitalOceanDns } from '../../src/lib/adapters/digitalocean/dns.ts';
import { dohProbe, serverProbe } from '../../src/lib/adapters/deploy/probe.ts';
import { createServerLink } from '../../src/lib/adapters/server/link.ts';
import { DeployRunner } from '../../src/lib/services/deploy/runner.ts';
import { memoryDeploymentStore } from '../doubles/deploy/memory.ts';
import { createLocalServer } from '../../workers/local/server.ts';
import { githubSandboxMount } from '../../workers/sandbox/github/index.ts';
import { SANDBOX_ZONE, sandboxMount, type SandboxTiming } from '../../workers/sandbox/index.ts';

export const IDENTITY = { name: 'nassella', email: 'nassella@users.noreply.invalid' };

let catalogCache: AppManifest[] | undefined;
export function catalog(): AppManifest[] {
	if (!catalogCache) {
		const c = loadCatalog();
		if (c.problems.length) throw new Error(c.problems.join('\n'));
		catalogCache = c.apps;
	}
	return catalogCache;
}

export async function startSandbox(timing: SandboxTiming) {
	const github = githubSandboxMount();
	const server = createLocalServer({
		root: 'build',
		mounts: [github, sandboxMount(timing, { git: () => github.fake })]
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	return {
		base,
		github: github.fake,
		control: async (action: string, body?: unknown) => {
			const r = await fetch(`${base}/sandbox/_control/${action}`, {
				method: body === undefined ? 'GET' : 'POST',
				headers: body === undefined ? {} : { 'content-type': 'application/json' },
				body: body === undefined ? undefined : JSON.stringify(body)
			});
			return { status: r.status, body: (await r.json()) as Record<string, unknown> };
		},
		close: () =>
			new Promise<void>((r) => {
				server.closeAllConnections();
				server.close(() => r());
			})
	};
}

export type Sandbox = Awaited<ReturnType<typeof startSandbox>>;

export interface DeployOptions {
	id: string;
	cloud: 'sandbox-digitalocean' | 'sandbox-hetzner';
	apps: string[];
	backups: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string; resticPassword: string };
	restoreFromBackup?: boolean;
	/** Extra bundle files (e.g. requests.json), added with the manifest made again. */
	extraFiles?: BundleFile[];
	probe?: (base: string, ctx: { adminHost: string; keys: () => StoredKeys }) => AppProbe;
}

export interface Deployed {
	id: string;
	domain: string;
	adminHost: string;
	keys: StoredKeys;
	state: DeploymentState;
	plan: Plan;
	git: GitHubGitHost;
	repo: RepoRef;
	render(extra?: BundleFile[], change?: (d: Record<string, unknown>) => void): Promise<BundleFile[]>;
	/** Commits a new bundle on top of the current head; returns the new commit. */
	commit(files: BundleFile[], message: string): Promise<string>;
	link(password?: string): ReturnType<typeof createServerLink>;
}

export function withFiles(files: BundleFile[], extra: BundleFile[]): BundleFile[] {
	const rest = files.filter((f) => f.path !== MANIFEST_PATH && !extra.some((e) => e.path === f.path));
	const all = [...rest, ...extra].sort((a, b) => (a.path < b.path ? -1 : 1));
	const manifest = renderManifest(
		all.map((f) => ({
			path: f.path,
			contents: typeof f.content === 'string' ? f.content : new TextDecoder().decode(f.content)
		}))
	);
	return [...all, { path: MANIFEST_PATH, content: manifest }];
}

/** Deploys through the real engine; returns when the runner stops (done or failed). */
export async function deploy(sb: Sandbox, o: DeployOptions): Promise<Deployed> {
	const domain = `${o.id}.${SANDBOX_ZONE}`;
	const adminHost = `nassella.${domain}`;
	const apps = catalog();
	const secrets = completeAppSecrets(apps, o.apps, {}, (b) => crypto.getRandomValues(b), await bcryptDeriver());
	const keys = await makeKeys(o.id, secrets);
	const choices = { deploymentId: o.id, domain, apps: o.apps, backups: o.backups };
	const region = o.cloud === 'sandbox-digitalocean' ? 'fra1' : 'fsn1';
	const size = o.cloud === 'sandbox-digitalocean' ? 's-1vcpu-2gb' : 'cx22';
	const appHosts = apps
		.filter((a) => o.apps.includes(a.id))
		.flatMap((a) => a.entrypoints.map((e) => ({ app: a.id, fqdn: `${e.subdomain}.${domain}` })));
	const plan = buildPlan({
		deploymentId: o.id,
		cloud: { provider: o.cloud, region, size },
		volumeGiB: 10,
		dns: { provider: 'sandbox-digitalocean-dns' },
		git: { host: 'sandbox-github' },
		hosts: [...appHosts, { app: 'nassella', fqdn: adminHost }]
	});
	const git = new GitHubGitHost({
		id: 'sandbox-github',
		token: 'sandbox',
		baseUrl: `${sb.base}/sandbox/github`,
		identity: IDENTITY
	});
	const cloud: CloudProvider =
		o.cloud === 'sandbox-digitalocean'
			? new DigitalOceanCloud({ token: 'sandbox', baseUrl: `${sb.base}/sandbox/digitalocean`, pollMs: 50 })
			: new HetznerCloud({ token: 'sandbox', baseUrl: `${sb.base}/sandbox/hetzner/v1`, pollMs: 50 });
	const dns: DnsProvider = new DigitalOceanDns({ token: 'sandbox', baseUrl: `${sb.base}/sandbox/digitalocean` });
	let repoRef: RepoRef | undefined;
	const render = async (
		repo: RepoRef,
		volume: { id: string; name: string },
		change?: (d: Record<string, unknown>) => void
	) => {
		const deployment = toDeployment({
			choices,
			catalog: apps,
			keys: deploymentKeys(keys),
			repo: { sshUrl: repo.sshUrl, branch: repo.defaultBranch, hostKeys: repo.hostKeys },
			dataDevice: dataDevicePath(o.cloud, volume),
			appOrigin: sb.base
		}) as unknown as { config: Record<string, unknown> };
		if (o.restoreFromBackup) deployment.config.restoreFromBackup = true;
		change?.(deployment as never);
		return renderServer(deployment, apps, { encrypt: ageEncrypt });
	};
	const volumeName = plan.steps.find((s) => s.id === 'volume')?.name ?? 'data';
	const bundleOf = async (repo: RepoRef, extra: BundleFile[] = [], change?: (d: Record<string, unknown>) => void) => {
		const { files } = await render(repo, { id: '0', name: volumeName }, change);
		const plain = files.map((f): BundleFile => ({ path: f.path, content: f.contents, executable: f.executable }));
		return extra.length ? withFiles(plain, extra) : plain;
	};
	const artifacts: DeployArtifacts = {
		async bundle({ repo }) {
			repoRef = repo;
			return bundleOf(repo, o.extraFiles);
		},
		sign: commitSigner(keys.signingKey),
		async deployKey() {
			return { title: `nassella server ${o.id}`, publicKey: keys.deployKey.publicKey };
		},
		async ignition({ repo, volume }) {
			return (await render(repo, volume)).ignition;
		}
	};
	const link = (password = keys.admin.password) =>
		createServerLink({
			host: adminHost,
			user: keys.admin.user,
			password,
			base: `${sb.base}/sandbox/server/${adminHost}`
		});
	// As the app does it (src/lib/main/deploy.ts): DNS first, then the server's own report.
	const probe =
		o.probe?.(sb.base, { adminHost, keys: () => keys }) ??
		serverProbe({
			dns: dohProbe([{ name: 'sandbox', url: `${sb.base}/sandbox/doh/cloudflare-dns.com/dns-query` }]),
			apps: o.apps,
			link: async () => link()
		});
	const store = memoryDeploymentStore();
	const first = initialState(plan, Date.now());
	await store.save(first);
	const runner = new DeployRunner(
		{
			cloud,
			dns,
			git,
			probe,
			artifacts,
			clock: { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
			random: Math.random,
			store
		},
		first,
		{ probeIntervalMs: 200, probeTimeoutMs: 30_000, ttl: 300 }
	);
	const state = await runner.run();
	const repo = repoRef ?? (await git.ensureRepo(`nassella-${o.id}`, ''));
	return {
		id: o.id,
		domain,
		adminHost,
		keys,
		state,
		plan,
		git,
		repo,
		render: (extra = [], change) => bundleOf(repo, extra, change),
		async commit(files, message) {
			const parent = await git.head(repo);
			const result = await git.commit(repo, files, message, parent, commitSigner(keys.signingKey));
			return result.sha;
		},
		link
	};
}

/** Polls until `check` passes or the time is up; returns the last value. */
export async function until<T>(get: () => Promise<T>, check: (v: T) => boolean, ms = 20_000): Promise<T> {
	const end = Date.now() + ms;
	let last: T;
	for (;;) {
		try {
			last = await get();
			if (check(last)) return last;
		} catch (error) {
			if (Date.now() > end) throw error;
		}
		if (Date.now() > end) return last!;
		await new Promise((r) => setTimeout(r, 100));
	}
}
