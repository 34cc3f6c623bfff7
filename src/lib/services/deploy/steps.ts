/**
 * What each deploy step does through the ports. Every step looks before it creates when
 * an earlier attempt may have left something behind (`observe`), and treats "it already
 * exists" (409) as "find it and adopt it". Nothing here keeps state: results go back to
 * the runner as output + created resources.
 */
import { isProviderError, ProviderError } from '../../core/errors.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../core/labels.ts';
import { isSharedImage } from '../../core/deploy/sweep.ts';
import { dedynZoneOf } from '../../core/deploy/setup.ts';
import type { CreatedResource, DeploymentState, StepOutput } from '../../core/deploy/machine.ts';
import { stepSpec, type StepId } from '../../core/deploy/plan.ts';
import type { CloudProvider, CloudResource } from '../../ports/cloud.ts';
import type { DnsProvider, Zone } from '../../ports/dns.ts';
import type { GitHost, RepoRef } from '../../ports/git-host.ts';
import type { AppProbe, Clock, DeployArtifacts } from '../../ports/deploy.ts';
import { ensureLabelled, findLabelled, ownedBy } from '../engine/resources.ts';
import { optionalText, outputOf, text, waitForAddress, waitUntilAnswering } from '../engine/steps.ts';

export interface StepPorts {
	cloud: CloudProvider;
	dns: DnsProvider;
	git: GitHost;
	probe: AppProbe;
	artifacts: DeployArtifacts;
	clock: Clock;
}

export interface StepTimings {
	/** How often an app is checked while waiting for HTTPS. */
	probeIntervalMs: number;
	/** How long to wait for every app before giving up (the step can be retried). */
	probeTimeoutMs: number;
	ttl: number;
}

export const DEFAULT_TIMINGS: StepTimings = { probeIntervalMs: 5_000, probeTimeoutMs: 15 * 60_000, ttl: 300 };

export interface StepResult {
	output: StepOutput;
	resources: CreatedResource[];
}

type CloudKind = CloudResource['kind'];

const out = (state: DeploymentState, step: StepId): StepOutput => outputOf(state.steps, step);
const str = text;

export function repoFromOutput(o: StepOutput): RepoRef {
	return {
		fullName: str(o, 'fullName'),
		sshUrl: str(o, 'sshUrl'),
		defaultBranch: str(o, 'defaultBranch'),
		hostKeys: Array.isArray(o.hostKeys) ? o.hostKeys : []
	};
}

function findOwn(
	ports: StepPorts,
	state: DeploymentState,
	kind: CloudKind,
	name: string | undefined
): Promise<CloudResource | undefined> {
	return findLabelled(ports.cloud, state.plan.labels, kind, name);
}

function ensureObserved(
	ports: StepPorts,
	state: DeploymentState,
	kind: CloudKind,
	name: string | undefined,
	observe: boolean,
	create: () => Promise<CloudResource>
): Promise<CloudResource> {
	return ensureLabelled(ports.cloud, state.plan.labels, kind, name, observe, create);
}

/** What a step records as made by this deployment (see `ownedBy`). */
function cloudCreated(state: DeploymentState, step: StepId, r: CloudResource): CreatedResource[] {
	if (!ownedBy(state.id, r)) return [];
	return [{ kind: r.kind as CreatedResource['kind'], id: r.id, name: r.name, step }];
}

/**
 * The zone of `fqdn`; a free dedyn.io name the account does not hold yet is claimed first
 * (the wizard claims it when the token is checked; this covers a setup resumed elsewhere).
 */
export async function findOrClaimZone(dns: DnsProvider, fqdn: string): Promise<Zone> {
	try {
		return await dns.findZone(fqdn);
	} catch (e) {
		const free = dedynZoneOf(fqdn);
		if (!free || !dns.ensureZone || !isProviderError(e) || e.code !== 'not-found') throw e;
		return dns.ensureZone(free);
	}
}

/**
 * The wizard's check of the web address at the DNS provider, before anything is created:
 * the zone must be in the account. A free dedyn.io name (`free`) the account does not hold
 * yet is claimed now, so a name someone else holds is found at once. Returns the name when
 * it was claimed by this check.
 */
export async function checkDomainZone(dns: DnsProvider, domain: string, free: boolean): Promise<string | undefined> {
	try {
		await dns.findZone(domain);
		return undefined;
	} catch (e) {
		if (!free || !dns.ensureZone || !isProviderError(e) || e.code !== 'not-found') throw e;
		await dns.ensureZone(domain);
		return domain;
	}
}

/** Whether an image can be used for a server now (not still importing). */
function imageReady(r: CloudResource): boolean {
	return r.status === undefined || r.status === 'available' || r.status === 'ready';
}

/** Looks (without creating) for the region's Flatcar image, shared by the account's deployments. */
async function lookForImage(ports: StepPorts, region: string): Promise<CloudResource | undefined> {
	if (ports.cloud.findImage) return ports.cloud.findImage(region);
	const found = await ports.cloud.findByLabels({ [MANAGED_BY_LABEL]: MANAGED_BY_VALUE });
	return found.find((r) => isSharedImage(r) && (r.region === undefined || r.region === region));
}

/**
 * The region's image: one already there is adopted (another deployment of the account may
 * have made it, or an earlier attempt whose answer was lost); only when there is none, or
 * it is still importing, is the provider asked to make or finish it.
 */
async function ensureSharedImage(ports: StepPorts, state: DeploymentState): Promise<CloudResource> {
	const { input, labels } = state.plan;
	const found = await lookForImage(ports, input.cloud.region);
	if (found && imageReady(found)) return found;
	return ports.cloud.ensureImage(input.cloud.region, labels);
}

export async function performStep(
	ports: StepPorts,
	state: DeploymentState,
	step: StepId,
	observe: boolean,
	signal: AbortSignal,
	timings: StepTimings = DEFAULT_TIMINGS
): Promise<StepResult> {
	const { input, labels } = state.plan;
	const name = stepSpec(state.plan, step).name;
	switch (step) {
		case 'zone': {
			const zones: Zone[] = [];
			for (const { fqdn } of input.hosts) {
				if (zones.some((z) => fqdn === z.name || fqdn.endsWith('.' + z.name))) continue;
				zones.push(await findOrClaimZone(ports.dns, fqdn));
			}
			return { output: { zoneIds: zones.map((z) => z.id), zoneNames: zones.map((z) => z.name) }, resources: [] };
		}
		case 'image': {
			// Always looks first: the image is shared, so it is usually there already.
			const r = await ensureSharedImage(ports, state);
			return { output: { imageId: r.id }, resources: cloudCreated(state, step, r) };
		}
		case 'ssh-key': {
			const key = input.sshPublicKey;
			if (!key || !name) throw new Error('No SSH key was given.');
			const r = await ensureObserved(ports, state, 'ssh-key', name, observe, () =>
				ports.cloud.ensureSshKey(name, key, labels)
			);
			return { output: { sshKeyId: r.id }, resources: cloudCreated(state, step, r) };
		}
		case 'volume': {
			const r = await ensureObserved(ports, state, 'volume', name, observe, () =>
				ports.cloud.ensureVolume(name!, input.cloud.region, input.volumeGiB, labels)
			);
			return { output: { volumeId: r.id }, resources: cloudCreated(state, step, r) };
		}
		case 'firewall': {
			const r = await ensureObserved(ports, state, 'firewall', name, observe, () =>
				ports.cloud.ensureFirewall(name!, Boolean(input.sshPublicKey), labels)
			);
			return { output: { firewallId: r.id }, resources: cloudCreated(state, step, r) };
		}
		case 'repo': {
			// ensureRepo adopts an empty repo of that name, so it observes by itself.
			const repo = await ports.git.ensureRepo(name!, 'Settings of a nassella server. Managed by nassella.');
			// A host may start a new repo with a commit of its own (GitHub's README): the
			// bundle goes on top of it, and it is never mistaken for the bundle's commit.
			const initialHead = await ports.git.head(repo);
			return {
				output: {
					fullName: repo.fullName,
					sshUrl: repo.sshUrl,
					defaultBranch: repo.defaultBranch,
					hostKeys: repo.hostKeys,
					...(initialHead ? { initialHead } : {})
				},
				resources: [{ kind: 'repo', id: repo.fullName, name: repo.fullName, step }]
			};
		}
		case 'deploy-key': {
			const repo = repoFromOutput(out(state, 'repo'));
			const key = await ports.artifacts.deployKey();
			const { id } = await ports.git.ensureDeployKey(repo, key.title, key.publicKey);
			return { output: { deployKeyId: id }, resources: [{ kind: 'deploy-key', id, name: key.title, step }] };
		}
		case 'commit': {
			const repoOut = out(state, 'repo');
			const repo = repoFromOutput(repoOut);
			const initial = typeof repoOut.initialHead === 'string' ? repoOut.initialHead : undefined;
			// The repo was empty (or held only the host's first commit) when adopted, and only
			// this deployment writes to it: on a later attempt, a new head means an earlier
			// attempt's commit landed.
			const head = observe ? await ports.git.head(repo) : undefined;
			if (head && head !== initial) return { output: { sha: head }, resources: [] };
			const files = await ports.artifacts.bundle({ repo });
			try {
				const { sha } = await ports.git.commit(repo, files, 'Set up the server', initial, ports.artifacts.sign);
				return { output: { sha }, resources: [] };
			} catch (e) {
				if (isProviderError(e) && e.code === 'conflict') {
					const now = await ports.git.head(repo);
					if (now && now !== initial) return { output: { sha: now }, resources: [] };
				}
				throw e;
			}
		}
		case 'server': {
			const repo = repoFromOutput(out(state, 'repo'));
			const commit = str(out(state, 'commit'), 'sha');
			const existing = observe ? await findOwn(ports, state, 'server', name) : undefined;
			if (existing) return { output: { serverId: existing.id }, resources: cloudCreated(state, step, existing) };
			const create = (imageId: string) =>
				ensureObserved(ports, state, 'server', name, false, async () =>
					ports.cloud.ensureServer({
						name: name!,
						region: input.cloud.region,
						size: input.cloud.size,
						imageId,
						userData: await ports.artifacts.ignition({
							repo,
							commit,
							volume: { id: str(out(state, 'volume'), 'volumeId'), name: stepSpec(state.plan, 'volume').name! }
						}),
						volumeIds: [str(out(state, 'volume'), 'volumeId')],
						firewallId: str(out(state, 'firewall'), 'firewallId'),
						sshKeyIds: state.steps['ssh-key'] ? [str(out(state, 'ssh-key'), 'sshKeyId')] : [],
						labels
					})
				);
			const planned = str(out(state, 'image'), 'imageId');
			let imageId = planned;
			let r: CloudResource;
			try {
				r = await create(planned);
			} catch (e) {
				// The shared image may have gone since the image step (removed by hand or by the
				// sweep): look for the region's image again, make it only if there is none, and
				// create the server from that. Any other refusal stands.
				if (!isProviderError(e) || (e.code !== 'invalid' && e.code !== 'not-found')) throw e;
				const image = await lookForImage(ports, input.cloud.region);
				if (image && image.id === planned && imageReady(image)) throw e;
				const fresh = image && imageReady(image) ? image : await ports.cloud.ensureImage(input.cloud.region, labels);
				imageId = fresh.id;
				r = await create(imageId);
			}
			return {
				output: { serverId: r.id, imageId },
				resources: cloudCreated(state, step, r)
			};
		}
		case 'wait-server': {
			const serverId = str(out(state, 'server'), 'serverId');
			const noAddress = 'The server started but has no address yet.';
			return { output: await waitForAddress(ports.cloud, serverId, signal, noAddress), resources: [] };
		}
		case 'dns': {
			const addr = out(state, 'wait-server');
			// The zones the zone step found (plans stored before it existed look them up here).
			const found = state.steps.zone?.output;
			const zones: Zone[] =
				found && Array.isArray(found.zoneIds) && Array.isArray(found.zoneNames)
					? found.zoneIds.map((id, i) => ({ id, name: (found.zoneNames as string[])[i] ?? id }))
					: [];
			const zoneFor = async (fqdn: string): Promise<Zone> => {
				const known = zones.find((z) => fqdn === z.name || fqdn.endsWith('.' + z.name));
				if (known) return known;
				const zone = await findOrClaimZone(ports.dns, fqdn);
				zones.push(zone);
				return zone;
			};
			const created: CreatedResource[] = [];
			const records: { fqdn: string; type: 'A' | 'AAAA'; value: string }[] = [];
			for (const { fqdn } of input.hosts) {
				if (typeof addr.ipv4 === 'string') records.push({ fqdn, type: 'A', value: addr.ipv4 });
				if (typeof addr.ipv6 === 'string') records.push({ fqdn, type: 'AAAA', value: addr.ipv6 });
			}
			// Zones are looked up once (most hosts share one), then every record is written at once.
			const first = input.hosts[0];
			if (first) await zoneFor(first.fqdn);
			await Promise.all(
				records.map(async (r) => {
					const zone = await zoneFor(r.fqdn);
					await ports.dns.upsert(zone, { name: r.fqdn, type: r.type, ttl: timings.ttl, values: [r.value] });
					created.push({
						kind: 'dns-record',
						id: `${r.fqdn}|${r.type}`,
						name: r.fqdn,
						step,
						extra: { zoneId: zone.id, zoneName: zone.name, type: r.type }
					});
				})
			);
			created.sort((a, b) => a.id.localeCompare(b.id));
			return { output: { records: created.map((c) => c.id) }, resources: created };
		}
		case 'wait-https': {
			const addr = out(state, 'wait-server');
			const server = { ipv4: optionalText(addr, 'ipv4'), ipv6: optionalText(addr, 'ipv6') };
			await waitUntilAnswering(
				ports,
				input.hosts.map((h) => h.fqdn),
				server,
				{ intervalMs: timings.probeIntervalMs, timeoutMs: timings.probeTimeoutMs },
				signal,
				(fqdn) =>
					new ProviderError({
						code: 'network',
						provider: 'your server',
						message: ports.probe.why?.() ?? `${fqdn} does not answer yet.`,
						action:
							'Starting the apps and getting certificates can take a few minutes after the addresses change. Try again in a while; if it still fails, check that the domain’s DNS is managed where you said, and look at the server’s logs.'
					})
			);
			return { output: { hosts: input.hosts.map((h) => h.fqdn) }, resources: [] };
		}
	}
}
