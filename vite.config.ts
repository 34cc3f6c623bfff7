import { sveltekit } from '@sveltejs/kit/vite';
import { configDefaults, defineConfig } from 'vitest/config';
import { catalogPlugin } from './catalog/vite-plugin.ts';
import { repoCheckPlugin } from './src/cli/repo-check-build.ts';

export default defineConfig({
	plugins: [catalogPlugin(), repoCheckPlugin(), sveltekit()],
	build: {
		// Keep the first page small; heavy libraries are split out and loaded on demand.
		chunkSizeWarningLimit: 900
	},
	test: {
		include: ['src/**/*.spec.ts', 'tests/**/*.test.ts', 'workers/**/*.spec.ts', 'catalog/**/*.spec.ts'],
		// The booted stand-in server has its own runner and config: npm run test:machine.
		exclude: [...configDefaults.exclude, 'tests/machine/**'],
		environment: 'node',
		testTimeout: 30_000,
		hookTimeout: 60_000
	}
});
