/**
 * Composition root: the one place that picks adapters for the ports and hands them to
 * the state layer. Pages never import adapters or vendor libraries themselves.
 */
import { dev } from '$app/environment';
import { serviceWorkerUpdates, webOperationLocks } from '../adapters/pwa/service-worker.ts';
import type { AppUpdates, OperationLocks } from '../ports/app-updates.ts';

export interface AppParts {
	updates: AppUpdates;
	locks: OperationLocks;
}

let parts: AppParts | undefined;

export function appParts(): AppParts {
	parts ??= {
		updates: serviceWorkerUpdates('/service-worker.js', dev),
		locks: webOperationLocks()
	};
	return parts;
}

/** Git host choices (real and sandbox) and the commit-signing key; adapters load on demand. */
export {
	gitHostChoices,
	generateSshKey,
	commitSignerFor,
	openSshPrivateKeyFile,
	COMMIT_IDENTITY
} from './git-hosts.ts';
