/**
 * Builds the check every config repository carries (`.github/nassella/validate.mjs`): one
 * ES module made from repo-check-entry.ts, the checks it uses, Ajv, yaml and the Compose
 * schema, that imports only Node's built-ins (`node:*`), so the repository's workflow runs it
 * with plain `node` (20 or newer): nothing to install, no network.
 *
 * The app gets it as the string `virtual:nassella-repo-check` (repoCheckPlugin, in
 * vite.config.ts), built with the app, so it always matches the source; nassella commits it
 * with its SHA-256 pinned in the workflow (src/lib/core/git/repo-files.ts). The same source
 * gives the same bytes, so an unchanged check is never committed anew.
 */
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin, type Rollup } from 'vite';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const REPO_CHECK_ENTRY = fileURLToPath(new URL('./repo-check-entry.ts', import.meta.url));
export const REPO_CHECK_MODULE = 'virtual:nassella-repo-check';
const RESOLVED = '\0' + REPO_CHECK_MODULE;
/** The oldest Node the built check supports. */
export const REPO_CHECK_NODE = 'node20';

const BANNER = `// nassella's check of this repository: .github/workflows/validate.yml runs it on every push as
// \`node .github/nassella/validate.mjs .\` (Node 20 or newer, nothing to install, no network).
// It is built from src/cli/repo-check.ts in nassella's source code. nassella writes this file,
// pins its SHA-256 in the workflow, and replaces both when it changes them. Do not edit it.`;

export interface BuiltRepoCheck {
	/** The module's text, as committed. */
	source: string;
	/** The project's own files it was built from (absolute paths). */
	modules: string[];
}

/**
 * Bundles the check. Throws when the result would import anything but a Node built-in, since
 * a runner has nothing else.
 */
export async function buildRepoCheck(): Promise<BuiltRepoCheck> {
	const core = join(ROOT, 'src', 'lib', 'core') + sep;
	const result = await build({
		configFile: false,
		root: ROOT,
		logLevel: 'warn',
		publicDir: false,
		envDir: false,
		mode: 'production',
		build: {
			ssr: REPO_CHECK_ENTRY,
			write: false,
			minify: true,
			target: REPO_CHECK_NODE,
			sourcemap: false,
			copyPublicDir: false,
			emptyOutDir: false,
			rollupOptions: {
				output: { format: 'es', codeSplitting: false, postBanner: BANNER },
				// core is pure by rule (eslint.config.js): what the check does not use is left out,
				// so editing unrelated core code does not change the check.
				treeshake: { moduleSideEffects: (id) => !id.startsWith(core), propertyReadSideEffects: false }
			}
		},
		// Everything is bundled; `yaml` in its ES module form (its `node` entry is CommonJS).
		ssr: { noExternal: true, target: 'node', resolve: { conditions: ['import', 'module', 'default'] } }
	});
	const outputs = (Array.isArray(result) ? result : [result]) as Rollup.RollupOutput[];
	const chunks = outputs.flatMap((o) => o.output).filter((o): o is Rollup.OutputChunk => o.type === 'chunk');
	if (chunks.length !== 1) throw new Error(`The repository check was built as ${chunks.length} files, not one.`);
	const chunk = chunks[0]!;
	const foreign = [...chunk.imports, ...chunk.dynamicImports].filter((i) => !i.startsWith('node:'));
	if (foreign.length) throw new Error(`The repository check would import ${foreign.join(', ')}; only node:* may stay.`);
	if (!chunk.code.startsWith(BANNER)) throw new Error('The repository check lost its header.');
	const modules = chunk.moduleIds.filter((id) => id.startsWith(ROOT) && !id.includes(`${sep}node_modules${sep}`));
	return { source: chunk.code, modules };
}

/**
 * `import source from 'virtual:nassella-repo-check'`: the built check as a string. It is built
 * once for the app's client and server builds, and again after one of its sources changes.
 */
export function repoCheckPlugin(): Plugin {
	let built: Promise<BuiltRepoCheck> | undefined;
	let sources = new Set<string>();
	return {
		name: 'nassella-repo-check',
		resolveId(id) {
			return id === REPO_CHECK_MODULE ? RESOLVED : undefined;
		},
		async load(id) {
			if (id !== RESOLVED) return undefined;
			built ??= buildRepoCheck();
			const { source, modules } = await built.catch((e: unknown) => {
				built = undefined;
				throw e;
			});
			sources = new Set(modules);
			for (const m of modules) this.addWatchFile(m);
			return `export default ${JSON.stringify(source)};`;
		},
		watchChange(id) {
			if (sources.has(id)) built = undefined;
		}
	};
}
