/**
 * Time to commit a whole bundle through isomorphic-git (build objects in memory, sign,
 * push over smart HTTP) to a real `git http-backend` on loopback. Until the catalog lands,
 * the bundle is ~30 apps' worth of files: 100 files of realistic sizes.
 */
import { SmartHttpGitHost } from '../../src/lib/adapters/smart-http/index.ts';
import { commitSigner, generateSshKey } from '../../src/lib/adapters/ssh-signature/index.ts';
import { buildRepoCheck } from '../../src/cli/repo-check-build.ts';
import { configRepoFiles } from '../../src/lib/core/git/repo-files.ts';
import type { BundleFile } from '../../src/lib/ports/git-host.ts';
import { startGitServer } from '../contract/git/http-backend.ts';
import { percentiles, report } from './lib.ts';

const APPS = 30;
/** The check every repo carries (about 270 KB), as the app commits it. */
const { source: check } = await buildRepoCheck();

function bundle(version: number, signingKey: string): BundleFile[] {
	const files: BundleFile[] = [
		...configRepoFiles({ serverName: 'bench', signingKey, check }),
		{
			path: 'compose.yaml',
			content: 'include:\n' + Array.from({ length: APPS }, (_, i) => `  - apps/app${i}/compose.yaml\n`).join('')
		},
		{
			path: 'caddy/Caddyfile',
			content: Array.from({ length: APPS }, (_, i) => `app${i}.example.org {\n\treverse_proxy app${i}:8080\n}\n`).join(
				'\n'
			)
		}
	];
	for (let i = 0; i < APPS; i++) {
		const pad = (n: number) => `# app ${n}: ${'x'.repeat(70)}\n`;
		files.push(
			{
				path: `apps/app${i}/compose.yaml`,
				content: `services:\n  app${i}:\n    image: example/app${i}:${version}\n` + pad(i).repeat(30)
			},
			{ path: `apps/app${i}/env`, content: `APP=${i}\nVERSION=${version}\n` + pad(i).repeat(8) },
			{ path: `apps/app${i}/secrets.age`, content: crypto.getRandomValues(new Uint8Array(512 + i * 40)) }
		);
	}
	for (const name of ['backup/restic.env', 'backup/excludes', 'server/updater.env'])
		files.push({ path: name, content: `# ${name}\n` + 'KEY=value\n'.repeat(20) });
	files.push({ path: 'bin/apply.sh', content: '#!/bin/sh\nset -eu\n' + '# step\n'.repeat(400), executable: true });
	return files;
}

const server = await startGitServer();
try {
	const key = await generateSshKey('bench');
	const samples: number[] = [];
	let files = 0;
	for (let run = 0; run < 5; run++) {
		const name = `bench${run}`;
		server.createRepo(`owner/${name}`);
		const host = new SmartHttpGitHost({
			id: 'bench',
			displayName: 'bench',
			gitBaseUrl: server.baseUrl,
			owner: 'owner',
			identity: { name: 'n', email: 'n@x' }
		});
		const repo = await host.ensureRepo(name, '');
		const first = bundle(1, key.publicKey);
		files = first.length;
		await host.commit(repo, first, 'first', undefined, commitSigner(key));
		const started = performance.now();
		await host.commit(repo, bundle(2, key.publicKey), 'second', await host.head(repo), commitSigner(key));
		samples.push(performance.now() - started);
	}
	const { p50, max } = percentiles(samples);
	report({
		name: `commit a ${files}-file bundle (${APPS} apps) over smart HTTP, median`,
		value: Math.round(p50),
		unit: 'ms',
		budget: 3000
	});
	report({ name: `commit a ${files}-file bundle over smart HTTP, slowest of 5`, value: Math.round(max), unit: 'ms' });
} finally {
	await server.close();
}
