/**
 * `npm run bench -- machine`: time from power-on to every app healthy on the booted stand-in
 * server (tests/machine/README.md), measured by the first-boot scenario. Runs that scenario
 * (about ten minutes under TCG on this 2-core machine; the images are cached after the first
 * build). No issue sets a budget for it: the figure is reported only. Needs root, as the scenario does.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { report } from './lib.ts';

const run = spawnSync(
	process.execPath,
	['tests/machine/run.ts', 'tests/machine/server-life.test.ts', '-t', 'first boot'],
	{ stdio: ['ignore', 'inherit', 'inherit'] }
);
if (run.status !== 0) throw new Error(`the first-boot scenario failed (exit ${run.status})`);
const figures = JSON.parse(readFileSync('tests/.tmp/reports/machine-figures.json', 'utf8')) as Record<string, number>;
const seconds = figures['first-boot-to-healthy-seconds'];
if (seconds === undefined) throw new Error('the scenario reported no time to healthy');
report({ name: 'Stand-in server: power-on to every app healthy (TCG)', value: seconds, unit: 's' });
