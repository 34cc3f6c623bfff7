import { defineConfig } from 'vitest/config';

/**
 * The booted stand-in server's tests: one file at a time in one fork, with long limits (a first
 * image build takes about ten minutes and a boot under TCG a few). The main config also picks these
 * files up; they skip themselves there unless NASSELLA_MACHINE_TESTS is set, as this config does.
 *
 *   node_modules/.bin/vitest run --config tests/machine/vitest.config.ts
 */
export default defineConfig({
	test: {
		root: new URL('../..', import.meta.url).pathname,
		include: ['tests/machine/**/*.test.ts'],
		environment: 'node',
		pool: 'forks',
		maxWorkers: 1,
		fileParallelism: false,
		testTimeout: 40 * 60_000,
		hookTimeout: 40 * 60_000,
		env: { NASSELLA_MACHINE_TESTS: '1' }
	}
});
