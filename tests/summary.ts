/** Prints one closing line for the whole suite from the Vitest and Playwright JSON reports. */
import { existsSync, readFileSync } from 'node:fs';

const dir = 'tests/.tmp/reports';
let passed = 0;
let failed = 0;
let skipped = 0;

// The booted-machine scenarios count only when asked (`--with-machine`, from `npm run test:all`),
// so an old machine report never counts in a plain `npm test`.
const vitestFiles = [
	`${dir}/vitest.json`,
	...(process.argv.includes('--with-machine') ? [`${dir}/vitest-machine.json`] : [])
];
for (const vitestFile of vitestFiles) {
	if (!existsSync(vitestFile)) {
		if (vitestFile.endsWith('machine.json')) failed++;
		continue;
	}
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
