/** Shared helpers for the server tests: render fixtures to temp dirs, read Ignition contents. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { loadCatalog } from '../../catalog/load.ts';
import { ageEncrypt } from '../../src/lib/adapters/age/encrypt.ts';
import { renderServer, type Encrypt } from '../../src/lib/core/server/render.ts';
import { writeOutput } from '../../src/cli/nassella.ts';
import type { AppManifest } from '../../src/lib/core/catalog/types.ts';

export const FIXTURES = ['one-app', 'five-apps', 'all-apps'] as const;
export const ROOT = join(import.meta.dirname, '../..');

let catalogCache: AppManifest[] | undefined;
export function catalog(): AppManifest[] {
	if (!catalogCache) {
		const c = loadCatalog();
		if (c.problems.length) throw new Error(c.problems.join('\n'));
		catalogCache = c.apps;
	}
	return catalogCache;
}

export function fixture(name: string): { config: Record<string, unknown>; secrets: Record<string, unknown> } {
	return JSON.parse(readFileSync(join(ROOT, 'tests/fixtures/configs', `${name}.json`), 'utf8'));
}

/** Deterministic stand-in for age in golden files: marks the plaintext's hash, reveals nothing. */
export const goldenEncrypt: Encrypt = async (plaintext, recipient) =>
	`-----BEGIN TEST CIPHERTEXT-----\nrecipient ${recipient}\nsha256 ${createHash('sha256').update(plaintext).digest('hex')}\n-----END TEST CIPHERTEXT-----\n`;

export async function renderTo(input: unknown, encrypt: Encrypt = ageEncrypt, caddy = {}) {
	const dir = mkdtempSync(join(tmpdir(), 'nassella-render-'));
	const result = await renderServer(input, catalog(), { encrypt, caddy });
	writeOutput(dir, result.files, result.ignition);
	return { dir, bundle: join(dir, 'bundle'), ignitionPath: join(dir, 'ignition.json'), ...result };
}

export function dataUrlText(source: string, compression?: string): string {
	const comma = source.indexOf(',');
	const meta = source.slice(5, comma);
	const body = source.slice(comma + 1);
	if (compression === 'gzip') return gunzipSync(Buffer.from(body, 'base64')).toString('utf8');
	return meta.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
}

export interface IgnitionDoc {
	ignition: { version: string };
	passwd?: { users: { name: string; sshAuthorizedKeys?: string[] }[] };
	storage: {
		files: {
			path: string;
			mode: number;
			contents: { source: string; compression?: string; verification?: { hash: string } };
		}[];
		links: { path: string; target: string }[];
	};
	systemd: {
		units: { name: string; enabled?: boolean; contents?: string; dropins?: { name: string; contents: string }[] }[];
	};
}

export function ignitionFile(ign: IgnitionDoc, path: string): string {
	const f = ign.storage.files.find((x) => x.path === path);
	if (!f) throw new Error(`${path} is not in the Ignition config`);
	return dataUrlText(f.contents.source, f.contents.compression);
}

export function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}) {
	const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000, ...opts });
	return { code: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? ''), error: r.error };
}
