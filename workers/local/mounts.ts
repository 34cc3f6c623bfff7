import type { Mount } from './server.ts';
import { createNodeProxy } from '../proxy/node.ts';
import { sandboxMount } from '../sandbox/index.ts';
import { githubSandboxMount } from '../sandbox/github/index.ts';

/** Handlers the local entry serves beside the app (the proxy and the sandbox providers). */
export async function localMounts(): Promise<Mount[]> {
	const github = githubSandboxMount();
	return [
		// The relay for providers without CORS, on the app's own origin (no CSP change needed).
		{ prefix: '/proxy/', handler: createNodeProxy({ basePath: '/proxy', sameOrigin: true }) },
		// The sandbox git host (a stateful fake of GitHub's REST API); before the other
		// sandboxes, since the first matching prefix wins.
		github,
		// The sandbox servers pull their bundles from that git host in-process.
		sandboxMount(undefined, { git: () => github.fake })
	];
}
