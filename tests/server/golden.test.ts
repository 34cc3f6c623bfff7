/**
 * Golden files for the three fixture configs: tests/golden/<fixture>/ holds the exact bundle
 * and Ignition config. Env files use a deterministic stand-in for age here (goldenEncrypt:
 * recipient + SHA-256 of the plaintext), since real age output is randomised; real age is
 * used in the tool and sync tests. After an intended change: UPDATE_GOLDEN=1 npm exec -- vitest run tests/server/golden.test.ts
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { FIXTURES, ROOT, catalog, fixture, goldenEncrypt } from './helpers.ts';
import { renderServer } from '../../src/lib/core/server/render.ts';

const GOLDEN = join(ROOT, 'tests/golden');

function listFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((n) => {
		const p = join(dir, n);
		return statSync(p).isDirectory() ? listFiles(p) : [p];
	});
}

describe.each(FIXTURES)('golden %s', (name) => {
	it('renders exactly the committed files, twice the same', async () => {
		const a = await renderServer(fixture(name), catalog(), { encrypt: goldenEncrypt });
		const b = await renderServer(fixture(name), catalog(), { encrypt: goldenEncrypt });
		expect(b).toEqual(a);
		const expected = new Map<string, string>(a.files.map((f) => [`bundle/${f.path}`, f.contents]));
		expected.set('ignition.json', `${JSON.stringify(JSON.parse(a.ignition), null, '\t')}\n`);
		const dir = join(GOLDEN, name);
		if (process.env.UPDATE_GOLDEN) {
			rmSync(dir, { recursive: true, force: true });
			for (const [p, text] of expected) {
				mkdirSync(dirname(join(dir, p)), { recursive: true });
				writeFileSync(join(dir, p), text);
			}
		}
		expect(existsSync(dir), `${dir} missing: run with UPDATE_GOLDEN=1`).toBe(true);
		const actual = listFiles(dir)
			.map((p) => relative(dir, p))
			.sort();
		expect(actual).toEqual([...expected.keys()].sort());
		const hint =
			'after an intended change (a generator or catalog update): UPDATE_GOLDEN=1 npm exec -- vitest run tests/server/golden.test.ts';
		for (const [p, text] of expected) expect(readFileSync(join(dir, p), 'utf8'), `${p} differs; ${hint}`).toBe(text);
	});
});
