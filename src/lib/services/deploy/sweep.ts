/**
 * The orphan sweep: everything nassella labelled in a cloud account that no deployment in
 * this vault knows (a tab closed before its state was stored, a vault lost and rebuilt).
 * It only lists; removing runs after the person confirmed, one resource at a time.
 */
import { findOrphans, imagesInUse } from '../../core/deploy/sweep.ts';
import type { DeploymentState } from '../../core/deploy/machine.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../core/labels.ts';
import type { CloudProvider, CloudResource } from '../../ports/cloud.ts';
import type { DeploymentStore } from '../../ports/deploy.ts';

export async function listOrphans(cloud: CloudProvider, store: DeploymentStore): Promise<CloudResource[]> {
	const [labelled, known] = await Promise.all([
		cloud.findByLabels({ [MANAGED_BY_LABEL]: MANAGED_BY_VALUE }),
		store.list()
	]);
	// A shared Flatcar image is offered only once no deployment in the vault uses it.
	const states = (await Promise.all(known.map((id) => store.load(id)))).filter(
		(s): s is DeploymentState => s !== undefined
	);
	return findOrphans(labelled, new Set(known), imagesInUse(states));
}

/** Removes the given orphans (servers first); returns those that could not be removed. */
export async function removeOrphans(cloud: CloudProvider, orphans: readonly CloudResource[]): Promise<CloudResource[]> {
	const order = ['server', 'firewall', 'volume', 'ssh-key', 'snapshot', 'image'];
	const left: CloudResource[] = [];
	for (const kind of order) {
		const group = orphans.filter((o) => o.kind === kind);
		const results = await Promise.allSettled(group.map((o) => cloud.delete(o)));
		results.forEach((r, i) => {
			if (r.status === 'rejected') left.push(group[i]!);
		});
	}
	return left;
}
