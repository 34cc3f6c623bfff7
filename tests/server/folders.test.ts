/**
 * The apps' data folders with the owner their images need (catalog `folders`), made by the
 * bundle's real bin/folders.sh on a real file system: before the first start, after a
 * restore brought back files owned by someone else, never through a link an app put there.
 * Giving files to another user needs root; as another user these cases are skipped.
 */
import { describe, expect, it } from 'vitest';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fixture, renderTo, run } from './helpers.ts';

const root = process.getuid?.() === 0;

async function bundleWithVikunja() {
	const input = fixture('all-apps');
	const apps = input.config.apps as { id: string }[];
	expect(apps.map((a) => a.id)).toContain('vikunja');
	return (await renderTo(input)).bundle;
}

describe.runIf(root)('data folders', () => {
	it('are listed with owner and mode, and made before the first start with them', async () => {
		const bundle = await bundleWithVikunja();
		const list = readFileSync(join(bundle, 'folders.list'), 'utf8');
		expect(list).toContain('vikunja files 1000 1000 0750\n');
		const data = mkdtempSync(join(tmpdir(), 'nassella-folders-'));
		const r = run('bash', [join(bundle, 'bin/folders.sh'), join(bundle, 'folders.list')], {
			env: { ...process.env, ROOT: data }
		});
		expect(r.code, r.stderr).toBe(0);
		const files = statSync(join(data, 'data/vikunja/files'));
		expect([files.uid, files.gid, (files.mode & 0o7777).toString(8)]).toEqual([1000, 1000, '750']);
		// Its parent stays root's: only the declared folder changes hands.
		expect(statSync(join(data, 'data/vikunja')).uid).toBe(0);
		// Run again with nothing to do: nothing is said, nothing changes.
		const again = run('bash', [join(bundle, 'bin/folders.sh'), join(bundle, 'folders.list')], {
			env: { ...process.env, ROOT: data }
		});
		expect(again.code).toBe(0);
		expect(again.stderr).toBe('');
	});

	it('after a restore of files owned by root, gives the folder and what it holds to the declared owner', async () => {
		const bundle = await bundleWithVikunja();
		const data = mkdtempSync(join(tmpdir(), 'nassella-folders-'));
		const files = join(data, 'data/vikunja/files');
		mkdirSync(join(files, 'avatars'), { recursive: true });
		writeFileSync(join(files, 'avatars/1.png'), 'png');
		chownSync(files, 0, 0);
		const r = run('bash', [join(bundle, 'bin/folders.sh'), join(bundle, 'folders.list')], {
			env: { ...process.env, ROOT: data }
		});
		expect(r.code, r.stderr).toBe(0);
		expect(r.stderr).toContain("vikunja's folder files now belongs to 1000:1000");
		for (const p of [files, join(files, 'avatars'), join(files, 'avatars/1.png')])
			expect(statSync(p).uid, p).toBe(1000);
		expect(readFileSync(join(files, 'avatars/1.png'), 'utf8')).toBe('png');
	});

	it('never follows a link an app put in place of its folder', async () => {
		const bundle = await bundleWithVikunja();
		const data = mkdtempSync(join(tmpdir(), 'nassella-folders-'));
		const outside = mkdtempSync(join(tmpdir(), 'nassella-outside-'));
		writeFileSync(join(outside, 'secret'), 'x');
		mkdirSync(join(data, 'data/vikunja'), { recursive: true });
		symlinkSync(outside, join(data, 'data/vikunja/files'));
		const r = run('bash', [join(bundle, 'bin/folders.sh'), join(bundle, 'folders.list')], {
			env: { ...process.env, ROOT: data }
		});
		expect(r.code).toBe(1);
		expect(r.stderr).toContain(`${join(data, 'data/vikunja/files')} is a link, not a folder`);
		expect(statSync(outside).uid).toBe(0);
		expect(statSync(join(outside, 'secret')).uid).toBe(0);
		expect((statSync(outside).mode & 0o777).toString(8)).toBe('700');
	});

	it('refuses a line that is not plain, and does the others', () => {
		const dir = mkdtempSync(join(tmpdir(), 'nassella-folders-'));
		const list = join(dir, 'folders.list');
		writeFileSync(list, 'vikunja ../../etc 1000 1000 0750\nmemos data 10001 10001 0700\nx y; 0 0 0777\n');
		const script = join(dir, 'folders.sh');
		writeFileSync(script, readFileSync(join(import.meta.dirname, '../../src/lib/core/server/scripts/folders.sh')));
		const r = run('bash', [script, list], { env: { ...process.env, ROOT: dir } });
		expect(r.code).toBe(1);
		expect(r.stderr.match(/is not plain/g)).toHaveLength(2);
		expect(statSync(join(dir, 'data/memos/data')).uid).toBe(10001);
		expect(() => statSync(join(dir, 'etc'))).toThrow();
	});
});
