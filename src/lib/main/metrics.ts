/**
 * Where a deployment's provider metrics come from: its cloud account (the adapter the setup
 * chose, with the token from the vault) and its server's id (from the deployment's state).
 * The adapter loads on demand, so none of this weighs on the first page.
 */
import type { DeploymentState } from '../core/deploy/machine.ts';
import type { MetricsLoader } from '../core/metrics.ts';
import type { CloudProvider } from '../ports/cloud.ts';
import { cloudChoices } from './providers.ts';

export type { MetricsLoader } from '../core/metrics.ts';

/** A loader for one server of a cloud account, or undefined when the provider has no metrics API. */
export function cloudMetricsLoader(cloud: CloudProvider, serverId: string): MetricsLoader | undefined {
	if (!cloud.serverMetrics) return undefined;
	return (query, signal) => cloud.serverMetrics!(serverId, query, signal);
}

/** The id of the deployment's server, if it has one (created and not removed). */
export function deploymentServerId(state: Pick<DeploymentState, 'resources'>): string | undefined {
	return state.resources.filter((r) => r.kind === 'server').at(-1)?.id;
}

/**
 * The loader for a deployment's server, from the setup's cloud choice and token; undefined
 * when the deployment has no server (yet) or its provider offers no metrics.
 */
export async function deploymentMetricsLoader(
	setup: { cloud: { provider: string; token: string } },
	state: Pick<DeploymentState, 'resources'>,
	proxyBase?: string
): Promise<MetricsLoader | undefined> {
	const serverId = deploymentServerId(state);
	const choice = cloudChoices.find((c) => c.id === setup.cloud.provider);
	if (!serverId || !choice) return undefined;
	return cloudMetricsLoader(await choice.create({ token: setup.cloud.token, proxyBase }), serverId);
}
