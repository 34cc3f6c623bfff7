/**
 * Checks of a rendered output directory, shared by the CLI, the tests and the check each
 * config repository runs (repo-check.ts, built into one file by repo-check-build.ts). Node only.
 * The schemas are imported, not read from disk, so the built check carries them.
 */
import { existsSync, readFileSync, readdirSync, statSync, lstatSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, relative } from 'node:path';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { checkManifest, MANIFEST_PATH } from '../lib/core/server/manifest.ts';
import { IGNITION_MAX_BYTES } from '../lib/core/server/ignition.ts';
import { REQUEST_ID } from '../lib/core/model/config.ts';
import composeSchema from './schemas/compose-spec.json' with { type: 'json' };
import ignitionSchema from './schemas/ignition-3.3.0.json' with { type: 'json' };

/** requests.json: an object with at most `backup` and `drill`, each a plain id. */
export function checkRequests(text: string): string[] {
	let doc: unknown;
	try {
		doc = JSON.parse(text);
	} catch {
		return ['requests.json is not JSON'];
	}
	if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['requests.json is not an object'];
	const problems: string[] = [];
	for (const [k, v] of Object.entries(doc)) {
		if (k !== 'backup' && k !== 'drill')
			problems.push(`requests.json: "${k.slice(0, 40)}" is not a request (backup, drill)`);
		else if (typeof v !== 'string' || !REQUEST_ID.test(v))
			problems.push(`requests.json: the ${k} id is not a plain id`);
	}
	return problems;
}

type Validator = ReturnType<Ajv['compile']>;
let ajv: Ajv | undefined;
let composeCache: Validator | undefined;
let ignitionCache: Validator | undefined;

/** The compose-spec schema, compiled once (without `$schema` and `$id`, see schemas/SOURCE.md). */
export function composeValidator(): Validator {
	if (!composeCache) {
		const { $schema: _s, $id: _i, ...schema } = composeSchema as Record<string, unknown>;
		composeCache = (ajv ??= new Ajv({ allErrors: true, strict: false })).compile(schema);
	}
	return composeCache;
}

/** The Ignition 3.3.0 schema (draft-04), compiled once with Ajv's default draft. */
export function ignitionValidator(): Validator {
	if (!ignitionCache) {
		const { $schema: _s, ...schema } = ignitionSchema as Record<string, unknown>;
		ignitionCache = (ajv ??= new Ajv({ allErrors: true, strict: false })).compile(schema);
	}
	return ignitionCache;
}

export function validators(): { ignition: Validator; compose: Validator } {
	return { ignition: ignitionValidator(), compose: composeValidator() };
}

/** Every file under `dir`, sorted; links are marked. Git's own `.git` folder at the top is no part of it. */
function walk(dir: string, base = dir): string[] {
	const out: string[] = [];
	for (const name of readdirSync(dir)) {
		if (dir === base && name === '.git') continue;
		const p = join(dir, name);
		const st = lstatSync(p);
		if (st.isSymbolicLink()) out.push(`!symlink:${relative(base, p)}`);
		else if (st.isDirectory()) out.push(...walk(p, base));
		else out.push(relative(base, p));
	}
	return out.sort();
}

/**
 * Stand-in values for the `{$NASSELLA_GATE_…}` variables of the setup gates, so Caddy can check
 * the Caddyfile without the server's encrypted caddy.env: a bcrypt hash of a throwaway value and a
 * cookie value of the right form. On the server Caddy reads the real ones; without them it
 * refuses the file, so a gate never opens by accident.
 */
export function caddyCheckEnv(caddyfile: string): Record<string, string> {
	const env: Record<string, string> = {};
	for (const [, name] of caddyfile.matchAll(/\{\$(NASSELLA_GATE_[A-Z0-9_]+|NASSELLA_ADMIN_HASH)\}/g))
		env[name!] = name!.endsWith('_HASH')
			? '$2a$14$Jo2Ytr.dltoc0H9UtoYU/eeT17dSijaweyLb.86lrE0hEqIj6bTCG'
			: 'checkonlynotarealcookievalue0000';
	return env;
}

/**
 * Problems with a bundle directory (a config repository's checkout is one). Empty when valid.
 * Checks that could not run (no caddy installed) are added to `notes`, never skipped silently;
 * `caddy: false` leaves Caddy out on purpose.
 */
export function validateBundle(bundle: string, options: { caddy?: boolean } = {}, notes: string[] = []): string[] {
	const problems: string[] = [];
	if (!existsSync(join(bundle, MANIFEST_PATH))) return [`${MANIFEST_PATH} is missing in ${bundle}`];
	const paths = walk(bundle);
	for (const p of paths)
		if (p.startsWith('!symlink:')) problems.push(`${p.slice(9)} is a link; bundles hold plain files only`);
	const files = paths
		.filter((p) => !p.startsWith('!'))
		.map((p) => ({ path: p, contents: readFileSync(join(bundle, p), 'utf8') }));
	problems.push(...checkManifest(readFileSync(join(bundle, MANIFEST_PATH), 'utf8'), files));
	const composeFile = join(bundle, 'docker-compose.yml');
	if (!existsSync(composeFile)) problems.push('docker-compose.yml is missing');
	else {
		try {
			const doc = parse(readFileSync(composeFile, 'utf8'));
			const v = composeValidator();
			if (!v(doc)) problems.push(...(v.errors ?? []).map((e) => `docker-compose.yml${e.instancePath} ${e.message}`));
		} catch (e) {
			problems.push(`docker-compose.yml is not valid YAML: ${(e as Error).message.split('\n')[0]}`);
		}
	}
	const requestsFile = join(bundle, 'requests.json');
	if (existsSync(requestsFile)) problems.push(...checkRequests(readFileSync(requestsFile, 'utf8')));
	if (!existsSync(join(bundle, 'Caddyfile'))) problems.push('Caddyfile is missing');
	else if (options.caddy !== false) {
		// Caddy itself is the only reliable Caddyfile parser; it is used when installed.
		const r = spawnSync('caddy', ['validate', '--config', join(bundle, 'Caddyfile'), '--adapter', 'caddyfile'], {
			encoding: 'utf8',
			timeout: 60_000,
			env: { ...process.env, ...caddyCheckEnv(readFileSync(join(bundle, 'Caddyfile'), 'utf8')) }
		});
		if (r.error) notes.push('caddy is not installed here, so the Caddyfile was not checked by Caddy.');
		else if (r.status !== 0)
			problems.push(`Caddy refuses the Caddyfile: ${(r.stderr.trim().split('\n').pop() ?? '').slice(0, 300)}`);
	}
	return problems;
}

/**
 * Problems with `<dir>/bundle` (and `<dir>/ignition.json` when present), or with `<dir>` as a
 * bundle when it has no `bundle` folder. Empty when valid.
 */
export function validateOutput(dir: string, options: { caddy?: boolean } = {}, notes: string[] = []): string[] {
	const bundle = existsSync(join(dir, 'bundle')) ? join(dir, 'bundle') : dir;
	if (!existsSync(join(bundle, MANIFEST_PATH))) return [`${MANIFEST_PATH} is missing in ${bundle}`];
	const problems = validateBundle(bundle, options, notes);
	const ignFile = join(dir, 'ignition.json');
	if (bundle !== dir && existsSync(ignFile)) {
		const size = statSync(ignFile).size;
		if (size > IGNITION_MAX_BYTES) problems.push(`ignition.json is ${size} bytes; the limit is ${IGNITION_MAX_BYTES}`);
		try {
			const ign = JSON.parse(readFileSync(ignFile, 'utf8'));
			const v = ignitionValidator();
			if (!v(ign)) problems.push(...(v.errors ?? []).map((e) => `ignition.json${e.instancePath} ${e.message}`));
			if (ign?.ignition?.version !== '3.3.0') problems.push('ignition.json is not Ignition spec 3.3.0');
		} catch (e) {
			problems.push(`ignition.json is not JSON: ${(e as Error).message}`);
		}
	}
	return problems;
}
