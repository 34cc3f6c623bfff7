import { deployEnvironment } from '../main/deploy.ts';
import { SetupWizardState } from './deploy-setup.svelte.ts';

/** A wizard for this page, wired to the app's providers and vault. */
export function createSetupWizard(): SetupWizardState {
	return new SetupWizardState(deployEnvironment());
}

export { SetupWizardState, WIZARD_STEPS, WIZARD_TITLES, type WizardStep, type Check } from './deploy-setup.svelte.ts';

export interface DoneApp {
	id: string;
	name: string;
	urls: string[];
	firstLogin: string;
}

/** What the done page shows: each app with its addresses and first-login notes. */
export class DoneState {
	apps = $state<DoneApp[]>([]);
	state = $state<'loading' | 'ready' | 'locked' | 'nothing'>('loading');

	async load(): Promise<void> {
		const env = deployEnvironment();
		const records = await env.records();
		if (!records) {
			this.state = 'locked';
			return;
		}
		const setup = await records.get('setup', 'current');
		if (!setup) {
			this.state = 'nothing';
			return;
		}
		const catalog = await env.apps();
		this.apps = catalog
			.filter((a) => setup.apps.includes(a.id))
			.map((a) => ({
				id: a.id,
				name: a.name,
				urls: a.entrypoints.map((e) => `https://${e.subdomain}.${setup.domain}/`),
				firstLogin: a.firstLogin
			}));
		this.state = 'ready';
	}
}
