import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLocalServer } from '../../local/server.ts';
import { localMounts } from '../../local/mounts.ts';
import { GitHubGitHost } from '../../../src/lib/adapters/github/index.ts';
import { commitSigner, generateSshKey } from '../../../src/lib/adapters/ssh-signature/index.ts';

let base: string;
let close: () => Promise<void>;
beforeAll(async () => {
	const server = createLocalServer({ root: 'build', mounts: await localMounts() });
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	close = () => new Promise((resolve) => server.close(() => resolve()));
});
afterAll(() => close());

it('the local entry serves the sandbox git host at /sandbox/github/ for the real GitHub adapter', async () => {
	const host = new GitHubGitHost({
		token: 'anything',
		baseUrl: `${base}/sandbox/github`,
		identity: { name: 'n', email: 'n@x' }
	});
	expect(await host.verify()).toEqual({ account: 'sandbox-user' });
	const repo = await host.ensureRepo('practice', 'sandbox');
	const key = await generateSshKey();
	const parent = await host.head(repo);
	const { sha } = await host.commit(
		repo,
		[{ path: 'compose.yaml', content: 'services: {}\n' }],
		'Practice',
		parent,
		commitSigner(key)
	);
	expect(await host.head(repo)).toBe(sha);
});
