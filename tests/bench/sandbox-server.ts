/**
 * The sandbox as `npm start` serves it (the GitHub sandbox and the provider sandboxes), in a
 * process of its own for the deploy benchmark, on a free loopback port it prints as JSON.
 * `/sandbox/_control/latency` delays the sandbox GitHub's answers as well as the others'.
 */
import type { AddressInfo } from 'node:net';
import { createLocalServer, type Mount } from '../../workers/local/server.ts';
import { githubSandboxMount } from '../../workers/sandbox/github/index.ts';
import { sandboxMount } from '../../workers/sandbox/index.ts';

let githubLatency = 0;
const github = githubSandboxMount();
// The sandbox servers pull their bundles from that git host in-process, as with `npm start`.
const sandbox = sandboxMount(undefined, { git: () => github.fake });
const mounts: Mount[] = [
	{
		prefix: github.prefix,
		handler: async (req, res) => {
			if (githubLatency) await new Promise((r) => setTimeout(r, githubLatency));
			return github.handler(req, res);
		}
	},
	{
		prefix: sandbox.prefix,
		handler: async (req, res) => {
			if (req.method === 'POST' && req.url?.startsWith('/sandbox/_control/latency?github=')) {
				githubLatency = Math.max(0, Math.min(10_000, Number(new URL(req.url, 'http://x').searchParams.get('github'))));
			}
			return sandbox.handler(req, res);
		}
	}
];
const server = createLocalServer({ root: 'static', mounts });
server.listen(0, '127.0.0.1', () => {
	console.log(JSON.stringify({ port: (server.address() as AddressInfo).port }));
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
