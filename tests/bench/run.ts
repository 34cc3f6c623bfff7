/**
 * `npm run bench`: runs every tests/bench/*.bench.ts (or those named on the command line)
 * in its own process and prints each figure against its budget. Exits 1 if a budget is
 * exceeded. Benchmarks never run inside the test suite.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import type { Figure } from './lib.ts';

const dir = 'tests/bench';
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
	.filter((f) => f.endsWith('.bench.ts'))
	// The booted-machine benchmark boots a VM for ten minutes and needs root: only when named.
	.filter((f) => (wanted.length === 0 ? f !== 'machine.bench.ts' : wanted.some((w) => f.includes(w))))
	.sort();

let over = 0;
const rows: string[] = [];
for (const file of files) {
	const run = spawnSync(process.execPath, [`${dir}/${file}`], {
		encoding: 'utf8',
		stdio: ['ignore', 'pipe', 'inherit']
	});
	if (run.status !== 0) {
		rows.push(`${file}: FAILED (exit ${run.status})`);
		over++;
		continue;
	}
	for (const line of run.stdout.split('\n')) {
		if (!line.startsWith('{"figure"')) {
			if (line.trim()) console.log(`  ${file}: ${line}`);
			continue;
		}
		const { figure } = JSON.parse(line) as { figure: Figure };
		let verdict = '';
		if (figure.budget !== undefined) {
			const ok = figure.higherIsBetter ? figure.value >= figure.budget : figure.value <= figure.budget;
			if (!ok) over++;
			verdict = `${ok ? 'within' : 'OVER'} budget ${figure.higherIsBetter ? '≥' : '≤'} ${figure.budget} ${figure.unit}`;
		}
		rows.push(
			`${file.replace('.bench.ts', '').padEnd(14)} ${figure.name.padEnd(64)} ${String(figure.value).padStart(10)} ${figure.unit.padEnd(6)} ${verdict}`
		);
	}
}
console.log(rows.join('\n'));
if (over > 0) {
	console.log(`\n${over} figure(s) over budget or failed.`);
	process.exit(1);
}
console.log('\nAll figures within budget.');
