/** Built for the browser by browser.test.ts: both git hosts, run inside Chromium. */
import { SmartHttpGitHost } from '../../../../src/lib/adapters/smart-http/index.ts';
import { GitHubGitHost } from '../../../../src/lib/adapters/github/index.ts';
import { commitSigner, generateSshKey } from '../../../../src/lib/adapters/ssh-signature/index.ts';

const identity = { name: 'nassella', email: 'signer@nassella.invalid' };

(window as unknown as { run: () => Promise<unknown> }).run = async () => {
	const key = await generateSshKey('browser');
	const files = [
		{ path: 'compose.yaml', content: 'services: {}\n' },
		{ path: 'secrets/x.age', content: new Uint8Array([0, 1, 2, 255]) }
	];
	const smart = new SmartHttpGitHost({
		id: 'git',
		displayName: 'git',
		gitBaseUrl: `${location.origin}/git`,
		owner: 'alice',
		identity
	});
	const repo = await smart.ensureRepo('web', '');
	const a = await smart.commit(repo, files, 'From the browser', undefined, commitSigner(key));
	const gh = new GitHubGitHost({ token: 'any', baseUrl: `${location.origin}/sandbox/github`, identity });
	const ghRepo = await gh.ensureRepo('web', '');
	const b = await gh.commit(ghRepo, files, 'From the browser', await gh.head(ghRepo), commitSigner(key));
	return { smart: a.sha, github: b.sha, publicKey: key.publicKey };
};
