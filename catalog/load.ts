/**
 * Reads and validates the whole catalog in Node: each `catalog/<id>/manifest.yaml` against
 * `schema.json` (AJV) and `checkManifest()`, each icon for safety, and all apps together for
 * clashes. Used by the build (vite-plugin.ts), the tests and the benchmark; the browser gets
 * only the validated result, so AJV never runs under the app's CSP.
 */
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import { parseDocument } from 'yaml';
import { checkManifest } from '../src/lib/core/catalog/check.ts';
import { checkCatalog } from '../src/lib/core/catalog/catalog.ts';
import type { AppManifest, CatalogApp } from '../src/lib/core/catalog/types.ts';

export const CATALOG_DIR = import.meta.dirname;

let compiled: ValidateFunction | undefined;
/** The manifest schema, compiled once. */
export function manifestValidator(): ValidateFunction {
	if (!compiled) {
		const schema = JSON.parse(readFileSync(join(CATALOG_DIR, 'schema.json'), 'utf8'));
		compiled = new Ajv2020({ allErrors: true, strict: true }).compile(schema);
	}
	return compiled;
}

/** Problems with one parsed manifest, each prefixed with the app id: schema first, then the cross-field rules. */
export function validateManifest(data: unknown, label: string): string[] {
	const validate = manifestValidator();
	if (!validate(data)) {
		return (validate.errors ?? []).map((e) => {
			const where = e.instancePath || '(top level)';
			const extra =
				e.keyword === 'additionalProperties'
					? ` "${String((e.params as { additionalProperty: string }).additionalProperty)}"`
					: '';
			return `${label}: ${where} ${e.message ?? 'is invalid'}${extra}`;
		});
	}
	return checkManifest(data as AppManifest).map((p) => `${label}: ${p}`);
}

/** Problems with an icon: must be a small, self-contained SVG with no scripts or external references. */
export function checkIcon(svg: string, label: string): string[] {
	const problems: string[] = [];
	if (!/^\s*<svg[\s>]/.test(svg) || !svg.trimEnd().endsWith('</svg>'))
		problems.push(`${label}: icon is not an SVG document`);
	if (svg.length > 16_384) problems.push(`${label}: icon is larger than 16 KiB`);
	if (/<script|<foreignObject|\son[a-z]+\s*=|javascript:|<!ENTITY|<!DOCTYPE/i.test(svg))
		problems.push(`${label}: icon contains scripts, event handlers or entities`);
	if (/(?:href|src)\s*=\s*["'](?!#)/i.test(svg) || /url\(\s*['"]?(?!#)/i.test(svg))
		problems.push(`${label}: icon refers to another file or site`);
	return problems;
}

/**
 * One manifest's values (YAML 1.2, core schema), or an error naming the first problem and its
 * line and column; a key given twice in one mapping is refused. Pretty errors are off because
 * they cost a line count on every file; the position is worked out only when there is an error.
 */
export function parseManifestYaml(text: string): unknown {
	const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
	const [first] = doc.errors;
	if (first) {
		const lines = text.slice(0, first.pos[0]).split('\n');
		const what = first.code === 'DUPLICATE_KEY' ? 'duplicated mapping key' : first.message.split('\n')[0];
		throw new Error(`${what} (${lines.length}:${(lines.at(-1) ?? '').length + 1})`);
	}
	return doc.toJS();
}

export interface LoadedCatalog {
	apps: CatalogApp[];
	problems: string[];
	/** Files read, for the build's watcher. */
	files: string[];
}

/** Loads every app directory under `dir` (default: this catalog). */
export function loadCatalog(dir: string = CATALOG_DIR): LoadedCatalog {
	const apps: CatalogApp[] = [];
	const problems: string[] = [];
	const files: string[] = [];
	const ids = readdirSync(dir, { withFileTypes: true })
		.filter((d) => d.isDirectory() && existsSync(join(dir, d.name, 'manifest.yaml')))
		.map((d) => d.name)
		.sort();
	for (const id of ids) {
		const file = join(dir, id, 'manifest.yaml');
		files.push(file);
		let data: unknown;
		try {
			data = parseManifestYaml(readFileSync(file, 'utf8'));
		} catch (e) {
			problems.push(`${id}: manifest.yaml is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
			continue;
		}
		const own = validateManifest(data, id);
		const manifest = data as AppManifest;
		if (own.length === 0 && manifest.id !== id)
			own.push(`${id}: the manifest's id "${manifest.id}" differs from its directory name`);
		if (own.length > 0) {
			problems.push(...own);
			continue;
		}
		const iconFile = join(dir, id, manifest.icon);
		files.push(iconFile);
		if (!existsSync(iconFile)) {
			problems.push(`${id}: icon file ${manifest.icon} is missing`);
			continue;
		}
		const iconSvg = readFileSync(iconFile, 'utf8');
		const iconProblems = checkIcon(iconSvg, id);
		if (iconProblems.length > 0) {
			problems.push(...iconProblems);
			continue;
		}
		apps.push({ ...manifest, iconSvg });
	}
	problems.push(...checkCatalog(apps));
	return { apps, problems, files };
}
