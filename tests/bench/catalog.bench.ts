/**
 * Load, validate and render the whole catalog in Node (issue 4 budget: ≤ 50 ms).
 * "Load" reads and parses every manifest and icon; "validate" runs the JSON Schema (compiled
 * once, as the build does) and the catalog rules; "render" resolves every app's placeholders
 * into its Compose services. Reported as the median of repeated runs after a warm-up, and the
 * first (cold) run separately.
 */
import { performance } from 'node:perf_hooks';
import { loadCatalog, manifestValidator } from '../../catalog/load.ts';
import { resolveServices } from '../../src/lib/core/catalog/placeholders.ts';
import { contextFor } from '../catalog/helpers.ts';
import { percentiles, report } from './lib.ts';

function once(): number {
	const start = performance.now();
	const { apps, problems } = loadCatalog();
	if (problems.length > 0) throw new Error(problems.join('\n'));
	let services = 0;
	for (const app of apps) services += Object.keys(resolveServices(app, contextFor(app))).length;
	if (apps.length < 30 || services < 30) throw new Error('the catalog is incomplete');
	return performance.now() - start;
}

const compileStart = performance.now();
manifestValidator();
const compileMs = performance.now() - compileStart;
const cold = once();
const samples: number[] = [];
for (let i = 0; i < 40; i++) samples.push(once());
const { p50, p99 } = percentiles(samples);

report({
	name: 'catalog: load, validate and render all apps (median)',
	value: +p50.toFixed(1),
	unit: 'ms',
	budget: 50
});
report({ name: 'catalog: load, validate and render all apps (p99)', value: +p99.toFixed(1), unit: 'ms' });
report({ name: 'catalog: first run, cold', value: +cold.toFixed(1), unit: 'ms' });
report({ name: 'catalog: compiling the manifest schema (once per build)', value: +compileMs.toFixed(1), unit: 'ms' });
