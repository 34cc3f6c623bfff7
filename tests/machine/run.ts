/**
 * `npm run test:machine [-- --all]`: the booted stand-in server's scenarios (README.md here).
 * Scenarios 1 and 3 by default, all five with --all; other arguments go to Vitest (for
 * example `-t "first boot"`). Figures (power-on to healthy) land in
 * tests/.tmp/reports/machine-figures.json, read by `npm run bench -- machine`.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const all = args.includes('--all');
const rest = args.filter((a) => a !== '--all');

if (process.getuid?.() !== 0) {
	// They build a Debian image with mmdebstrap and run sshd as the git host: as root, through sudo.
	const sudo = spawnSync('sudo', ['--preserve-env', process.execPath, import.meta.filename, ...args], {
		stdio: 'inherit'
	});
	if (sudo.error)
		process.stderr.write(
			'The machine tests need root (they build a Debian image with mmdebstrap and run sshd as the git host), and sudo is not there.\n'
		);
	process.exit(sudo.status ?? 2);
}
const reports = join(root, 'tests/.tmp/reports');
mkdirSync(reports, { recursive: true });
rmSync(join(reports, 'machine-figures.json'), { force: true });
// Vitest on this Node (the project's Node 24), whatever `node` the shell finds first.
const run = spawnSync(
	process.execPath,
	[
		join(root, 'node_modules/vitest/vitest.mjs'),
		'run',
		'-c',
		'tests/machine/vitest.config.ts',
		'--reporter=default',
		'--reporter=json',
		`--outputFile.json=${join(reports, 'vitest-machine.json')}`,
		...rest
	],
	{ cwd: root, env: { ...process.env, NASSELLA_MACHINE_ALL: all ? '1' : '0' }, stdio: 'inherit' }
);
process.exit(run.status ?? 1);
