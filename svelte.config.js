import adapter from '@sveltejs/adapter-static';
import { vitePreprocess } from '@sveltejs/vite-plugin-svelte';
import { createHash } from 'node:crypto';
import { PROVIDERS } from './src/lib/adapters/registry.ts';
import { connectOrigins } from './src/lib/core/providers/offers.ts';
import { DOH_ORIGINS } from './src/lib/core/net/doh-origins.ts';

/**
 * Extra origins the built app may talk to: the CORS proxy the deployment uses,
 * given at build time (space separated). The local entry (`npm start`) serves the
 * proxy and the sandbox providers from the app's own origin, so it needs none.
 */
const extraOrigins = (process.env.NASSELLA_PROXY_ORIGIN ?? '')
	.split(/\s+/)
	.filter(Boolean)
	.map((o) => new URL(o).origin);

/**
 * SvelteKit's route announcer (for screen readers) carries this inline style attribute.
 * Allowing exactly this value by its hash keeps 'unsafe-inline' out of the policy; the
 * e2e tests fail on any CSP violation, so a change upstream is noticed at once.
 */
const ANNOUNCER_STYLE =
	'position: absolute; left: 0; top: 0; clip: rect(0 0 0 0); clip-path: inset(50%); overflow: hidden; white-space: nowrap; width: 1px; height: 1px';
const announcerHash = `sha256-${createHash('sha256').update(ANNOUNCER_STYLE).digest('base64')}`;

/** @typedef {NonNullable<NonNullable<import('@sveltejs/kit').KitConfig['csp']>['directives']>['connect-src']} ConnectSources */

/** @type {import('@sveltejs/kit').Config} */
const config = {
	preprocess: vitePreprocess(),
	compilerOptions: {
		// Runes everywhere in the project's own code.
		runes: ({ filename }) => (filename.split(/[/\\]/).includes('node_modules') ? undefined : true)
	},
	kit: {
		// Fully static: every page is rendered in the browser from one fallback page.
		adapter: adapter({ pages: 'build', assets: 'build', fallback: 'index.html', strict: true }),
		csp: {
			// Hashes, not nonces: the files are static and served by any host.
			mode: 'hash',
			directives: {
				'default-src': ['none'],
				'script-src': ['self', 'wasm-unsafe-eval'],
				'style-src': ['self', 'unsafe-hashes', /** @type {`sha256-${string}`} */ (announcerHash)],
				'img-src': ['self', 'data:'],
				'font-src': ['self'],
				'manifest-src': ['self'],
				'worker-src': ['self'],
				// Each provider's API origins (its descriptor), the public DNS-over-HTTPS resolvers, the relay.
				'connect-src': /** @type {ConnectSources} */ ([
					'self',
					...connectOrigins(PROVIDERS),
					...DOH_ORIGINS,
					...extraOrigins
				]),
				'object-src': ['none'],
				'base-uri': ['none'],
				'form-action': ['none'],
				'upgrade-insecure-requests': false
			}
		},
		serviceWorker: {
			// Registered by the app itself so that updates wait for the person's consent.
			register: false
		},
		version: {
			pollInterval: 0
		},
		typescript: {
			config: (tsconfig) => {
				tsconfig.include.push('../workers/**/*.ts', '../catalog/**/*.ts');
			}
		}
	}
};

export default config;
