/**
 * Removing things: the order a deployment is taken down in, and the orphan sweep that
 * finds what nassella made but no deployment in the vault knows (a cost leak).
 */
import { DEPLOYMENT_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Labels } from '../labels.ts';
import type { CreatedResource, DeploymentState, ResourceKind } from './machine.ts';

/** Servers go first (they hold the volume and the firewall), the repo last. */
const REMOVAL_ORDER: ResourceKind[] = [
	'dns-record',
	'server',
	'firewall',
	'volume',
	'ssh-key',
	'image',
	'deploy-key',
	'repo'
];

/** Groups of resources that may be removed in parallel, in order. */
export function removalStages(resources: readonly CreatedResource[]): CreatedResource[][] {
	const stages: CreatedResource[][] = [];
	for (const kind of REMOVAL_ORDER) {
		const group = resources.filter((r) => r.kind === kind);
		// The deploy key goes with the repo; removing the repo is enough.
		if (group.length && kind !== 'deploy-key') stages.push(group);
	}
	return stages;
}

export interface LabelledResource {
	kind: string;
	id: string;
	name: string;
	labels: Labels;
}

/**
 * The Flatcar image (or Hetzner snapshot) that every deployment of one account shares, one
 * per region: labelled managed-by=nassella but with no deployment id. No deployment owns
 * it, so no deployment's destroy removes it; the sweep offers it once nothing uses it.
 */
export function isSharedImage(r: { kind: string; labels: Labels }): boolean {
	return (
		(r.kind === 'image' || r.kind === 'snapshot') &&
		r.labels[MANAGED_BY_LABEL] === MANAGED_BY_VALUE &&
		!r.labels[DEPLOYMENT_LABEL]
	);
}

/** The ids of the shared images that deployments in the vault still use (any not destroyed). */
export function imagesInUse(states: readonly DeploymentState[]): Set<string> {
	const ids = new Set<string>();
	for (const s of states) {
		if (s.phase === 'destroyed') continue;
		for (const out of [s.steps.image?.output, s.steps.server?.output]) {
			const id = out?.imageId;
			if (typeof id === 'string') ids.add(id);
		}
	}
	return ids;
}

/**
 * Everything labelled managed-by=nassella whose deployment id is not among `known`, plus
 * everything that says nassella made it but carries no deployment id at all, except the
 * shared images listed in `inUse`.
 */
export function findOrphans<T extends LabelledResource>(
	resources: readonly T[],
	known: ReadonlySet<string>,
	inUse: ReadonlySet<string> = new Set()
): T[] {
	return resources.filter((r) => {
		if (r.labels[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) return false;
		if (isSharedImage(r) && inUse.has(r.id)) return false;
		const id = r.labels[DEPLOYMENT_LABEL];
		return !id || !known.has(id);
	});
}
