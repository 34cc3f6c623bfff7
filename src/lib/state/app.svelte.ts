import { appParts } from '../main/app.ts';
import { AppVersionState } from './app-version.svelte.ts';

let version: AppVersionState | undefined;

/** The one AppVersionState of this page. */
export function appVersion(): AppVersionState {
	if (!version) {
		const parts = appParts();
		version = new AppVersionState(parts.updates, parts.locks);
	}
	return version;
}
