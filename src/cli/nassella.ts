#!/usr/bin/env node
/**
 * nassella's command line, for a person's config repository and its CI:
 *
 *   nassella render <config.json> <out-dir>   writes <out-dir>/bundle/ (commit this) and
 *                                            <out-dir>/ignition.json (holds secrets: never commit it)
 *   nassella validate <dir>                   checks a rendered directory (or a bundle alone)
 *
 * config.json is `{ "config": {…}, "secrets": {…} }` (src/lib/core/model/config.ts).
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { loadCatalog } from '../../catalog/load.ts';
import { ageEncrypt } from '../lib/adapters/age/encrypt.ts';
import { renderServer, type Encrypt } from '../lib/core/server/render.ts';
import type { BundleFile } from '../lib/core/server/manifest.ts';
import { validateOutput } from './validate.ts';

export function writeOutput(outDir: string, files: readonly BundleFile[], ignition: string): void {
	const bundle = join(outDir, 'bundle');
	rmSync(bundle, { recursive: true, force: true });
	for (const f of files) {
		const p = join(bundle, f.path);
		mkdirSync(dirname(p), { recursive: true });
		writeFileSync(p, f.contents);
		chmodSync(p, f.executable ? 0o755 : 0o644);
	}
	writeFileSync(join(outDir, 'ignition.json'), ignition, { mode: 0o600 });
	chmodSync(join(outDir, 'ignition.json'), 0o600);
}

export async function render(configPath: string, outDir: string, encrypt: Encrypt = ageEncrypt): Promise<void> {
	let input: unknown;
	try {
		input = JSON.parse(readFileSync(configPath, 'utf8'));
	} catch (e) {
		throw new Error(`${configPath} could not be read as JSON: ${(e as Error).message}`, { cause: e });
	}
	const catalog = loadCatalog();
	if (catalog.problems.length) throw new Error(`The app catalog has problems:\n${catalog.problems.join('\n')}`);
	const result = await renderServer(input, catalog.apps, { encrypt });
	mkdirSync(outDir, { recursive: true });
	writeOutput(outDir, result.files, result.ignition);
}

async function main(argv: string[]): Promise<number> {
	const [command, ...args] = argv;
	if (command === 'render' && args.length === 2) {
		await render(resolve(args[0]!), resolve(args[1]!));
		console.log(`Rendered ${args[1]}/bundle (commit it) and ${args[1]}/ignition.json (secret: never commit it).`);
		return 0;
	}
	if (command === 'validate' && args.length === 1) {
		const notes: string[] = [];
		const problems = validateOutput(resolve(args[0]!), {}, notes);
		for (const n of notes) console.warn(`Note: ${n}`);
		if (problems.length) {
			console.error(`${args[0]} is not valid:\n${problems.map((p) => `- ${p}`).join('\n')}`);
			return 1;
		}
		console.log(`${args[0]} is valid.`);
		return 0;
	}
	console.error('Usage: nassella render <config.json> <out-dir> | nassella validate <dir>');
	return 2;
}

if (process.argv[1] && resolve(process.argv[1]) === import.meta.filename) {
	main(process.argv.slice(2)).then(
		(code) => process.exit(code),
		(e: unknown) => {
			console.error((e as Error).message);
			process.exit(1);
		}
	);
}
