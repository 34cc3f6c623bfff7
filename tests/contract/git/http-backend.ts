/**
 * A real git smart-HTTP server on loopback for tests and benchmarks: Node's http server
 * runs `git http-backend` as a CGI program over bare repos in a temporary directory, with
 * pushes (receive-pack) enabled. Optionally demands HTTP Basic auth with one token.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

export interface GitServer {
	/** e.g. http://127.0.0.1:PORT/git — repos are at `${baseUrl}/owner/name.git`. */
	baseUrl: string;
	root: string;
	/** Creates an empty bare repo `owner/name.git`. */
	createRepo(fullName: string): string;
	/** Runs the real git in `dir` and returns stdout. */
	git(args: string[], dir?: string, env?: Record<string, string>): string;
	/** Count of requests served, by service. */
	requests: string[];
	close(): Promise<void>;
}

export async function startGitServer(options: { token?: string } = {}): Promise<GitServer> {
	const root = mkdtempSync(join(tmpdir(), 'nassella-git-'));
	const requests: string[] = [];
	const git = (args: string[], dir = root, env: Record<string, string> = {}) =>
		execFileSync('git', args, {
			cwd: dir,
			encoding: 'utf8',
			env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', HOME: root, ...env },
			stdio: ['ignore', 'pipe', 'pipe']
		});

	// The HTTP server runs in a worker thread, so tests may call the real git synchronously
	// (execFileSync) against it without blocking its event loop.
	const worker = new Worker(new URL('./http-backend-worker.ts', import.meta.url), {
		workerData: { root, token: options.token }
	});
	const port = await new Promise<number>((resolve, reject) => {
		worker.once('message', (message: { port: number }) => resolve(message.port));
		worker.once('error', reject);
	});
	worker.on('message', (message: { request?: string }) => {
		if (message.request) requests.push(message.request);
	});

	return {
		baseUrl: `http://127.0.0.1:${port}/git`,
		root,
		requests,
		git,
		createRepo(fullName) {
			const dir = join(root, `${fullName}.git`);
			git(['init', '--quiet', '--bare', '--initial-branch=main', dir]);
			git(['config', 'http.receivepack', 'true'], dir);
			return dir;
		},
		close: () =>
			new Promise<void>((resolve) => {
				worker.postMessage('close');
				worker.once('exit', () => {
					rmSync(root, { recursive: true, force: true });
					resolve();
				});
			})
	};
}
