/** The scripts core carries as strings (scripts.gen.ts) are exactly the checked-in .sh files. */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { SCRIPTS } from '../../src/lib/core/server/scripts.gen.ts';
import { SCRIPTS_DIR } from '../../src/cli/embed-scripts.ts';
import { run } from './helpers.ts';

describe('embedded scripts', () => {
	it('match the .sh sources (run `npm run embed-scripts` after editing one)', () => {
		const names = readdirSync(SCRIPTS_DIR)
			.filter((n) => n.endsWith('.sh'))
			.sort();
		expect(Object.keys(SCRIPTS).sort()).toEqual(names);
		for (const n of names) expect(SCRIPTS[n], n).toBe(readFileSync(join(SCRIPTS_DIR, n), 'utf8'));
	});

	it('pass shellcheck as sources', () => {
		const names = readdirSync(SCRIPTS_DIR).filter((n) => n.endsWith('.sh'));
		const r = run('shellcheck', ['--severity=style', ...names.map((n) => join(SCRIPTS_DIR, n))]);
		expect(r.stdout + r.stderr).toBe('');
		expect(r.code).toBe(0);
	});
});
