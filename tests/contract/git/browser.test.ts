/**
 * The git adapters as the browser runs them: bundled by Vite (octokit, isomorphic-git and
 * its Buffer polyfill, WebCrypto Ed25519), executed in Chromium against the real
 * git http-backend and the GitHub fake on one origin; the real git verifies the result.
 */
import { execFileSync } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { build } from 'vite';
import { afterAll, expect, it } from 'vitest';
import { createGitHubFake } from '../../../workers/sandbox/github/fake.ts';
import { startGitServer, type GitServer } from './http-backend.ts';

const out = mkdtempSync(join(tmpdir(), 'nassella-git-browser-'));
let git: GitServer | undefined;
let server: Server | undefined;
afterAll(async () => {
	await new Promise((r) => (server ? server.close(r) : r(undefined)));
	await git?.close();
	rmSync(out, { recursive: true, force: true });
});

it('commits signed bundles from Chromium through both adapters', { timeout: 120_000 }, async () => {
	await build({
		configFile: false,
		logLevel: 'silent',
		build: {
			outDir: out,
			emptyOutDir: true,
			lib: { entry: join(import.meta.dirname, 'browser/entry.ts'), formats: ['es'], fileName: 'entry' }
		}
	});
	git = await startGitServer();
	git.createRepo('alice/web');
	const fake = createGitHubFake({ basePath: '/sandbox/github' });
	const backend = new URL(git.baseUrl);
	server = createServer((req, res) => {
		const url = req.url ?? '/';
		if (url.startsWith('/git/')) {
			const upstream = request(
				{ host: '127.0.0.1', port: backend.port, path: url, method: req.method, headers: req.headers },
				(answer) => {
					res.writeHead(answer.statusCode ?? 502, answer.headers);
					answer.pipe(res);
				}
			);
			req.pipe(upstream);
			return;
		}
		if (url.startsWith('/sandbox/github/')) return fake.handler(req, res);
		if (url === '/') {
			res.writeHead(200, { 'content-type': 'text/html' }).end('<script type="module" src="/entry.js"></script>');
			return;
		}
		let body: Buffer;
		try {
			body = readFileSync(join(out, url.replace(/[^A-Za-z0-9._-]/g, '')));
		} catch {
			res.writeHead(404).end();
			return;
		}
		res.writeHead(200, { 'content-type': 'text/javascript' }).end(body);
	});
	await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
	const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
		args: ['--no-sandbox']
	});
	try {
		const page = await browser.newPage();
		const errors: string[] = [];
		page.on('pageerror', (e) => errors.push(String(e)));
		await page.goto(origin);
		await page.waitForFunction(() => 'run' in window);
		const result = await page.evaluate(() =>
			(window as unknown as { run: () => Promise<{ smart: string; github: string; publicKey: string }> }).run()
		);
		expect(errors).toEqual([]);
		const allowed = join(out, 'allowed');
		writeFileSync(allowed, `signer@nassella.invalid namespaces="git" ${result.publicKey}\n`);
		execFileSync('git', ['-c', `gpg.ssh.allowedSignersFile=${allowed}`, 'verify-commit', result.smart], {
			cwd: join(git.root, 'alice/web.git'),
			stdio: 'pipe'
		});
		expect(fake.refs('sandbox-user/web')?.get('refs/heads/main')).toBe(result.github);
		expect(fake.violations).toEqual([]);
	} finally {
		await browser.close();
	}
});
