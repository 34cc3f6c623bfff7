import type { Mount } from './server.ts';
import { githubSandboxMount } from '../sandbox/github/index.ts';

/** Handlers the local entry serves beside the app (the proxy and the sandbox providers). */
export async function localMounts(): Promise<Mount[]> {
	return [
		// The sandbox git host (a stateful fake of GitHub's REST API).
		githubSandboxMount()
	];
}
