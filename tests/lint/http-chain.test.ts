/**
 * The HTTP chain rule in eslint.config.js must bite: reaching the network directly anywhere
 * in src but the chain itself fails; each case is linted as if it lived in the given file.
 */
import { ESLint, type Linter } from 'eslint';
import ts from 'typescript-eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });
const RULES = new Set(['no-restricted-globals', 'no-restricted-properties', 'no-restricted-imports']);

async function chainErrors(filePath: string, code: string): Promise<string[]> {
	const [result] = await eslint.lintText(code, { filePath });
	return (result?.messages ?? [])
		.filter((m) => RULES.has(m.ruleId ?? '') && /HTTP chain/.test(m.message))
		.map((m) => m.message);
}

describe('one HTTP chain', () => {
	const bypasses: [string, string, string][] = [
		[
			'an adapter calling fetch',
			'src/lib/adapters/hetzner/fixture.ts',
			"export const r = fetch('https://api.hetzner.cloud/v1/servers');"
		],
		['an adapter passing fetch on', 'src/lib/adapters/github/fixture.ts', 'export const f = (r: Request) => fetch(r);'],
		[
			'an adapter calling globalThis.fetch',
			'src/lib/adapters/gitlab/fixture.ts',
			"export const r = globalThis.fetch('https://gitlab.com/api/v4/user');"
		],
		[
			'an adapter calling window.fetch',
			'src/lib/adapters/forgejo/fixture.ts',
			"export const r = window.fetch('https://codeberg.org/api/v1/user');"
		],
		['state calling fetch', 'src/lib/state/fixture.ts', "export const r = fetch('https://relay.example.net/');"],
		[
			'a page calling fetch',
			'src/routes/fixture.ts',
			"export const r = fetch('https://api.digitalocean.com/v2/account');"
		],
		['a service using XMLHttpRequest', 'src/lib/services/fixture.ts', 'export const x = new XMLHttpRequest();'],
		[
			'the composition root opening a WebSocket',
			'src/lib/main/fixture.ts',
			"export const w = new WebSocket('wss://x.example');"
		],
		[
			'an adapter using isomorphic-git’s own fetch client',
			'src/lib/adapters/smart-http/fixture.ts',
			"import http from 'isomorphic-git/http/web';\nexport const h = http;"
		],
		[
			'an adapter using a fetch library',
			'src/lib/adapters/hetzner/fixture.ts',
			"import ky from 'ky';\nexport const k = ky;"
		],
		[
			'a test calling fetch',
			'src/lib/adapters/desec/fixture.spec.ts',
			"export const r = fetch('https://desec.io/api/v1/');"
		]
	];
	it.each(bypasses)('rejects %s', async (_name, file, code) => {
		expect(await chainErrors(file, code)).not.toEqual([]);
	});

	const allowed: [string, string, string][] = [
		['the chain itself', 'src/lib/adapters/http/fixture.ts', 'export const f = (r: Request) => fetch(r);'],
		['the service worker serving the app', 'src/service-worker.ts', 'export const f = (r: Request) => fetch(r);'],
		[
			'an adapter using the chain',
			'src/lib/adapters/doh/fixture.ts',
			"import { platformFetch } from '../http/chain.ts';\nexport const f = platformFetch;"
		],
		[
			'isomorphic-git’s fetch command',
			'src/lib/adapters/smart-http/fixture.ts',
			'declare const git: { fetch(): void };\ngit.fetch();'
		],
		['a fetch type', 'src/lib/adapters/github/fixture.ts', 'export type F = typeof fetch;'],
		[
			'isomorphic-git itself',
			'src/lib/adapters/smart-http/fixture.ts',
			"import git from 'isomorphic-git';\nexport const g = git;"
		]
	];
	it.each(allowed)('allows %s', async (_name, file, code) => {
		expect(await chainErrors(file, code)).toEqual([]);
	});

	it('passes on the code as it is today', { timeout: 120_000 }, async () => {
		// Only this rule, over every TypeScript file in src (the full config runs in CI). The
		// config is loaded by its URL so that the type check leaves the JavaScript config alone.
		const config = new URL('../../eslint.config.js', import.meta.url).href;
		const { httpChain } = (await import(/* @vite-ignore */ config)) as { httpChain: Linter.Config[] };
		const only = new ESLint({
			cwd: process.cwd(),
			overrideConfigFile: true,
			overrideConfig: [{ files: ['**/*.ts'], languageOptions: { parser: ts.parser } }, ...httpChain]
		});
		const results = await only.lintFiles(['src/**/*.ts']);
		const errors = results.flatMap((r) =>
			r.messages.filter((m) => RULES.has(m.ruleId ?? '')).map((m) => `${r.filePath}:${m.line} ${m.message}`)
		);
		expect(errors).toEqual([]);
	});
});
