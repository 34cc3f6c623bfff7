import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { MANIFEST_PATH, renderManifest } from '../lib/core/server/manifest.ts';
import { repoCheck } from './repo-check.ts';

const GOLDEN = join(import.meta.dirname, '../../tests/golden/one-app/bundle');
const dirs: string[] = [];
afterEach(() => {
	for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A checkout of a config repository: the golden bundle, a README listed in it, and git's own folder. */
function checkout(): string {
	const dir = mkdtempSync(join(tmpdir(), 'nassella-repo-check-'));
	dirs.push(dir);
	cpSync(GOLDEN, dir, { recursive: true });
	writeFileSync(join(dir, 'README.md'), '# Configuration\n');
	relist(dir, ['README.md']);
	mkdirSync(join(dir, '.git', 'objects'), { recursive: true });
	writeFileSync(join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
	writeFileSync(join(dir, '.git', 'objects', 'pack'), new Uint8Array([0, 255, 1]));
	return dir;
}

/** Rewrites the manifest to list its files plus `added`, as nassella would. */
function relist(dir: string, added: string[] = []): void {
	const manifest = readFileSync(join(dir, MANIFEST_PATH), 'utf8');
	const paths = [...manifest.matchAll(/^[0-9a-f]{64} {2}(\S+)$/gm)].map((m) => m[1]!);
	const files = [...new Set([...paths, ...added])].map((path) => ({
		path,
		contents: readFileSync(join(dir, path), 'utf8')
	}));
	writeFileSync(join(dir, MANIFEST_PATH), renderManifest(files));
}

function check(dir: string) {
	const out: string[] = [];
	const err: string[] = [];
	const code = repoCheck(
		[dir],
		(l) => out.push(l),
		(l) => err.push(l)
	);
	return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('the config repository check', () => {
	it('accepts a checkout whose files all match the manifest; git’s folder is no part of it', () => {
		const r = check(checkout());
		expect(r.err).toBe('');
		expect(r.out).toMatch(/is valid \(Caddy was not run here/);
		expect(r.code).toBe(0);
	});

	it('names a file changed without its manifest entry, and one the manifest does not list', () => {
		const dir = checkout();
		writeFileSync(join(dir, 'docker-compose.yml'), readFileSync(join(dir, 'docker-compose.yml'), 'utf8') + '# x\n');
		writeFileSync(join(dir, 'notes.txt'), 'hello\n');
		const r = check(dir);
		expect(r.code).toBe(1);
		expect(r.err).toContain('is not valid, and the server will not apply it as it is');
		expect(r.err).toContain('- docker-compose.yml does not match its hash');
		expect(r.err).toContain('- notes.txt is not in the manifest');
		expect(r.out).toBe('');
	});

	it('refuses a Compose file the Compose schema refuses, even when the manifest lists it', () => {
		const dir = checkout();
		writeFileSync(join(dir, 'docker-compose.yml'), stringify({ services: { web: { image: 'nginx', ports: 'x' } } }));
		relist(dir);
		const r = check(dir);
		expect(r.code).toBe(1);
		expect(r.err).toMatch(/- docker-compose.yml\/services\/web\/ports must be array/);
		expect(r.err).not.toContain('hash');
	});

	it('refuses a folder without a manifest, and says how it is used', () => {
		const dir = mkdtempSync(join(tmpdir(), 'nassella-repo-check-'));
		dirs.push(dir);
		expect(check(dir)).toMatchObject({ code: 1, err: expect.stringContaining('MANIFEST.sha256 is missing') });
		expect(
			repoCheck(
				[],
				() => {},
				() => {}
			)
		).toBe(2);
	});
});
