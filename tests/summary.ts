/** Prints one closing line for the whole suite from the Vitest and Playwright JSON reports. */
import { existsSync, readFileSync } from 'node:fs';

const dir = 'tests/.tmp/reports';
let passed = 0;
let failed = 0;
let skipped = 0;

const vitestFile = `${dir}/vitest.json`;
if (existsSync(vitestFile)) {
	const v = JSON.parse(readFileSync(vitestFile, 'utf8'));
	passed += v.numPassedTests ?? 0;
	failed += v.numFailedTests ?? 0;
	skipped += (v.numPendingTests ?? 0) + (v.numTodoTests ?? 0);
}
for (const name of ['playwright', 'playwright-deploy']) {
	const file = `${dir}/${name}.json`;
	if (!existsSync(file)) continue;
	const p = JSON.parse(readFileSync(file, 'utf8'));
	passed += (p.stats?.expected ?? 0) + (p.stats?.flaky ?? 0);
	failed += p.stats?.unexpected ?? 0;
	skipped += p.stats?.skipped ?? 0;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 ? 1 : 0);
