/** The GitHub adapter's list of recent changes (for the dashboard's rollback), against the fake. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, expect, it } from 'vitest';
import { GitHubGitHost } from '../../../src/lib/adapters/github/index.ts';
import { commitSigner, generateSshKey } from '../../../src/lib/adapters/ssh-signature/index.ts';
import { createGitHubFake } from '../../../workers/sandbox/github/fake.ts';

let server: Server | undefined;
const fake = createGitHubFake({ tokens: { classic: { login: 'alice', id: 7, scopes: ['repo', 'delete_repo'] } } });
afterAll(async () => {
	await new Promise((r) => server?.close(r));
	expect(fake.violations).toEqual([]);
});

it('lists the newest commits first, following first parents, bounded by the limit', async () => {
	server = createServer(fake.handler);
	await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
	const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	const host = new GitHubGitHost({ token: 'classic', baseUrl, identity: { name: 'nassella', email: 'n@x.invalid' } });
	const sign = commitSigner(await generateSshKey('t'));
	const repo = await host.ensureRepo('nassella-hist-config', 'test');
	const before = (await host.history(repo, 10)).length; // a new repo may hold the host's first commit
	const shas: string[] = [];
	for (const [i, message] of ['Set up the server', 'Add Memos', 'Remove Memos\n\nwith a body'].entries()) {
		const { sha } = await host.commit(
			repo,
			[{ path: 'apps.txt', content: `v${i}\n` }],
			message,
			shas.at(-1) ?? (await host.head(repo)),
			sign
		);
		shas.push(sha);
	}
	const all = await host.history(repo, 10);
	expect(all).toHaveLength(before + 3);
	expect(all.slice(0, 3).map((c) => [c.sha, c.message])).toEqual([
		[shas[2], 'Remove Memos'],
		[shas[1], 'Add Memos'],
		[shas[0], 'Set up the server']
	]);
	expect(all[0]!.date).toMatch(/^\d{4}-\d{2}-\d{2}T/);
	expect(await host.history(repo, 2)).toHaveLength(2);
});
