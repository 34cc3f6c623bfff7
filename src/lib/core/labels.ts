/**
 * Every resource nassella creates carries these labels (Hetzner labels, DigitalOcean tags),
 * so a resumed step finds what an earlier attempt made, and a sweep finds what nothing knows.
 */
export const MANAGED_BY_LABEL = 'managed-by';
export const MANAGED_BY_VALUE = 'nassella';
export const DEPLOYMENT_LABEL = 'nassella-deployment';

export type Labels = Readonly<Record<string, string>>;

/** Deployment ids are short, lowercase and safe in every provider's names and labels. */
export const DEPLOYMENT_ID_PATTERN = /^[a-z0-9]{8,16}$/;

export function deploymentLabels(deploymentId: string): Labels {
	if (!DEPLOYMENT_ID_PATTERN.test(deploymentId))
		throw new Error('A deployment id is 8 to 16 lowercase letters or digits.');
	return { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE, [DEPLOYMENT_LABEL]: deploymentId };
}

/** Deterministic resource names: the same deployment and role always give the same name. */
export function resourceName(deploymentId: string, role: string): string {
	if (!DEPLOYMENT_ID_PATTERN.test(deploymentId))
		throw new Error('A deployment id is 8 to 16 lowercase letters or digits.');
	if (!/^[a-z][a-z0-9-]{0,20}$/.test(role)) throw new Error('A resource role is a short lowercase word.');
	return `nassella-${deploymentId}-${role}`;
}
