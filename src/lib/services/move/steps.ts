/**
 * What each move step does through the ports. Like the deploy steps, every step may run
 * again after a closed tab (`observe`): cloud resources are looked up by label and by
 * their move-specific names before anything is created, DNS writes are upserts, and the
 * backup request carries a deterministic id the server handles once.
 */
import { isProviderError, ProviderError } from '../../core/errors.ts';
import {
	backupRequestId,
	type MoveOutput,
	type MoveResource,
	type MoveState,
	type MoveStepId
} from '../../core/deploy/move.ts';
import { allHealthy, type ServerStatus } from '../../core/server/status.ts';
import type { CloudProvider, CloudResource } from '../../ports/cloud.ts';
import type { AppProbe, Clock } from '../../ports/deploy.ts';
import type { DnsProvider, RecordSet, Zone } from '../../ports/dns.ts';
import type { BundleFile, CommitSigner, GitHost, RepoRef } from '../../ports/git-host.ts';
import type { ServerLink } from '../../ports/server.ts';
import { ensureLabelled, ownedBy } from '../engine/resources.ts';
import { optionalText, outputOf, text, waitForAddress, waitUntilAnswering } from '../engine/steps.ts';

/** The files and keys of the deployment, as the move needs them. */
export interface MoveArtifacts {
	/** The bundle as it is now, plus a request (`requests.json`) for the server. */
	bundle(context: { repo: RepoRef; requests: { backup?: string; drill?: string } }): Promise<BundleFile[]>;
	sign: CommitSigner;
	/** The new server's Ignition: same identity and repo, restoring the newest backup before the apps start. */
	ignition(context: { repo: RepoRef; volume: { id: string; name: string }; snapshot?: string }): Promise<string>;
}

/** What the deployment record must say once the move is done (the new server, the same repo and DNS). */
export interface MovedFacts {
	server: { id: string; name: string; ipv4?: string; ipv6?: string };
	created: MoveResource[];
}

export interface MovePorts {
	/** The provider the deployment moves to. */
	cloud: CloudProvider;
	/** The provider it runs on now (the same object when only the region or size changes). */
	fromCloud: CloudProvider;
	dns: DnsProvider;
	git: GitHost;
	/** The deployment's repo, from its record. */
	repo: RepoRef;
	/** The status link of the admin host (wherever its DNS record points). */
	link: ServerLink;
	probe: AppProbe;
	artifacts: MoveArtifacts;
	clock: Clock;
	/** Rewrites the deployment record to the new server; called again on resume, so idempotent. */
	adopt(facts: MovedFacts): Promise<void>;
	/** App ids the bundle runs (every one must be healthy on the new server). */
	apps: readonly string[];
}

export interface MoveTimings {
	/** TTL while moving (seconds). */
	lowTtl: number;
	/** TTL after the move (seconds). */
	ttl: number;
	/** The longest wait for caches of the old TTL to expire before switching. */
	ttlWaitCapMs: number;
	pollMs: number;
	backupTimeoutMs: number;
	restoreTimeoutMs: number;
	httpsTimeoutMs: number;
}

export const DEFAULT_MOVE_TIMINGS: MoveTimings = {
	lowTtl: 60,
	ttl: 300,
	ttlWaitCapMs: 10 * 60_000,
	pollMs: 5_000,
	backupTimeoutMs: 60 * 60_000,
	restoreTimeoutMs: 60 * 60_000,
	httpsTimeoutMs: 15 * 60_000
};

/** A failure the move must not retry by itself (the new server failed, the backup failed). */
export class MoveStepFailure extends ProviderError {
	readonly final = true;
}

export interface MoveStepResult {
	output: MoveOutput;
	created?: MoveResource[];
}

const out = (state: MoveState, step: MoveStepId): MoveOutput => outputOf(state.steps, step);
const str = text;
const opt = optionalText;

function allNames(state: MoveState): string[] {
	const { adminHost, hosts } = state.plan.input;
	return [adminHost, ...hosts.map((h) => h.fqdn)];
}

function addressTypes(addr: { ipv4?: string; ipv6?: string }): { type: 'A' | 'AAAA'; value: string }[] {
	const out: { type: 'A' | 'AAAA'; value: string }[] = [];
	if (addr.ipv4) out.push({ type: 'A', value: addr.ipv4 });
	if (addr.ipv6) out.push({ type: 'AAAA', value: addr.ipv6 });
	return out;
}

/** The record sets as they were before the move (noted by read-dns). */
export function originalRecords(state: MoveState): RecordSet[] {
	const o = state.steps['read-dns']?.output?.records;
	return Array.isArray(o) ? (o as RecordSet[]) : [];
}

async function zones(ports: MovePorts, names: string[]): Promise<Map<string, Zone>> {
	const map = new Map<string, Zone>();
	const found: Zone[] = [];
	for (const fqdn of names) {
		let z = found.find((x) => fqdn === x.name || fqdn.endsWith('.' + x.name));
		if (!z) {
			z = await ports.dns.findZone(fqdn);
			found.push(z);
		}
		map.set(fqdn, z);
	}
	return map;
}

/** Points `names` at `addr` with `ttl`, removing a record type the address lacks. */
async function pointAt(
	ports: MovePorts,
	names: string[],
	addr: { ipv4?: string; ipv6?: string },
	ttl: number
): Promise<void> {
	const z = await zones(ports, names);
	await Promise.all(
		names.flatMap((fqdn) => {
			const zone = z.get(fqdn)!;
			const want = addressTypes(addr);
			const writes = want.map((w) => ports.dns.upsert(zone, { name: fqdn, type: w.type, ttl, values: [w.value] }));
			const drop = (['A', 'AAAA'] as const).filter((t) => !want.some((w) => w.type === t));
			return [...writes, ...drop.map((t) => ports.dns.delete(zone, fqdn, t))];
		})
	);
}

/** restic ids may be shown short (8 hex digits) or in full. */
function sameSnapshot(a: string, b: string): boolean {
	return a.startsWith(b) || b.startsWith(a);
}

/** Puts every address's TTL back as it was before the move (after a move was given up). */
export async function restoreTtls(ports: MovePorts, state: MoveState): Promise<void> {
	const before = originalRecords(state).filter((r) => r.name !== state.plan.input.adminHost);
	if (before.length === 0) return;
	const z = await zones(ports, [...new Set(before.map((r) => r.name))]);
	await Promise.all(before.map((r) => ports.dns.upsert(z.get(r.name)!, r)));
}

/** Puts the status address back the way it was before the move. */
export async function revertAdmin(ports: MovePorts, state: MoveState): Promise<void> {
	const admin = state.plan.input.adminHost;
	const z = (await zones(ports, [admin])).get(admin)!;
	const before = originalRecords(state).filter((r) => r.name === admin);
	for (const type of ['A', 'AAAA'] as const) {
		const rec = before.find((r) => r.type === type);
		if (rec) await ports.dns.upsert(z, rec);
		else await ports.dns.delete(z, admin, type);
	}
}

function ensureObserved(
	ports: MovePorts,
	state: MoveState,
	kind: CloudResource['kind'],
	name: string,
	observe: boolean,
	create: () => Promise<CloudResource>
): Promise<CloudResource> {
	return ensureLabelled(ports.cloud, state.plan.labels, kind, name, observe, create);
}

/** What a step records as made by the move (see `ownedBy`: never the account's shared image). */
function own(state: MoveState, step: MoveStepId, r: CloudResource): MoveResource[] {
	if (!ownedBy(state.deploymentId, r)) return [];
	return [{ kind: r.kind as MoveResource['kind'], id: r.id, name: r.name, step }];
}

/** Polls the status link until `check` returns a result, or the deadline passes. */
async function watch<T>(
	ports: MovePorts,
	timeoutMs: number,
	pollMs: number,
	signal: AbortSignal,
	check: (s: ServerStatus) => T | undefined,
	timedOut: () => Error
): Promise<T> {
	const deadline = ports.clock.now() + timeoutMs;
	for (;;) {
		let status: ServerStatus | undefined;
		try {
			status = await ports.link.status(signal);
		} catch (e) {
			if (e instanceof MoveStepFailure) throw e;
			if (signal.aborted) throw e;
			// Not reachable yet (booting, DNS not there yet): keep looking until the deadline.
		}
		if (status) {
			const result = check(status);
			if (result !== undefined) return result;
		}
		if (ports.clock.now() >= deadline) throw timedOut();
		await ports.clock.sleep(pollMs, signal);
	}
}

function serverAddr(state: MoveState): { ipv4?: string; ipv6?: string } {
	const o = out(state, 'wait-server');
	return { ipv4: opt(o, 'ipv4'), ipv6: opt(o, 'ipv6') };
}

export async function performMoveStep(
	ports: MovePorts,
	state: MoveState,
	step: MoveStepId,
	observe: boolean,
	signal: AbortSignal,
	timings: MoveTimings = DEFAULT_MOVE_TIMINGS
): Promise<MoveStepResult> {
	const { input, labels } = state.plan;
	const spec = state.plan.steps.find((s) => s.id === step)!;
	const name = spec.name ?? '';
	switch (step) {
		case 'read-dns': {
			// Only reads: the records as they are before the move, to put back after a failure.
			const names = allNames(state);
			const z = await zones(ports, names);
			const records: RecordSet[] = [];
			const byZone = new Map<string, RecordSet[]>();
			for (const zone of new Set(z.values())) byZone.set(zone.id, await ports.dns.list(zone));
			for (const fqdn of names) {
				const zone = z.get(fqdn)!;
				for (const r of byZone.get(zone.id) ?? [])
					if (r.name === fqdn && (r.type === 'A' || r.type === 'AAAA')) records.push(r);
			}
			return { output: { records } };
		}
		case 'lower-ttl': {
			const records = originalRecords(state);
			const z = await zones(ports, allNames(state));
			await Promise.all(
				records
					.filter((r) => r.ttl > timings.lowTtl)
					.map((r) => ports.dns.upsert(z.get(r.name)!, { ...r, ttl: timings.lowTtl }))
			);
			// The status address must lead to the current server while it makes the backup.
			if (!records.some((r) => r.name === input.adminHost)) {
				const from = { ipv4: input.from.ipv4, ipv6: input.from.ipv6 };
				await pointAt(ports, [input.adminHost], from, timings.lowTtl);
			}
			const maxTtl = Math.max(0, ...records.map((r) => r.ttl));
			return { output: { loweredAt: ports.clock.now(), maxTtl } };
		}
		case 'backup': {
			const requestId = backupRequestId(input);
			const parent = await ports.git.head(ports.repo);
			const files = await ports.artifacts.bundle({ repo: ports.repo, requests: { backup: requestId } });
			try {
				const { sha } = await ports.git.commit(
					ports.repo,
					files,
					'Back up now, before moving to a new server',
					parent,
					ports.artifacts.sign
				);
				return { output: { requestId, sha } };
			} catch (e) {
				// Someone else committed meanwhile: the next attempt builds on the new head.
				if (isProviderError(e) && e.code === 'conflict')
					throw new ProviderError({
						code: 'unavailable',
						provider: ports.git.displayName,
						message: 'The settings repository changed meanwhile.',
						action: 'nassella tries again by itself.'
					});
				throw e;
			}
		}
		case 'wait-backup': {
			const requestId = str(out(state, 'backup'), 'requestId');
			return watch(
				ports,
				timings.backupTimeoutMs,
				timings.pollMs,
				signal,
				(s) => {
					const r = s.requests?.backup;
					if (!r || r.id !== requestId) return undefined;
					if (r.state === 'failed')
						throw new MoveStepFailure({
							code: 'unavailable',
							provider: 'your server',
							message: `The current server could not make a backup${r.error ? `: ${r.error}` : '.'}`,
							action: 'Nothing was changed. Check the backup settings on the dashboard, then try the move again.'
						});
					if (r.state !== 'done') return undefined;
					return {
						output: {
							snapshot: s.backup?.snapshots?.[0]?.id ?? null,
							identity: s.identity ?? null,
							at: r.at ?? null
						}
					};
				},
				() =>
					new ProviderError({
						code: 'network',
						provider: 'your server',
						message: 'The current server has not finished the backup yet.',
						action: 'nassella keeps waiting; a large backup can take a while.'
					})
			);
		}
		case 'image': {
			const r = await ports.cloud.ensureImage(input.to.region, labels);
			return { output: { imageId: r.id }, created: own(state, step, r) };
		}
		case 'ssh-key': {
			const key = input.sshPublicKey;
			if (!key) throw new Error('No SSH key was given.');
			const r = await ensureObserved(ports, state, 'ssh-key', name, observe, () =>
				ports.cloud.ensureSshKey(name, key, labels)
			);
			return { output: { sshKeyId: r.id }, created: own(state, step, r) };
		}
		case 'volume': {
			const r = await ensureObserved(ports, state, 'volume', name, observe, () =>
				ports.cloud.ensureVolume(name, input.to.region, input.volumeGiB, labels)
			);
			return { output: { volumeId: r.id, volumeName: r.name }, created: own(state, step, r) };
		}
		case 'firewall': {
			const r = await ensureObserved(ports, state, 'firewall', name, observe, () =>
				ports.cloud.ensureFirewall(name, Boolean(input.sshPublicKey), labels)
			);
			return { output: { firewallId: r.id }, created: own(state, step, r) };
		}
		case 'server': {
			const volume = out(state, 'volume');
			const snapshot = out(state, 'wait-backup').snapshot;
			const r = await ensureObserved(ports, state, 'server', name, observe, async () =>
				ports.cloud.ensureServer({
					name,
					region: input.to.region,
					size: input.to.size,
					imageId: str(out(state, 'image'), 'imageId'),
					userData: await ports.artifacts.ignition({
						repo: ports.repo,
						volume: { id: str(volume, 'volumeId'), name: str(volume, 'volumeName') },
						...(typeof snapshot === 'string' ? { snapshot } : {})
					}),
					volumeIds: [str(volume, 'volumeId')],
					firewallId: str(out(state, 'firewall'), 'firewallId'),
					sshKeyIds: state.steps['ssh-key'] ? [str(out(state, 'ssh-key'), 'sshKeyId')] : [],
					labels
				})
			);
			return { output: { serverId: r.id, serverName: r.name }, created: own(state, step, r) };
		}
		case 'wait-server': {
			const serverId = str(out(state, 'server'), 'serverId');
			const noAddress = 'The new server started but has no address yet.';
			return { output: await waitForAddress(ports.cloud, serverId, signal, noAddress) };
		}
		case 'point-admin': {
			await pointAt(ports, [input.adminHost], serverAddr(state), timings.lowTtl);
			return { output: { pointedAt: ports.clock.now() } };
		}
		case 'wait-restore': {
			const snapshot = out(state, 'wait-backup').snapshot;
			const identity = out(state, 'wait-backup').identity;
			return watch(
				ports,
				timings.restoreTimeoutMs,
				timings.pollMs,
				signal,
				(s) => {
					// Only the new server reports a restore; the old one never ran one for this snapshot.
					const r = s.restore;
					if (!r || (typeof snapshot === 'string' && r.snapshot && !sameSnapshot(r.snapshot, snapshot)))
						return undefined;
					if (r.state === 'failed')
						throw new MoveStepFailure({
							code: 'unavailable',
							provider: 'the new server',
							message: `The new server could not restore your data${r.error ? `: ${r.error}` : '.'}`,
							action:
								'Your current server keeps serving and your addresses were not changed. Try again, or give up the move to remove the new server.'
						});
					if (r.state !== 'done' || !allHealthy(s, ports.apps)) return undefined;
					if (typeof identity === 'string' && s.identity && s.identity !== identity)
						throw new MoveStepFailure({
							code: 'invalid',
							provider: 'the new server',
							message: 'The new server does not have the same identity as the current one.',
							action: 'Your current server keeps serving. Give up this move and start it again.'
						});
					return { output: { restoredSnapshot: r.snapshot ?? null, apps: Object.keys(s.apps) } };
				},
				() =>
					new MoveStepFailure({
						code: 'unavailable',
						provider: 'the new server',
						message: 'Not every app became healthy on the new server in time.',
						action:
							'Your current server keeps serving and your addresses were not changed. Try again, or give up the move to remove the new server.'
					})
			);
		}
		case 'switch-dns': {
			const lowered = out(state, 'lower-ttl');
			const loweredAt = typeof lowered.loweredAt === 'number' ? lowered.loweredAt : 0;
			const maxTtl = typeof lowered.maxTtl === 'number' ? lowered.maxTtl : 0;
			// Caches may hold the old records for their old TTL: let that pass first (bounded).
			const until = loweredAt + Math.min(maxTtl * 1000, timings.ttlWaitCapMs);
			const now = ports.clock.now();
			if (until > now) await ports.clock.sleep(until - now, signal);
			await pointAt(ports, allNames(state), serverAddr(state), timings.ttl);
			return { output: { switchedAt: ports.clock.now() } };
		}
		case 'check-https': {
			const addr = serverAddr(state);
			await waitUntilAnswering(
				ports,
				input.hosts.map((h) => h.fqdn),
				addr,
				{ intervalMs: timings.pollMs, timeoutMs: timings.httpsTimeoutMs },
				signal,
				(fqdn) =>
					new ProviderError({
						code: 'network',
						provider: 'the new server',
						message: `${fqdn} does not point at the new server yet.`,
						action: 'DNS changes can take a few minutes to spread. nassella keeps checking.'
					})
			);
			const server = out(state, 'server');
			await ports.adopt({
				server: { id: str(server, 'serverId'), name: str(server, 'serverName'), ...addr },
				created: state.created
			});
			return { output: { hosts: input.hosts.map((h) => h.fqdn) } };
		}
		case 'remove-old': {
			const order = ['server', 'firewall', 'volume', 'ssh-key'] as const;
			for (const kind of order)
				await Promise.all(input.from.resources.filter((r) => r.kind === kind).map((r) => ports.fromCloud.delete(r)));
			return { output: { removed: input.from.resources.map((r) => `${r.kind}:${r.id}`) } };
		}
	}
}
