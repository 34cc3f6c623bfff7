import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkManifest, MANIFEST_PATH, renderManifest, type BundleFile } from '../server/manifest.ts';
import {
	CHECK_PATH,
	configRepoFiles,
	configRepoTree,
	README_PATH,
	REPO_MARKER_PATH,
	validateWorkflow,
	WORKFLOW_PATH
} from './repo-files.ts';

/** SHA-256 of "abc" (FIPS 180-2, appendix B.1). */
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
const options = { serverName: 'home', signingKey: 'ssh-ed25519 AAAA', check: 'abc' };

interface Step {
	uses?: string;
	with?: Record<string, unknown>;
	run?: string;
	shell?: string;
}

describe('config repo files', () => {
	it('are a README, the workflow, the check it runs and the marker', () => {
		const files = configRepoFiles(options);
		expect(files.map((f) => f.path)).toEqual([README_PATH, WORKFLOW_PATH, CHECK_PATH, REPO_MARKER_PATH]);
		expect(files[2]!.content).toBe('abc');
		expect(String(files[0]!.content)).toContain('The server follows this repository');
		expect(String(files[0]!.content)).toContain(CHECK_PATH);
		expect(files[1]!.content).toBe(validateWorkflow(ABC));
	});

	it('run the check with plain Node after its SHA-256 matches, on every push', () => {
		const workflow = parse(validateWorkflow(ABC));
		expect(Object.keys(workflow.on)).toEqual(['push', 'pull_request']);
		expect(workflow.permissions).toEqual({ contents: 'read' });
		const steps = workflow.jobs.validate.steps as Step[];
		expect(steps.map((s) => s.uses?.replace(/@.*/, ''))).toEqual(['actions/checkout', 'actions/setup-node', undefined]);
		expect(steps[0]!.with).toEqual({ 'persist-credentials': false });
		expect(steps[1]!.with).toEqual({ 'node-version': 24 });
		const run = steps[2]!.run!;
		expect(steps[2]!.shell).toBe('bash');
		expect(run).toContain(`echo "${ABC}  ${CHECK_PATH}" | sha256sum --check --strict --quiet >&2`);
		expect(run.trim().split('\n').pop()).toBe(`node ${CHECK_PATH} .`);
		expect(run).not.toMatch(/\bnpm\b|\bnpx\b|curl|wget/);
	});

	it('pin only a SHA-256', () => {
		expect(() => validateWorkflow('abc; rm -rf /')).toThrow();
		expect(() => validateWorkflow(ABC.toUpperCase())).toThrow();
		expect(() => validateWorkflow(ABC + '0')).toThrow();
	});
});

describe('the committed tree', () => {
	const bundle: BundleFile[] = [
		{ path: 'docker-compose.yml', contents: 'services: {}\n' },
		{ path: 'bin/backup.sh', contents: '#!/bin/bash\n', executable: true }
	];
	bundle.push({ path: MANIFEST_PATH, contents: renderManifest(bundle) });

	it('lists the repo files in a new manifest, next to the bundle', () => {
		const tree = configRepoTree(bundle, options);
		expect(tree.map((f) => f.path).sort()).toEqual(
			[...bundle.map((f) => f.path), README_PATH, WORKFLOW_PATH, CHECK_PATH, REPO_MARKER_PATH].sort()
		);
		const manifests = tree.filter((f) => f.path === MANIFEST_PATH);
		expect(manifests).toHaveLength(1);
		expect(checkManifest(manifests[0]!.contents, tree)).toEqual([]);
		expect(manifests[0]!.contents).toContain(`${ABC}  ${CHECK_PATH}\n`);
		expect(tree.find((f) => f.path === 'bin/backup.sh')?.executable).toBe(true);
		// The bundle's own lines stay as they were.
		for (const line of bundle.at(-1)!.contents.trim().split('\n')) expect(manifests[0]!.contents).toContain(line);
	});

	it('refuses a bundle that already has one of the repo files', () => {
		expect(() => configRepoTree([...bundle, { path: README_PATH, contents: 'x' }], options)).toThrow(/README\.md/);
	});
});
