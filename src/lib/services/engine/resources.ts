/**
 * Look before you create, and what counts as made by this deployment: the rules every long
 * operation (deploy, move, and any later one) follows at the cloud provider, so a resumed
 * or repeated step never makes a second resource and never claims someone else's.
 */
import { isProviderError } from '../../core/errors.ts';
import { DEPLOYMENT_LABEL, type Labels } from '../../core/labels.ts';
import { isSharedImage } from '../../core/deploy/sweep.ts';
import type { CloudProvider, CloudResource } from '../../ports/cloud.ts';

/**
 * Whether `r` may be recorded as made by deployment `deploymentId`: never something that
 * carries another deployment's label, and never the account's shared Flatcar image (it
 * belongs to the account: other deployments may boot from it), so removing a deployment,
 * or giving up a move, cannot remove what belongs to someone else.
 */
export function ownedBy(deploymentId: string, r: Pick<CloudResource, 'kind' | 'labels'>): boolean {
	const owner = r.labels[DEPLOYMENT_LABEL];
	if (owner !== undefined && owner !== deploymentId) return false;
	return !isSharedImage(r);
}

/**
 * Creates through `create`, but first (when `observe`) and after a 409 asks `look` for what
 * may already be there, so a resumed or repeated step never makes a second one.
 */
export async function lookThenCreate<T>(
	look: () => Promise<T | undefined>,
	create: () => Promise<T>,
	observe: boolean
): Promise<T> {
	if (observe) {
		const existing = await look();
		if (existing) return existing;
	}
	try {
		return await create();
	} catch (e) {
		if (isProviderError(e) && e.code === 'conflict') {
			const existing = await look();
			if (existing) return existing;
		}
		throw e;
	}
}

/** The resource of `kind` carrying `labels` (named `name`, when given). */
export async function findLabelled(
	cloud: CloudProvider,
	labels: Labels,
	kind: CloudResource['kind'],
	name: string | undefined
): Promise<CloudResource | undefined> {
	const ofKind = (await cloud.findByLabels(labels)).filter((r) => r.kind === kind);
	return name ? ofKind.find((r) => r.name === name) : ofKind[0];
}

/** Creates a labelled cloud resource, looking for it by its labels and name first (when asked) and on a 409. */
export function ensureLabelled(
	cloud: CloudProvider,
	labels: Labels,
	kind: CloudResource['kind'],
	name: string | undefined,
	observe: boolean,
	create: () => Promise<CloudResource>
): Promise<CloudResource> {
	return lookThenCreate(() => findLabelled(cloud, labels, kind, name), create, observe);
}
