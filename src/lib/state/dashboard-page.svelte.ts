/** The dashboard wired to the app's vault, git hosts and server links. */
import { dashboardEnvironment } from '../main/dashboard.ts';
import { DashboardState } from './dashboard.svelte.ts';

export function createDashboard(): DashboardState {
	return new DashboardState(dashboardEnvironment());
}

export { DashboardState };
