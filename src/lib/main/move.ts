/**
 * Composition root of moving, taking over and the restore drill: which adapters the move
 * runner, the takeover and the drill use. What they do, and what they keep in the vault,
 * is in src/lib/services/move and src/lib/services/takeover.
 */
import type { DeploymentState } from '../core/deploy/machine.ts';
import type { MoveState } from '../core/deploy/move.ts';
import { buildPlan, type Plan } from '../core/deploy/plan.ts';
import { setupPlanInput } from '../core/deploy/setup.ts';
import type { SetupRecord } from '../core/deploy/stored.ts';
import type { CloudProvider } from '../ports/cloud.ts';
import type { DnsProvider } from '../ports/dns.ts';
import type { GitHost, RepoRef } from '../ports/git-host.ts';
import { vaultDeploymentStore } from '../services/deploy/vault-store.ts';
import { runExclusively } from '../services/engine/lock.ts';
import { MoveRunner } from '../services/move/runner.ts';
import type { MoveTimings } from '../services/move/steps.ts';
import { awaitDrill, drillDue, requestDrill } from '../services/move/drill.ts';
import {
	adoptMove,
	loadMoveContext as loadContext,
	repoOf,
	startMove as start,
	vaultDrillStore,
	vaultMoveStore,
	type MoveContext,
	type MoveTargetRecord
} from '../services/move/records.ts';
import { takeOver, type Findings } from '../services/takeover/takeover.ts';
import { artifactsFor, deployCoordination, deployEnvironment, pick, probeFor, realClock } from './deploy.ts';
import { adminHostFor, serverLinkFor } from './server-link.ts';
import { appParts } from './app.ts';
import { MissingSecretError, PlainError } from '../core/errors.ts';

export type { MoveContext, MoveTargetRecord };
export { drillDue };

/** Short random letters and digits. */
function randomId(n: number): string {
	const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
	return Array.from(crypto.getRandomValues(new Uint8Array(n)), (b) => alphabet[b % alphabet.length]).join('');
}

/** The plan a deployment of this setup has (rebuilt from the catalog when no record is left). */
async function planFor(setup: SetupRecord, stored?: DeploymentState): Promise<Plan> {
	if (stored) return stored.plan;
	const apps = await deployEnvironment().apps();
	return buildPlan(
		setupPlanInput(
			setup,
			apps.filter((a) => setup.apps.includes(a.id))
		)
	);
}

export async function loadMoveContext(): Promise<MoveContext | 'locked' | 'nothing'> {
	const records = await deployEnvironment().records();
	return records ? loadContext(records) : 'locked';
}

/** Starts a move of the context's deployment; stores the target (with its token) and the initial state. */
export function startMove(ctx: MoveContext, target: MoveTargetRecord): Promise<MoveState> {
	return start(ctx, target, adminHostFor(ctx.setup), randomId(6), Date.now());
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
	const move = await vaultMoveStore(ctx.records).load(ctx.setup.deploymentId);
	if (!move) throw new PlainError('No move was started.', 'Start the move again.', 'not-found');
	const target = await ctx.records.get('moveTarget', ctx.setup.deploymentId);
	if (!target) throw new MissingSecretError('The new provider’s settings are not in the vault.');
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
	return new MoveRunner(
		{
			cloud,
			fromCloud,
			dns,
			git,
			repo: repoOf(ctx.deployment),
			link,
			probe: probeFor(ctx.setup, ctx.records, proxyBase),
			clock: realClock,
			random: Math.random,
			apps: ctx.setup.apps,
			store: vaultMoveStore(ctx.records),
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
			adopt: (facts) => adoptMove(ctx.records, ctx.setup.deploymentId, target, facts, Date.now())
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
		store: vaultDrillStore(ctx.records),
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
		load: () => vaultDrillStore(ctx.records).load(ctx.setup.deploymentId)
	};
}

/**
 * Runs `fn` if no other tab runs this deployment's move (a Web Lock), marked as a long
 * operation so no app update takes over meanwhile. Returns undefined when another tab has it.
 */
export function withMoveLock<T>(deploymentId: string, fn: () => Promise<T>): Promise<T | undefined> {
	return runExclusively(
		{ lock: deployCoordination(), operations: appParts().locks },
		`move-${deploymentId}`,
		`move ${deploymentId}`,
		fn
	);
}
