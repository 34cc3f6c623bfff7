/**
 * The layer rule in eslint.config.js must bite: each case is a deliberate violation,
 * linted as if it lived in the given file.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
	const [result] = await eslint.lintText(code, { filePath });
	return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layer boundaries', () => {
	const violations: [string, string, string][] = [
		['core importing an adapter', 'src/lib/core/fixture.ts', "import { x } from '../adapters/crypto/sodium.ts';"],
		['core importing an adapter via $lib', 'src/lib/core/deep/fixture.ts', "import { x } from '$lib/adapters/crypto';"],
		['core importing a vendor SDK', 'src/lib/core/fixture.ts', "import sodium from 'libsodium-wrappers-sumo';"],
		['core importing Node built-ins', 'src/lib/core/fixture.ts', "import { readFile } from 'node:fs';"],
		['a service importing an adapter', 'src/lib/services/fixture.ts', "import { x } from '../adapters/pwa/x.ts';"],
		['UI importing a vendor SDK', 'src/lib/ui/fixture.ts', "import { Octokit } from 'octokit';"],
		['a page importing a service', 'src/routes/fixture.ts', "import { x } from '$lib/services/deploy';"],
		['a page importing an adapter', 'src/routes/x/fixture.ts', "import { x } from '$lib/adapters/storage/idb';"],
		['state importing idb', 'src/lib/state/fixture.ts', "import { openDB } from 'idb';"]
	];
	it.each(violations)('rejects %s', async (_name, file, code) => {
		expect(await restrictedImports(file, `${code}\nexport const y = x;`)).not.toEqual([]);
	});

	const allowed: [string, string, string][] = [
		['an adapter importing a vendor SDK', 'src/lib/adapters/fixture.ts', "import { x } from 'idb';"],
		['an adapter importing core', 'src/lib/adapters/fixture.ts', "import { x } from '../core/operations.ts';"],
		['a page importing state', 'src/routes/fixture.ts', "import { x } from '$lib/state/app.svelte';"],
		['core importing core', 'src/lib/core/fixture.ts', "import { x } from './operations.ts';"],
		['core importing yaml', 'src/lib/core/fixture.ts', "import { x } from 'yaml';"],
		['core importing @noble/hashes', 'src/lib/core/fixture.ts', "import { sha256 as x } from '@noble/hashes/sha2.js';"]
	];
	it.each(allowed)('allows %s', async (_name, file, code) => {
		expect(await restrictedImports(file, `${code}\nexport const y = x;`)).toEqual([]);
	});
});

describe('vault record names', () => {
	async function recordNameErrors(filePath: string, code: string): Promise<string[]> {
		const [result] = await eslint.lintText(code, { filePath });
		return (result?.messages ?? [])
			.filter((m) => m.ruleId === 'no-restricted-syntax' && /Vault record names/.test(m.message))
			.map((m) => m.message);
	}

	const spelled: [string, string, string][] = [
		['a prefix in a string', 'src/lib/main/fixture.ts', "export const K = 'deployment-keys/';"],
		['a whole name in a string', 'src/lib/state/fixture.ts', "export const S = 'setup/current';"],
		['a name in a template', 'src/lib/services/fixture.ts', 'export const n = (id: string) => `move-target/${id}`;'],
		['a name in a test', 'src/lib/state/fixture.spec.ts', "export const n = 'dashboard-status/abc';"]
	];
	it.each(spelled)('rejects %s outside ports/vault.ts', async (_name, file, code) => {
		expect(await recordNameErrors(file, code)).not.toEqual([]);
	});

	it('allows the map itself, kinds, and strings that only look alike', async () => {
		expect(await recordNameErrors('src/lib/ports/vault.ts', "export const P = { move: 'move/' };")).toEqual([]);
		expect(await recordNameErrors('src/lib/main/fixture.ts', "export const k = 'deploymentKeys';")).toEqual([]);
		expect(await recordNameErrors('src/routes/fixture.ts', "export const r = '/setup/done';")).toEqual([]);
	});

	it('covers every prefix of the map in ports/vault.ts', async () => {
		const { RECORD_PREFIXES } = await import('../../src/lib/ports/vault.ts');
		for (const prefix of Object.values(RECORD_PREFIXES))
			expect(await recordNameErrors('src/lib/main/fixture.ts', `export const n = '${prefix}x';`), prefix).not.toEqual(
				[]
			);
	});
});

/**
 * Test doubles (stateful stand-ins for clouds, stores and the server) live in tests/doubles:
 * only tests import them, never the app's own files.
 */
describe('test doubles stay out of the app', () => {
	const importsTests = (code: string): string[] =>
		[...code.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]*\/tests\/[^'"]*)['"]/g)].map((m) => m[1]!);

	it('finds an import of tests/ (static, type-only and dynamic)', () => {
		expect(importsTests("import { World } from '../../../../tests/doubles/deploy/world.ts';")).toHaveLength(1);
		expect(importsTests("import type { X } from '../../tests/doubles/move.ts';")).toHaveLength(1);
		expect(importsTests("const m = await import('../tests/doubles/dashboard.ts');")).toHaveLength(1);
		expect(importsTests("import { latest } from './tests-of-names.ts';")).toEqual([]);
	});

	it('no file of the app outside *.spec.ts imports from tests/', () => {
		const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'src'], {
			encoding: 'utf8'
		})
			.split('\n')
			.filter((f) => /\.(ts|js|svelte)$/.test(f) && !/\.spec\.ts$/.test(f) && existsSync(f));
		expect(files.length).toBeGreaterThan(100);
		const offenders = files.filter((f) => importsTests(readFileSync(f, 'utf8')).length > 0);
		expect(offenders).toEqual([]);
	});
});

/** The state layer's classes say what they are the same way: `…State` (CatalogState, MovePageState). */
describe('state classes', () => {
	const badNames = (code: string): string[] =>
		[...code.matchAll(/^export (?:abstract )?class (\w+)/gm)].map((m) => m[1]!).filter((n) => !n.endsWith('State'));

	it('finds a class without the suffix', () => {
		expect(badNames('export class MovePage {}\nexport class CatalogState {}')).toEqual(['MovePage']);
	});

	it('every exported class in src/lib/state ends in State', () => {
		const dir = 'src/lib/state';
		const files = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'));
		expect(files.length).toBeGreaterThan(5);
		const found = files.flatMap((f) => badNames(readFileSync(join(dir, f), 'utf8')).map((n) => `${f}: ${n}`));
		expect(found).toEqual([]);
	});
});
