/**
 * The layer rule in eslint.config.js must bite: each case is a deliberate violation,
 * linted as if it lived in the given file.
 */
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
