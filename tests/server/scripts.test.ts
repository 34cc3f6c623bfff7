/** The scripts core carries as strings (scripts.gen.ts) are exactly the checked-in .sh files. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SCRIPTS } from '../../src/lib/core/server/scripts.gen.ts';
import { SCRIPTS_DIR } from '../../src/cli/embed-scripts.ts';
import { compactShell } from '../../src/lib/core/server/ignition.ts';
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

	it('travel in Ignition without comments, blank lines or indentation, and bash parses them to the same program', () => {
		for (const [name, text] of Object.entries(SCRIPTS)) {
			const compact = compactShell(text);
			expect(compact.startsWith('#!/bin/bash\n'), name).toBe(true);
			expect(compact.length, name).toBeLessThan(text.length * 0.9);
			expect(
				compact.split('\n').filter((l) => /^\s*#/.test(l) && !l.startsWith('# shellcheck ')),
				name
			).toEqual(['#!/bin/bash']);
			const original = join(SCRIPTS_DIR, name);
			const copy = join(mkdtempSync(join(tmpdir(), 'nassella-compact-')), name);
			writeFileSync(copy, compact);
			// bash prints the program it parsed; it keeps the blank lines between top-level commands.
			const parsed = (file: string) => {
				const r = run('bash', ['--pretty-print', file]);
				expect(r.code, r.stderr).toBe(0);
				return { ...r, stdout: r.stdout.replace(/\n\s*\n/g, '\n') };
			};
			const a = parsed(original);
			const b = parsed(copy);
			expect(b.stdout, name).toBe(a.stdout);
			expect(a.stdout.length, name).toBeGreaterThan(200);
		}
		expect(compactShell('#!/bin/bash\n# note\n\tx="a\n\t# kept: inside a string\n  b"\n  echo "$x" # said\n')).toBe(
			'#!/bin/bash\nx="a\n\t# kept: inside a string\n  b"\necho "$x" # said\n'
		);
		expect(() => compactShell('#!/bin/bash\ncat <<EOF\nx\nEOF\n')).toThrow(/here-document/);
	});
});
