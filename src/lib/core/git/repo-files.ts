/**
 * The files every config repo carries besides the server bundle: a README saying what the
 * repo is, a CI workflow that validates each push (GitHub Actions; Forgejo Actions reads
 * the same file), and a marker that lets nassella recognise a repo it set up itself.
 */
import type { TreeFile } from './objects.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../labels.ts';

/** A repo whose root holds this file was set up by nassella and may be adopted again on resume. */
export const REPO_MARKER_PATH = '.nassella';
export const WORKFLOW_PATH = '.github/workflows/validate.yml';
export const README_PATH = 'README.md';

const VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;

/**
 * Runs `nassella validate .` on every push. Assumption: the CLI ships in the `nassella`
 * npm package with a `validate <dir>` command; it is pinned to the app's own version so
 * the check matches what the app generated.
 */
export function validateWorkflow(nassellaVersion: string): string {
	if (!VERSION.test(nassellaVersion)) throw new Error('The nassella version must look like 1.2.3.');
	return `# Checks every change to this repo before your server applies it.
# Written by nassella; works on GitHub Actions and Forgejo Actions.
name: validate
on:
  push:
  pull_request:
permissions:
  contents: read
jobs:
  validate:
    runs-on: ubuntu-latest
    timeout-minutes: 10
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with:
          node-version: 24
      - name: Validate the server configuration
        run: npx --yes nassella@${nassellaVersion} validate .
`;
}

export interface ReadmeOptions {
	/** The server's name as the person knows it, e.g. "family server". */
	serverName: string;
	/** The public key (OpenSSH form) that signs every commit. */
	signingKey: string;
}

export function configRepoReadme({ serverName, signingKey }: ReadmeOptions): string {
	const name =
		serverName
			.replace(/[\r\n`<>[\]]/g, ' ')
			.trim()
			.slice(0, 80) || 'your server';
	const key = signingKey.replace(/[\r\n`]/g, '').trim();
	return `# Configuration of ${name}

This private repository holds the configuration of ${name}: which apps run, how they are
set up, and how the server is looked after (updates, backups). It was created by
nassella, the app you use to manage the server.

**The server follows this repository.** A few minutes after a change lands here, the server
downloads it and applies it. Every change is a signed commit, so this history is also a
record of everything that was changed, and when.

- Make changes in nassella, not here. The server only applies commits signed with the key
  below; a change made by hand is ignored, and the server keeps running its last good
  configuration.
- Passwords and other secrets are encrypted before they are written here; only the
  server can read them.
- The check in \`.github/workflows/validate.yml\` validates each change.
- If you delete this repository, the server keeps running what it has but stops updating.

Commits are signed with this key:

\`\`\`
${key}
\`\`\`
`;
}

/** The README, the workflow and the marker, ready to add to a bundle. */
export function configRepoFiles(options: ReadmeOptions & { nassellaVersion: string }): TreeFile[] {
	return [
		{ path: README_PATH, content: configRepoReadme(options) },
		{ path: WORKFLOW_PATH, content: validateWorkflow(options.nassellaVersion) },
		{ path: REPO_MARKER_PATH, content: `${MANAGED_BY_LABEL}: ${MANAGED_BY_VALUE}\n` }
	];
}
