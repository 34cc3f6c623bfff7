/**
 * Taking over a running deployment after the browser's data was lost: the vault file
 * (imported with its passphrase) holds the tokens, the setup and the server's keys, but the
 * deployment record may be missing or stale (exported before the deployment finished). This
 * finds what the deployment made by its labels and deterministic names (cloud resources,
 * the settings repository, the DNS records) and rebuilds a finished deployment record, so
 * the deployment can be managed or moved again. It only looks: nothing is created,
 * changed or removed.
 */
import { ProviderError } from '../../core/errors.ts';
import { initialState, type CreatedResource, type DeploymentState } from '../../core/deploy/machine.ts';
import { stepSpec, type Plan, type StepId } from '../../core/deploy/plan.ts';
import type { CloudProvider, CloudResource } from '../../ports/cloud.ts';
import type { Clock, DeploymentStore } from '../../ports/deploy.ts';
import type { DnsProvider } from '../../ports/dns.ts';
import type { GitHost, RepoRef } from '../../ports/git-host.ts';
import { repoFromOutput } from '../deploy/steps.ts';

export interface TakeoverPorts {
	cloud: CloudProvider;
	dns: DnsProvider;
	git: GitHost;
	store: DeploymentStore;
	clock: Clock;
}

export interface Findings {
	server: { id: string; name: string; ipv4?: string; ipv6?: string };
	/** Other servers of this deployment (an unfinished move): listed, never adopted. */
	otherServers: { id: string; name: string }[];
	cloud: CloudResource[];
	repo: RepoRef;
	head: string | undefined;
	records: { fqdn: string; type: 'A' | 'AAAA'; zoneId: string; zoneName: string; value: string }[];
}

const KIND_STEP: Partial<Record<CloudResource['kind'], StepId>> = {
	image: 'image',
	'ssh-key': 'ssh-key',
	volume: 'volume',
	firewall: 'firewall',
	server: 'server'
};

function notFound(provider: string, message: string, action: string): ProviderError {
	return new ProviderError({ code: 'not-found', provider, message, action });
}

/** Looks for everything the deployment of `plan` made. */
export async function findDeployment(ports: TakeoverPorts, plan: Plan, knownRepo?: RepoRef): Promise<Findings> {
	const cloud = await ports.cloud.findByLabels(plan.labels);
	const servers = cloud.filter((r) => r.kind === 'server');
	if (servers.length === 0)
		throw notFound(
			ports.cloud.displayName,
			`No server of this deployment was found at ${ports.cloud.displayName}.`,
			'Check that the vault file is the one of this server and that its cloud token still works. If the server was removed, set it up again: your backups restore onto a new one.'
		);
	// The repository an older record names; otherwise the deterministic name (the git host adopts only a nassella repository).
	const repo =
		knownRepo ??
		(await ports.git.ensureRepo(stepSpec(plan, 'repo').name!, 'Settings of a nassella server. Managed by nassella.'));
	const head = await ports.git.head(repo);
	const records: Findings['records'] = [];
	const zones = new Map<string, Awaited<ReturnType<DnsProvider['list']>>>();
	for (const { fqdn } of plan.input.hosts) {
		const zone = await ports.dns.findZone(fqdn);
		if (!zones.has(zone.id)) zones.set(zone.id, await ports.dns.list(zone));
		for (const r of zones.get(zone.id) ?? [])
			if (r.name === fqdn && (r.type === 'A' || r.type === 'AAAA') && r.values[0])
				records.push({ fqdn, type: r.type, zoneId: zone.id, zoneName: zone.name, value: r.values[0] });
	}
	// With several servers (a move was under way), the one the app addresses point at is the deployment's.
	const withAddress = await Promise.all(servers.map((s) => ports.cloud.waitForServer(s.id)));
	const pointed = new Set(records.map((r) => r.value));
	const chosen =
		withAddress.find((s) => (s.ipv4 && pointed.has(s.ipv4)) || (s.ipv6 && pointed.has(s.ipv6))) ??
		withAddress.find((s) => s.name === stepSpec(plan, 'server').name) ??
		withAddress[0]!;
	return {
		server: { id: chosen.id, name: chosen.name, ipv4: chosen.ipv4, ipv6: chosen.ipv6 },
		otherServers: withAddress.filter((s) => s.id !== chosen.id).map((s) => ({ id: s.id, name: s.name })),
		cloud: cloud.filter((r) => r.kind !== 'server' || r.id === chosen.id),
		repo,
		head,
		records
	};
}

/** Pure: a finished deployment record for what was found. */
export function adoptedState(plan: Plan, found: Findings, now: number, previous?: DeploymentState): DeploymentState {
	const state = initialState(plan, now);
	const one = (kind: CloudResource['kind']) => found.cloud.find((r) => r.kind === kind);
	const outputs: Partial<Record<StepId, Record<string, string | string[] | number | boolean | null>>> = {
		image: { imageId: one('image')?.id ?? null },
		volume: { volumeId: one('volume')?.id ?? null },
		firewall: { firewallId: one('firewall')?.id ?? null },
		repo: {
			fullName: found.repo.fullName,
			sshUrl: found.repo.sshUrl,
			defaultBranch: found.repo.defaultBranch,
			hostKeys: found.repo.hostKeys
		},
		'deploy-key': { deployKeyId: null },
		commit: { sha: found.head ?? null },
		server: { serverId: found.server.id },
		'wait-server': { ipv4: found.server.ipv4 ?? null, ipv6: found.server.ipv6 ?? null },
		dns: { records: found.records.map((r) => `${r.fqdn}|${r.type}`) },
		'wait-https': { hosts: plan.input.hosts.map((h) => h.fqdn) }
	};
	if (plan.steps.some((s) => s.id === 'ssh-key')) outputs['ssh-key'] = { sshKeyId: one('ssh-key')?.id ?? null };
	for (const spec of plan.steps) state.steps[spec.id] = { status: 'done', attempts: 1, output: outputs[spec.id] ?? {} };
	const resources: CreatedResource[] = [];
	for (const r of found.cloud) {
		const step = KIND_STEP[r.kind];
		if (step && plan.steps.some((s) => s.id === step))
			resources.push({ kind: r.kind as CreatedResource['kind'], id: r.id, name: r.name, step });
	}
	resources.push({ kind: 'repo', id: found.repo.fullName, name: found.repo.fullName, step: 'repo' });
	for (const r of found.records)
		resources.push({
			kind: 'dns-record',
			id: `${r.fqdn}|${r.type}`,
			name: r.fqdn,
			step: 'dns',
			extra: { zoneId: r.zoneId, zoneName: r.zoneName, type: r.type }
		});
	return {
		...state,
		phase: 'done',
		resources,
		createdAt: previous?.createdAt ?? now,
		// Newer than anything another tab may still hold.
		rev: (previous?.rev ?? 0) + 1
	};
}

/** Finds the deployment's resources and stores the rebuilt record. */
export async function takeOver(ports: TakeoverPorts, plan: Plan): Promise<{ state: DeploymentState; found: Findings }> {
	const previous = await ports.store.load(plan.deploymentId).catch(() => undefined);
	const repoOut = previous?.steps.repo?.status === 'done' ? previous.steps.repo.output : undefined;
	const found = await findDeployment(ports, plan, repoOut ? repoFromOutput(repoOut) : undefined);
	const state = adoptedState(plan, found, ports.clock.now(), previous);
	await ports.store.save(state);
	return { state, found };
}
