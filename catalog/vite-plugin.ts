/**
 * Bundles the validated catalog into the app as the virtual module `virtual:nassella-catalog`.
 * Validation (AJV and the catalog rules) runs here, in Node, at build time: an invalid entry
 * fails the build with its problems listed, and the browser never compiles a schema (the app's
 * CSP forbids the `new Function` AJV would need).
 */
import type { Plugin } from 'vite';
import { loadCatalog } from './load.ts';

export const CATALOG_MODULE = 'virtual:nassella-catalog';
const RESOLVED = '\0' + CATALOG_MODULE;

export function catalogPlugin(dir?: string): Plugin {
	return {
		name: 'nassella-catalog',
		resolveId(id) {
			return id === CATALOG_MODULE ? RESOLVED : undefined;
		},
		load(id) {
			if (id !== RESOLVED) return undefined;
			const { apps, problems, files } = loadCatalog(dir);
			for (const f of files) this.addWatchFile(f);
			if (problems.length > 0) {
				this.error(`The app catalog has problems:\n  - ${problems.join('\n  - ')}`);
			}
			return `export default ${JSON.stringify(apps)};`;
		}
	};
}
