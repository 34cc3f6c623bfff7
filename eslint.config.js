import js from '@eslint/js';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';
import { compositionRoot } from './lint/composition-root.js';

/**
 * Layer boundaries (see README, "Architecture"): each layer may import only the layers
 * below it. A violation fails `npm run check` and CI.
 */
const VENDOR_SDKS = [
	'libsodium-wrappers-sumo',
	'libsodium-wrappers',
	'idb',
	'octokit',
	'@octokit/*',
	'isomorphic-git',
	'isomorphic-git/*',
	'@zip.js/zip.js',
	'age-encryption',
	'bcryptjs'
];
const layer = (name) => [`**/${name}/**`, `**/${name}`, `$lib/${name}/**`, `$lib/${name}`];
const forbid = (layers, message, extra = [], more = []) => ({
	'no-restricted-imports': [
		'error',
		{
			patterns: [
				{ group: layers.flatMap(layer), message },
				...(extra.length ? [{ group: extra, message: 'Vendor SDKs are used only inside src/lib/adapters.' }] : []),
				...more
			]
		}
	]
});
/** A vendor SDK's own network client bypasses the HTTP chain (see httpChain below). */
const SDK_NETWORK = {
	group: ['isomorphic-git/http/*', '@octokit/request', 'cross-fetch', 'node-fetch', 'axios', 'ky'],
	message:
		'Network calls go through the HTTP chain in src/lib/adapters/http: give the SDK the chain (gitHttpClient for isomorphic-git, asFetch for octokit).'
};

export const boundaries = [
	{
		files: ['src/lib/core/**'],
		rules: forbid(
			['ports', 'adapters', 'services', 'state', 'ui', 'main', 'routes'],
			'core is pure: it imports only core and small pure libraries.',
			[...VENDOR_SDKS, 'svelte', 'svelte/*', '$app/*', 'node:*']
		)
	},
	{
		files: ['src/lib/ports/**'],
		rules: forbid(
			['adapters', 'services', 'state', 'ui', 'main', 'routes'],
			'ports import only core types.',
			VENDOR_SDKS
		)
	},
	{
		files: ['src/lib/adapters/**'],
		rules: forbid(
			['services', 'state', 'ui', 'main', 'routes'],
			'adapters implement ports; they never reach up into services or UI.',
			[],
			[SDK_NETWORK]
		)
	},
	{
		files: ['src/lib/services/**'],
		rules: forbid(['adapters', 'state', 'ui', 'main', 'routes'], 'services work only through ports.', VENDOR_SDKS)
	},
	{
		files: ['src/lib/state/**'],
		rules: forbid(
			['adapters', 'ui', 'routes'],
			'state wraps services; adapters are chosen in src/lib/main.',
			VENDOR_SDKS
		)
	},
	{
		files: ['src/lib/ui/**', 'src/routes/**'],
		rules: forbid(
			['adapters', 'services', 'main', 'ports'],
			'pages and components use the state layer and core types only.',
			VENDOR_SDKS
		)
	}
];

/**
 * Vault record names are spelled in one place, the map in src/lib/ports/vault.ts: anywhere
 * else a string (or the start of a template) beginning with a record prefix fails. The list
 * is the map's prefixes (tests/lint/boundaries.test.ts checks that they agree).
 */
export const RECORD_PREFIXES = [
	'setup/',
	'deployment/',
	'deployment-keys/',
	'dashboard-setup/',
	'dashboard-settings/',
	'dashboard-status/',
	'dashboard-admin-dns/',
	'move/',
	'move-target/',
	'drill/',
	'notes/'
];
const recordPrefix = `^(${RECORD_PREFIXES.map((p) => p.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|')})`;
const recordNameMessage =
	'Vault record names live only in src/lib/ports/vault.ts: use a record kind (RecordVault) or recordName(kind, id).';
export const recordNames = [
	{
		files: ['src/**/*.ts', 'src/**/*.svelte'],
		// The vault's own storage and crypto treat names as opaque; their tests use any name.
		ignores: ['src/lib/ports/vault.ts', 'src/lib/adapters/crypto/*.spec.ts', 'src/lib/adapters/storage/*.spec.ts'],
		rules: {
			'no-restricted-syntax': [
				'error',
				{ selector: `Literal[value=/${recordPrefix}/]`, message: recordNameMessage },
				{
					selector: `TemplateLiteral > TemplateElement:first-child[value.raw=/${recordPrefix}/]`,
					message: recordNameMessage
				}
			]
		}
	}
];

/**
 * One HTTP chain (src/lib/adapters/http): every call to a provider, a git host, the relay or
 * the person's server goes through it, so retry, rate limits, timeouts and the one
 * status-to-error mapping apply everywhere. Anywhere else in src, reaching the network
 * directly (the fetch global, XMLHttpRequest, WebSocket, EventSource) fails; adapters take
 * the chain's `platformFetch`, and a vendor SDK gets the chain as its fetch (`asFetch`). The
 * service worker, which serves the app's own files, is the one exception.
 * Proven by tests/lint/http-chain.test.ts.
 */
const chainMessage =
	'Network calls go through the HTTP chain in src/lib/adapters/http (platformFetch, JsonApi, withRetry; asFetch for a vendor SDK).';
export const httpChain = [
	{
		files: ['src/**/*.ts', 'src/**/*.js', 'src/**/*.svelte'],
		ignores: ['src/lib/adapters/http/**', 'src/service-worker.ts'],
		rules: {
			'no-restricted-globals': [
				'error',
				...['fetch', 'XMLHttpRequest', 'WebSocket', 'EventSource'].map((name) => ({ name, message: chainMessage }))
			],
			'no-restricted-properties': [
				'error',
				...['globalThis', 'window', 'self'].map((object) => ({ object, property: 'fetch', message: chainMessage }))
			]
		}
	}
];

export default ts.config(
	js.configs.recommended,
	...ts.configs.recommended,
	...svelte.configs.recommended,
	{
		languageOptions: { globals: { ...globals.browser, ...globals.node } },
		rules: {
			// TypeScript's checker already reports undefined names.
			'no-undef': 'off',
			// The app is served from the root of its origin; there is no base path to resolve.
			'svelte/no-navigation-without-resolve': 'off',
			'@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }]
		}
	},
	{
		files: ['**/*.svelte', '**/*.svelte.ts', '**/*.svelte.js'],
		languageOptions: {
			parserOptions: {
				projectService: true,
				extraFileExtensions: ['.svelte'],
				parser: ts.parser,
				svelteConfig
			}
		}
	},
	...boundaries,
	...compositionRoot,
	...recordNames,
	...httpChain,
	{
		ignores: ['build/', '.svelte-kit/', 'node_modules/', 'test-results/', 'playwright-report/', 'tests/lint/fixtures/']
	}
);
