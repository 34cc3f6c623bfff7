import { appParts } from '../main/app.ts';
import { AppVersion } from './app-version.svelte.ts';

let version: AppVersion | undefined;

/** The one AppVersion of this page. */
export function appVersion(): AppVersion {
	if (!version) {
		const parts = appParts();
		version = new AppVersion(parts.updates, parts.locks);
	}
	return version;
}
