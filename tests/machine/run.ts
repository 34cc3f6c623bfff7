/**
 * `npm run test:machine [-- --all]`: the booted stand-in server's scenarios (README.md here).
 * Scenarios 1 and 3 by default, all five with --all. The figures the scenarios print
 * (power-on to healthy) are collected into tests/.tmp/reports/machine.json for the benchmark.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const all = args.includes('--all');
const rest = args.filter((a) => a !== '--all');

if (process.getuid?.() !== 0) {
	process.stderr.write(
		'The machine tests need root: they build a Debian image with mmdebstrap and run sshd as the git host.\n'
	);
	process.exit(2);
}

const figures: Record<string, number> = {};
const child = spawn(
	join(root, 'node_modules/.bin/vitest'),
	['run', '-c', 'tests/machine/vitest.config.ts', ...rest],
	{ cwd: root, env: { ...process.env, NASSELLA_MACHINE_ALL: all ? '1' : '0' }, stdio: ['ignore', 'pipe', 'inherit'] }
);
let buffer = '';
child.stdout.on('data', (chunk: Buffer) => {
	process.stdout.write(chunk);
	buffer += chunk.toString('utf8');
	for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
		const line = buffer.slice(0, nl);
		buffer = buffer.slice(nl + 1);
		const m = /MACHINE_FIGURE ([a-z0-9-]+) ([0-9.]+)/.exec(line);
		if (m) figures[m[1]!] = Number(m[2]);
	}
});
child.on('exit', (code) => {
	const dir = join(root, 'tests/.tmp/reports');
	mkdirSync(dir, { recursive: true });
	writeFileSync(join(dir, 'machine.json'), `${JSON.stringify({ at: new Date().toISOString(), all, figures }, null, 2)}\n`);
	if (Object.keys(figures).length) process.stdout.write(`Machine figures: ${JSON.stringify(figures)}\n`);
	process.exit(code ?? 1);
});
