/**
 * The config repository's CI, run as a runner runs it: the files nassella commits for a fixture
 * (the rendered bundle plus README, workflow, check and marker, as src/lib/main/deploy.ts puts
 * them together) are committed to a git repository and cloned, as actions/checkout does; then
 * the workflow's own `run:` text (read from the committed YAML) runs in `bash --noprofile --norc
 * -eo pipefail`, as GitHub and Forgejo run a `shell: bash` step, with nothing on PATH but a
 * `node` (the project's Node 24, and the system's Node) and the system tools, no proxy settings,
 * and, where `unshare` can make one, in a network namespace with no network at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
	chmodSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	realpathSync,
	rmSync,
	symlinkSync,
	writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import check from 'virtual:nassella-repo-check';
import { buildRepoCheck } from '../../src/cli/repo-check-build.ts';
import { CHECK_PATH, configRepoTree, WORKFLOW_PATH } from '../../src/lib/core/git/repo-files.ts';
import { sha256Hex } from '../../src/lib/core/server/manifest.ts';
import { renderServer } from '../../src/lib/core/server/render.ts';
import { ageEncrypt } from '../../src/lib/adapters/age/encrypt.ts';
import { catalog, fixture, ROOT, run } from './helpers.ts';

const T = mkdtempSync(join(tmpdir(), 'nassella-repo-ci-'));
const ORIGIN = join(T, 'origin');
afterAll(() => rmSync(T, { recursive: true, force: true }));

const gitEnv = {
	...process.env,
	GIT_CONFIG_GLOBAL: '/dev/null',
	GIT_CONFIG_NOSYSTEM: '1',
	GIT_AUTHOR_NAME: 'nassella',
	GIT_AUTHOR_EMAIL: 'nassella@example.org',
	GIT_COMMITTER_NAME: 'nassella',
	GIT_COMMITTER_EMAIL: 'nassella@example.org'
};
function git(args: string[], cwd: string): string {
	const r = run('git', args, { cwd, env: gitEnv });
	if (r.code !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
	return r.stdout.trim();
}

/** The Node binaries to run the check with: the project's (24) and the first other one on PATH. */
function nodes(): { name: string; bin: string }[] {
	const own = realpathSync(join(ROOT, 'node_modules/.bin/node'));
	const found = run('which', ['-a', 'node']).stdout.split('\n').filter(Boolean);
	const system = found.map((p) => realpathSync(p)).find((p) => p !== own && !p.startsWith(join(ROOT, 'node_modules')));
	const version = (bin: string) => run(bin, ['--version']).stdout.trim();
	return [
		{ name: `Node ${version(own)} (the project's)`, bin: own },
		...(system ? [{ name: `Node ${version(system)} (the system's)`, bin: system }] : [])
	];
}
const NODES = nodes();
/** No network at all where the kernel lets an unprivileged user have a namespace of its own. */
const ISOLATE = run('unshare', ['-rn', 'true']).code === 0 ? ['unshare', '-rn'] : [];

/** A fresh clone of the repository, as actions/checkout leaves it. */
function checkout(): string {
	const dir = mkdtempSync(join(T, 'checkout-'));
	git(['clone', '-q', '--no-local', ORIGIN, dir], T);
	return dir;
}

/** The workflow's step that runs something, as committed. */
function workflowStep(dir: string): { run: string; shell?: string } {
	const workflow = parse(readFileSync(join(dir, WORKFLOW_PATH), 'utf8'));
	const steps = (workflow.jobs.validate.steps as { run?: string; shell?: string }[]).filter((s) => s.run);
	expect(steps).toHaveLength(1);
	return steps[0] as { run: string; shell?: string };
}

/** Runs the workflow's `run:` text in `dir` with `node` being `nodeBin`, as a runner would. */
function runWorkflow(dir: string, nodeBin: string) {
	const step = workflowStep(dir);
	expect(step.shell).toBe('bash');
	const bin = mkdtempSync(join(T, 'bin-'));
	symlinkSync(nodeBin, join(bin, 'node'));
	const script = join(mkdtempSync(join(T, 'step-')), 'step.sh');
	writeFileSync(script, step.run);
	// Only what a runner has for this step: node on PATH, system tools, no npm settings, no proxy.
	const env = { PATH: `${bin}:/usr/bin:/bin`, HOME: dir, LANG: 'C.UTF-8' };
	const cmd = [...ISOLATE, 'bash', '--noprofile', '--norc', '-eo', 'pipefail', script];
	const version = run(ISOLATE[0] ?? 'bash', [...ISOLATE.slice(1), 'bash', '-c', 'node --version'], { env, cwd: dir });
	expect(version.stdout.trim()).toBe(run(nodeBin, ['--version']).stdout.trim());
	return run(cmd[0]!, cmd.slice(1), { cwd: dir, env, timeout: 120_000 });
}

function tamper(dir: string, path: string): void {
	const file = join(dir, path);
	const bytes = readFileSync(file);
	const at = bytes.indexOf(0x0a) - 1;
	bytes[at] = bytes[at] === 0x78 ? 0x79 : 0x78;
	writeFileSync(file, bytes);
}

let files: { path: string; contents: string; executable?: boolean }[] = [];

beforeAll(async () => {
	const rendered = await renderServer(fixture('five-apps'), catalog(), { encrypt: ageEncrypt });
	files = configRepoTree(rendered.files, {
		serverName: 'family server',
		signingKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl nassella',
		check
	});
	mkdirSync(ORIGIN);
	git(['init', '-q', '-b', 'main'], ORIGIN);
	for (const f of files) {
		const p = join(ORIGIN, f.path);
		mkdirSync(dirname(p), { recursive: true });
		writeFileSync(p, f.contents);
		chmodSync(p, f.executable ? 0o755 : 0o644);
	}
	git(['add', '-A'], ORIGIN);
	git(['commit', '-q', '-m', 'Set up the server'], ORIGIN);
}, 120_000);

describe('the check nassella commits into a config repository', { timeout: 180_000 }, () => {
	it('is the module the app is built with, one file that imports only Node built-ins', async () => {
		const built = await buildRepoCheck();
		// Compared by hash: a failure would otherwise print the whole module.
		expect(sha256Hex(check)).toBe(sha256Hex(built.source));
		expect(check.length).toBeLessThan(400_000);
		// Its static imports (the minified module starts with them); that nothing else is loaded
		// at run time is shown below, where it runs in a folder with no node_modules anywhere above.
		const head = check.slice(0, check.indexOf(';var '));
		const imports = [...head.matchAll(/\bimport\s*\{[^}]*\}\s*from\s*"([^"]+)"/g)].map((m) => m[1]);
		expect(imports.length).toBeGreaterThan(0);
		expect(imports.filter((i) => !i!.startsWith('node:'))).toEqual([]);
		expect(head.replace(/\/\/[^\n]*\n/g, '').replace(/import\s*\{[^}]*\}\s*from\s*"[^"]+";?/g, '')).toBe('');
	});

	it('is in the repository with the other files, and the workflow runs it without npm', () => {
		const dir = checkout();
		expect(sha256Hex(readFileSync(join(dir, CHECK_PATH), 'utf8'))).toBe(sha256Hex(check));
		const { run: text } = workflowStep(dir);
		expect(text).toContain(`node ${CHECK_PATH} .`);
		expect(text).not.toMatch(/\bnpm\b|\bnpx\b|curl|wget/);
		expect(git(['ls-files'], dir).split('\n').sort()).toEqual(files.map((f) => f.path).sort());
	});

	it.each(NODES)('passes on the untouched repository with $name', ({ bin }) => {
		const dir = checkout();
		for (let d = dir; d !== dirname(d); d = dirname(d)) expect(existsSync(join(d, 'node_modules')), d).toBe(false);
		const r = runWorkflow(dir, bin);
		expect(r.stderr).toBe('');
		expect(r.stdout).toMatch(/The server configuration in .* is valid/);
		expect(r.code).toBe(0);
	});

	it.each(NODES.flatMap((n) => ['docker-compose.yml', 'Caddyfile'].map((path) => ({ ...n, path }))))(
		'fails when $path is changed without its manifest entry, with $name',
		({ bin, path }) => {
			const dir = checkout();
			tamper(dir, path);
			const r = runWorkflow(dir, bin);
			expect(r.code).toBe(1);
			expect(r.stderr).toContain('is not valid, and the server will not apply it as it is');
			expect(r.stderr).toContain(`- ${path} does not match its hash`);
			expect(r.stdout).toBe('');
		}
	);

	it.each(NODES)('does not run a changed check, and says why, with $name', ({ bin }) => {
		const dir = checkout();
		tamper(dir, CHECK_PATH);
		// The changed check would call everything valid, were it run.
		writeFileSync(join(dir, CHECK_PATH), readFileSync(join(dir, CHECK_PATH), 'utf8') + '\nprocess.exit(0);\n');
		tamper(dir, 'docker-compose.yml');
		const r = runWorkflow(dir, bin);
		expect(r.code).toBe(1);
		expect(r.stderr).toContain(`${CHECK_PATH} is not the check nassella wrote`);
		expect(r.stderr).toContain(`${CHECK_PATH}: FAILED`);
		expect(r.stdout).toBe('');
	});

	it('fails when the check is missing', () => {
		const dir = checkout();
		rmSync(join(dir, CHECK_PATH));
		const r = runWorkflow(dir, NODES[0]!.bin);
		expect(r.code).toBe(1);
		expect(r.stderr).toContain(`${CHECK_PATH} is not the check nassella wrote`);
		expect(existsSync(join(dir, CHECK_PATH))).toBe(false);
	});
});
