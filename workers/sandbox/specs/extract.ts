/**
 * Keeps the part of an official OpenAPI document that the fakes use: the listed operations and
 * every component they reference, transitively. `node workers/sandbox/specs/extract.ts` rewrites
 * the committed subsets from ../shared/specs; tests/specs checks they still match the official files.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { format, resolveConfig } from 'prettier';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { USED_OPERATIONS } from './used.ts';

type Json = Record<string, unknown>;

export function extractSubset(doc: Json, used: Record<string, string[]>): Json {
	const paths: Record<string, Json> = {};
	const refs = new Set<string>();
	const collect = (node: unknown) => {
		if (Array.isArray(node)) node.forEach(collect);
		else if (node && typeof node === 'object') {
			for (const [k, v] of Object.entries(node as Json)) {
				if (k === '$ref' && typeof v === 'string' && v.startsWith('#/') && !refs.has(v)) {
					refs.add(v);
					collect(pointer(doc, v));
				} else collect(v);
			}
		}
	};
	const docPaths = doc.paths as Record<string, Json>;
	for (const [path, methods] of Object.entries(used)) {
		const item = docPaths[path];
		if (!item) throw new Error(`The official spec has no path ${path}.`);
		const kept: Json = {};
		if (item.parameters) kept.parameters = item.parameters;
		for (const m of methods) {
			if (!item[m]) throw new Error(`The official spec has no ${m.toUpperCase()} ${path}.`);
			kept[m] = item[m];
		}
		paths[path] = kept;
		collect(kept);
	}
	const components: Record<string, Json> = {};
	for (const ref of [...refs].sort()) {
		const [, , section, ...rest] = ref.split('/');
		const name = rest.join('/').replace(/~1/g, '/').replace(/~0/g, '~');
		components[section!] ??= {};
		components[section!]![name] = pointer(doc, ref);
	}
	return { openapi: doc.openapi, info: doc.info, servers: doc.servers, paths, components };
}

function pointer(doc: Json, ref: string): unknown {
	return ref
		.slice(2)
		.split('/')
		.reduce<unknown>((a, k) => (a as Json)[k.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

export const SPEC_FILES = { digitalocean: 'digitalocean.json', hetzner: 'hetzner-cloud.json' } as const;

export const here = dirname(fileURLToPath(import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
	const shared = process.argv[2] ?? join(here, '../../../../shared/specs');
	for (const [name, file] of Object.entries(SPEC_FILES)) {
		const doc = JSON.parse(readFileSync(join(shared, file), 'utf8')) as Json;
		const subset = extractSubset(doc, USED_OPERATIONS[name as keyof typeof SPEC_FILES]);
		const target = join(here, `${name}.subset.json`);
		// Written in the repository's own format, so `npm run check` stays green after a refresh.
		const options = { ...(await resolveConfig(target)), parser: 'json' };
		writeFileSync(target, await format(JSON.stringify(subset), options));
		console.log(`${name}: ${Object.keys(subset.paths as Json).length} paths`);
	}
}
