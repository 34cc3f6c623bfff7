/**
 * Composition root of moving, taking over and the restore drill: which adapters the move
 * runner, the takeover and the drill use, and where their records live in the vault
 * (kinds `move`, `moveTarget` with the new provider's token, and `drill` in ports/vault.ts).
 */
import type { CreatedResource, DeploymentState } from '../core/deploy/machine.ts';
import {
	buildMovePlan,
	initialMoveState,
	type MoveInput,
	type MoveState,
	type OldResource
} from '../core/deploy/move.ts';
import { buildPlan, type Plan } from '../core/deploy/plan.ts';
import { deploymentHosts, volumeGiB } from '../core/deploy/setup.ts';
import type { MoveTargetRecord } from '../core/deploy/stored.ts';
import type { CloudProvider } from '../ports/cloud.ts';
import type { DnsProvider } from '../ports/dns.ts';
import type { GitHost, RepoRef } from '../ports/git-host.ts';
import { repoFromOutput } from '../services/deploy/steps.ts';
import { vaultDeploymentStore, type RecordVault } from '../services/deploy/vault-store.ts';
import { MoveRunner, type MoveStore } from '../services/move/runner.ts';
import type { MovedFacts, MoveTimings } from '../services/move/steps.ts';
import { awaitDrill, drillDue, requestDrill, type DrillRecord, type DrillStore } from '../services/move/drill.ts';
import { takeOver, type Findings } from '../services/takeover/takeover.ts';
import { artifactsFor, deployEnvironment, pick, probeFor, realClock, type SetupRecord } from './deploy.ts';
import { adminHostFor, serverLinkFor } from './server-link.ts';
import { appParts } from './app.ts';

export type { MoveTargetRecord };

/** Everything the move, takeover and drill pages need from the vault. */
export interface MoveContext {
	records: RecordVault;
	setup: SetupRecord;
	deployment: DeploymentState | undefined;
	move: MoveState | undefined;
	drill: DrillRecord | undefined;
}

function moveStore(records: RecordVault): MoveStore {
	return {
		load: (id) => records.get('move', id),
		save: (s) => records.put('move', s.deploymentId, s),
		remove: (id) => records.delete('move', id)
	};
}

function drillStore(records: RecordVault): DrillStore {
	return {
		load: (id) => records.get('drill', id),
		save: (id, r) => records.put('drill', id, r)
	};
}

/** Short random letters and digits. */
function randomId(n: number): string {
	const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
	const bytes = crypto.getRandomValues(new Uint8Array(n));
	return [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
}

/** The plan a deployment of this setup has (rebuilt from the catalog when no record is left). */
async function planFor(setup: SetupRecord, stored?: DeploymentState): Promise<Plan> {
	if (stored) return stored.plan;
	const env = deployEnvironment();
	const apps = (await env.apps()).filter((a) => setup.apps.includes(a.id));
	return buildPlan({
		deploymentId: setup.deploymentId,
		cloud: { provider: setup.cloud.provider, region: setup.cloud.region, size: setup.cloud.size },
		volumeGiB: volumeGiB(apps),
		...(setup.sshPublicKey ? { sshPublicKey: setup.sshPublicKey } : {}),
		dns: { provider: setup.dns.provider },
		git: { host: setup.git.host },
		hosts: deploymentHosts(apps, setup.domain)
	});
}

export async function loadMoveContext(): Promise<MoveContext | 'locked' | 'nothing'> {
	const records = await deployEnvironment().records();
	if (!records) return 'locked';
	const setup = await records.get('setup', 'current');
	if (!setup) return 'nothing';
	const id = setup.deploymentId;
	const deployment = await vaultDeploymentStore(records)
		.load(id)
		.catch(() => undefined);
	return {
		records,
		setup,
		deployment,
		move: await records.get('move', id),
		drill: await records.get('drill', id)
	};
}

function repoOf(deployment: DeploymentState | undefined): RepoRef {
	const o = deployment?.steps.repo?.output;
	if (!o) throw new Error('This deployment has no settings repository yet. Finish setting it up first.');
	return repoFromOutput(o);
}

/** Starts a move of the context's deployment; stores the target (with its token) and the initial state. */
export async function startMove(ctx: MoveContext, target: MoveTargetRecord): Promise<MoveState> {
	const d = ctx.deployment;
	if (!d || d.phase !== 'done')
		throw new Error('Only a deployment that finished setting up can move. Open the dashboard or take it over first.');
	const addr = d.steps['wait-server']?.output ?? {};
	const resources: OldResource[] = d.resources
		.filter((r): r is CreatedResource & { kind: OldResource['kind'] } =>
			['server', 'volume', 'firewall', 'ssh-key'].includes(r.kind)
		)
		.map((r) => ({ kind: r.kind, id: r.id, name: r.name }));
	const adminHost = adminHostFor(ctx.setup);
	const input: MoveInput = {
		deploymentId: d.id,
		moveId: randomId(6),
		from: {
			provider: d.plan.input.cloud.provider,
			region: d.plan.input.cloud.region,
			...(typeof addr.ipv4 === 'string' ? { ipv4: addr.ipv4 } : {}),
			...(typeof addr.ipv6 === 'string' ? { ipv6: addr.ipv6 } : {}),
			resources
		},
		to: { provider: target.provider, region: target.region, size: target.size },
		volumeGiB: d.plan.input.volumeGiB,
		...(d.plan.input.sshPublicKey ? { sshPublicKey: d.plan.input.sshPublicKey } : {}),
		adminHost,
		// The admin host may be among the plan's hosts (its DNS record is written with the apps'); it moves on its own.
		hosts: d.plan.input.hosts.filter((h) => h.fqdn !== adminHost)
	};
	const state = initialMoveState(buildMovePlan(input), Date.now());
	await ctx.records.put('moveTarget', d.id, target);
	await moveStore(ctx.records).save(state);
	return state;
}

/** Rewrites the deployment and setup records to the new server (idempotent). */
async function adopt(ctx: MoveContext, target: MoveTargetRecord, facts: MovedFacts): Promise<void> {
	const store = vaultDeploymentStore(ctx.records);
	const d = await store.load(ctx.setup.deploymentId);
	if (!d) throw new Error('The deployment record is gone.');
	const plan: Plan = {
		...d.plan,
		input: { ...d.plan.input, cloud: { provider: target.provider, region: target.region, size: target.size } }
	};
	const steps = { ...d.steps };
	const set = (id: keyof typeof steps, output: Record<string, string | null>) => {
		if (steps[id]) steps[id] = { status: 'done', attempts: steps[id].attempts, output };
	};
	const made = (kind: string) => facts.created.find((r) => r.kind === kind)?.id ?? null;
	set('image', { imageId: made('image') });
	set('ssh-key', { sshKeyId: made('ssh-key') });
	set('volume', { volumeId: made('volume') });
	set('firewall', { firewallId: made('firewall') });
	set('server', { serverId: facts.server.id });
	set('wait-server', { ipv4: facts.server.ipv4 ?? null, ipv6: facts.server.ipv6 ?? null });
	const moved = new Set(['image', 'ssh-key', 'volume', 'firewall', 'server']);
	const resources: CreatedResource[] = [
		...d.resources.filter((r) => !moved.has(r.kind)),
		...facts.created.map(
			(r) => ({ kind: r.kind, id: r.id, name: r.name, step: r.kind === 'image' ? 'image' : r.kind }) as CreatedResource
		)
	];
	await store.save({ ...d, plan, steps, resources, updatedAt: Date.now(), rev: d.rev + 1 });
	const setup = await ctx.records.get('setup', 'current');
	if (setup)
		await ctx.records.put('setup', 'current', {
			...setup,
			cloud: { provider: target.provider, token: target.token, region: target.region, size: target.size }
		});
}

async function parts(ctx: MoveContext, proxyBase?: string) {
	const env = deployEnvironment();
	const [dns, git, link] = await Promise.all([
		pick<DnsProvider>(env.dns, ctx.setup.dns.provider, ctx.setup.dns.token, proxyBase),
		pick<GitHost>(env.gits, ctx.setup.git.host, ctx.setup.git.token, proxyBase),
		serverLinkFor(ctx.setup, ctx.records, { proxyBase })
	]);
	return { env, dns, git, link };
}

/** Sandbox moves use short waits (the sandbox's TTLs and timings are short, too). */
export function moveTimings(sandbox: boolean): MoveTimings | undefined {
	if (!sandbox) return undefined;
	return {
		lowTtl: 60,
		ttl: 300,
		ttlWaitCapMs: 1_000,
		pollMs: 500,
		backupTimeoutMs: 60_000,
		restoreTimeoutMs: 60_000,
		httpsTimeoutMs: 60_000
	};
}

/** The runner of the context's move, wired to the vault and the chosen providers. */
export async function moveRunner(ctx: MoveContext, proxyBase?: string): Promise<MoveRunner> {
	const move = await moveStore(ctx.records).load(ctx.setup.deploymentId);
	if (!move) throw new Error('No move was started.');
	const target = await ctx.records.get('moveTarget', ctx.setup.deploymentId);
	if (!target) throw new Error('The new provider’s settings are not in the vault.');
	const { env, dns, git, link } = await parts(ctx, proxyBase);
	const from = move.plan.input.from.provider;
	const fromToken = from === ctx.setup.cloud.provider ? ctx.setup.cloud.token : target.token;
	const [cloud, fromCloud] = await Promise.all([
		pick<CloudProvider>(env.clouds, target.provider, target.token, proxyBase),
		pick<CloudProvider>(env.clouds, from, fromToken, proxyBase)
	]);
	const plan = await planFor(ctx.setup, ctx.deployment);
	const moveSetup: SetupRecord = { ...ctx.setup, cloud: { ...target } };
	const base = artifactsFor(ctx.setup, plan, ctx.records, {});
	const repo = repoOf(ctx.deployment);
	return new MoveRunner(
		{
			cloud,
			fromCloud,
			dns,
			git,
			repo,
			link,
			probe: probeFor(ctx.setup, ctx.records, proxyBase),
			clock: realClock,
			random: Math.random,
			apps: ctx.setup.apps,
			store: moveStore(ctx.records),
			artifacts: {
				bundle: ({ repo: r, requests }) => artifactsFor(ctx.setup, plan, ctx.records, { requests }).bundle({ repo: r }),
				sign: base.sign,
				ignition: ({ repo: r, volume, snapshot }) =>
					artifactsFor(moveSetup, plan, ctx.records, { restore: { snapshot } }).ignition({
						repo: r,
						commit: '',
						volume
					})
			},
			adopt: (facts) => adopt(ctx, target, facts)
		},
		move,
		moveTimings(from.startsWith('sandbox-') && target.provider.startsWith('sandbox-'))
	);
}

/** The cloud choices for a move (tokens are asked for again: the new provider may be another account). */
export function cloudOptions() {
	return deployEnvironment().clouds;
}

export async function cloudFor(provider: string, token: string, proxyBase?: string): Promise<CloudProvider> {
	return pick<CloudProvider>(deployEnvironment().clouds, provider, token, proxyBase);
}

/** Takeover: find the deployment of the vault's setup and rebuild its record. */
export async function takeOverDeployment(
	ctx: MoveContext,
	proxyBase?: string
): Promise<{ state: DeploymentState; found: Findings }> {
	const env = deployEnvironment();
	const [cloud, dns, git] = await Promise.all([
		pick<CloudProvider>(env.clouds, ctx.setup.cloud.provider, ctx.setup.cloud.token, proxyBase),
		pick<DnsProvider>(env.dns, ctx.setup.dns.provider, ctx.setup.dns.token, proxyBase),
		pick<GitHost>(env.gits, ctx.setup.git.host, ctx.setup.git.token, proxyBase)
	]);
	const plan = await planFor(ctx.setup, ctx.deployment);
	return takeOver({ cloud, dns, git, store: vaultDeploymentStore(ctx.records), clock: realClock }, plan);
}

/** The drill of the context's deployment. */
export async function drillActions(ctx: MoveContext, proxyBase?: string) {
	const { git, link } = await parts(ctx, proxyBase);
	const plan = await planFor(ctx.setup, ctx.deployment);
	const ports = {
		git,
		link,
		repo: repoOf(ctx.deployment),
		clock: realClock,
		store: drillStore(ctx.records),
		randomId: () => randomId(10),
		artifacts: {
			bundle: ({ repo, requests }: { repo: RepoRef; requests: { backup?: string; drill?: string } }) =>
				artifactsFor(ctx.setup, plan, ctx.records, { requests }).bundle({ repo }),
			sign: artifactsFor(ctx.setup, plan, ctx.records).sign
		}
	};
	const sandbox = ctx.setup.cloud.provider.startsWith('sandbox-');
	return {
		request: () => requestDrill(ports, ctx.setup.deploymentId),
		wait: (signal?: AbortSignal) =>
			awaitDrill(ports, ctx.setup.deploymentId, {
				pollMs: sandbox ? 500 : 5_000,
				timeoutMs: sandbox ? 60_000 : 20 * 60_000,
				signal
			}),
		load: () => drillStore(ctx.records).load(ctx.setup.deploymentId)
	};
}

export { drillDue };

/**
 * Runs `fn` if no other tab runs this deployment's move (a Web Lock), marked as a long
 * operation so no app update takes over meanwhile. Returns undefined when another tab has it.
 */
export async function withMoveLock<T>(deploymentId: string, fn: () => Promise<T>): Promise<T | undefined> {
	const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
	const hold = () => appParts().locks.hold(`move ${deploymentId}`, fn);
	if (!locks) return hold();
	return locks.request(`nassella-move-${deploymentId}`, { ifAvailable: true }, async (lock) =>
		lock ? hold() : undefined
	);
}
