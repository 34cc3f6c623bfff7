/**
 * The files every config repo carries besides the server bundle: a README saying what the
 * repo is, a CI workflow that checks each push (GitHub Actions; Forgejo Actions reads the
 * same file), the check it runs, and a marker that lets nassella recognise a repo it set up
 * itself.
 *
 * The server applies a commit only when every file in it is listed in MANIFEST.sha256 with its
 * hash, so these files are listed there too (configRepoTree).
 */
import type { TreeFile } from './objects.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../labels.ts';
import { MANIFEST_PATH, renderManifest, sha256Hex, type BundleFile } from '../server/manifest.ts';

/** A repo whose root holds this file was set up by nassella and may be adopted again on resume. */
export const REPO_MARKER_PATH = '.nassella';
export const WORKFLOW_PATH = '.github/workflows/validate.yml';
export const README_PATH = 'README.md';
/**
 * The check the workflow runs: one ES module that needs nothing but Node (20 or newer), built
 * from src/cli/repo-check.ts by src/cli/repo-check-build.ts and handed to core as a string.
 */
export const CHECK_PATH = '.github/nassella/validate.mjs';

const SHA256 = /^[0-9a-f]{64}$/;

/**
 * Runs the check on every push and pull request with plain Node: first its SHA-256 is compared
 * with the one pinned here (a changed check is not run), then `node <check> .` checks the
 * checkout. Nothing is installed and nothing is downloaded besides Node itself.
 */
export function validateWorkflow(checkSha256: string): string {
	if (!SHA256.test(checkSha256)) throw new Error("The check's SHA-256 must be 64 lowercase hex digits.");
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
        with:
          persist-credentials: false
      - uses: actions/setup-node@v4
        with:
          node-version: 24
      - name: Validate the server configuration
        shell: bash
        run: |
          if ! echo "${checkSha256}  ${CHECK_PATH}" | sha256sum --check --strict --quiet >&2; then
            echo "${CHECK_PATH} is not the check nassella wrote (its SHA-256 should be ${checkSha256}), so it was not run. Make changes in nassella, not by hand." >&2
            exit 1
          fi
          node ${CHECK_PATH} .
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
- Each change is checked by \`.github/workflows/validate.yml\`, with the check nassella wrote
  next to it (\`.github/nassella/validate.mjs\`): every file must match its entry in
  \`MANIFEST.sha256\`, as the server requires, and \`docker-compose.yml\` must be a valid
  Compose file.
- If you delete this repository, the server keeps running what it has but stops updating.

Commits are signed with this key:

\`\`\`
${key}
\`\`\`
`;
}

export interface RepoFilesOptions extends ReadmeOptions {
	/** The check's source (src/cli/repo-check-build.ts), committed as it is. */
	check: string;
}

/** The README, the workflow, the check and the marker, ready to add to a bundle. */
export function configRepoFiles(options: RepoFilesOptions): TreeFile[] {
	return [
		{ path: README_PATH, content: configRepoReadme(options) },
		{ path: WORKFLOW_PATH, content: validateWorkflow(sha256Hex(options.check)) },
		{ path: CHECK_PATH, content: options.check },
		{ path: REPO_MARKER_PATH, content: `${MANAGED_BY_LABEL}: ${MANAGED_BY_VALUE}\n` }
	];
}

/**
 * What nassella commits: the server bundle with the repo's own files, all of them listed in a
 * new MANIFEST.sha256 (the server refuses a commit with a file its manifest does not list).
 */
export function configRepoTree(bundle: readonly BundleFile[], options: RepoFilesOptions): BundleFile[] {
	const files = bundle.filter((f) => f.path !== MANIFEST_PATH);
	const taken = new Set(files.map((f) => f.path));
	const extra = configRepoFiles(options).map((f): BundleFile => {
		if (taken.has(f.path)) throw new Error(`The server bundle already has a file ${f.path}.`);
		return { path: f.path, contents: String(f.content) };
	});
	const all = [...files, ...extra];
	return [...all, { path: MANIFEST_PATH, contents: renderManifest(all) }];
}
