import { defineConfig, devices } from '@playwright/test';

/**
 * End-to-end tests against the built app, served by the local entry, in the machine's
 * Chromium (Debian's /usr/bin/chromium unless CHROMIUM_PATH says otherwise). No browser
 * is downloaded.
 */
const port = Number(process.env.E2E_PORT ?? 4317);
const chromium = {
	executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
	args: [
		'--no-sandbox',
		'--disable-gpu',
		'--disable-background-networking',
		'--disable-component-update',
		'--disable-quic'
	]
};

export default defineConfig({
	testDir: './e2e',
	testMatch: '**/*.e2e.ts',
	// The deploy flows share one sandbox provider account (as a person's real account is shared
	// by their deployments) and run at the same time: each has a web address of its own, and no
	// deployment's destroy removes what the others use (the shared Flatcar image stays).
	// logs-server.e2e.ts and move.e2e.ts deploy on the shared sandbox zone, so `npm run test:e2e`
	// still runs them in a second pass, one at a time. E2E_IGNORE (a regular expression) leaves files out of a run.
	testIgnore: process.env.E2E_IGNORE ? new RegExp(process.env.E2E_IGNORE) : undefined,
	outputDir: '../test-results',
	fullyParallel: true,
	workers: process.env.E2E_WORKERS ? Number(process.env.E2E_WORKERS) : 2,
	retries: 0,
	// Three times the longest test seen on a loaded machine (about 55 s at load 15), per the
	// project's rule for timeouts; the long deploy files set their own.
	timeout: 180_000,
	expect: { timeout: 10_000 },
	reporter: [['list'], ['json', { outputFile: `.tmp/reports/${process.env.E2E_REPORT ?? 'playwright'}.json` }]],
	forbidOnly: !!process.env.CI,
	use: {
		baseURL: `http://127.0.0.1:${port}`,
		trace: 'off',
		serviceWorkers: 'allow',
		launchOptions: chromium
	},
	projects: [
		{
			name: 'phone',
			use: { ...devices['Pixel 7'], browserName: 'chromium', launchOptions: chromium }
		},
		{
			name: 'desktop',
			use: { ...devices['Desktop Chrome'], viewport: { width: 1280, height: 800 }, launchOptions: chromium }
		}
	],
	webServer: {
		command: 'node workers/local/serve.ts',
		cwd: '..',
		url: `http://127.0.0.1:${port}/`,
		env: { PORT: String(port), HOST: '127.0.0.1' },
		reuseExistingServer: false,
		timeout: 60_000
	}
});
