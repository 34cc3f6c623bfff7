/** The dashboard wired to the app's vault, git hosts, server links and provider metrics. */
import { dashboardEnvironment } from '../main/dashboard.ts';
import { DashboardState } from './dashboard.svelte.ts';
import { MetricsState } from './metrics.svelte.ts';
import { storedProxyBase } from './proxy.svelte.ts';

export function createDashboard(): DashboardState {
	return new DashboardState(dashboardEnvironment());
}

/** The provider's charts for the selected server, or undefined when there is none. */
export async function metricsFor(dash: DashboardState): Promise<MetricsState | undefined> {
	const d = dash.deployment;
	if (!d) return undefined;
	return MetricsState.forDeployment(d.setup, d.state, storedProxyBase());
}

export { DashboardState, MetricsState };
