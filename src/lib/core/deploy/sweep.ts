/**
 * Removing things: the order a deployment is taken down in, and the orphan sweep that
 * finds what nassella made but no deployment in the vault knows (a cost leak).
 */
import { DEPLOYMENT_LABEL, MANAGED_BY_LABEL, MANAGED_BY_VALUE, type Labels } from '../labels.ts';
import type { CreatedResource, ResourceKind } from './machine.ts';

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
 * Everything labelled managed-by=nassella whose deployment id is not among `known`, plus
 * everything that says nassella made it but carries no deployment id at all.
 */
export function findOrphans<T extends LabelledResource>(resources: readonly T[], known: ReadonlySet<string>): T[] {
	return resources.filter((r) => {
		if (r.labels[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE) return false;
		const id = r.labels[DEPLOYMENT_LABEL];
		return !id || !known.has(id);
	});
}
