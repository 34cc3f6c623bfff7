/**
 * First dashboard paint from cached data: the time from a click on "Dashboard" (the vault
 * open, as after any other page) until the server's status is on screen, drawn from the
 * status kept encrypted in the vault. To be sure the figure is the cache's, the server's
 * status answers are held back 5 s during the runs (a slow phone network); the page must
 * show the cached status before any answer.
 *
 * Setup: a real deploy in Chromium against the sandbox (wizard → sandbox server → status
 * read once, which fills the cache). Budget: ≤ 1000 ms, the project's own (the issue names
 * the figure but no number). Context: the machine is shared, so wall times run high.
 */
import type { Page } from '@playwright/test';
import { launchChromium, percentiles, report, startApp } from './lib.ts';

const RUNS = 7;
const PASS = 'lantern quartz meadow 1987 ferry';

async function click(page: Page, role: 'button' | 'radio' | 'link', name: string | RegExp) {
	await page.getByRole(role, { name }).first().click();
}

async function deploy(page: Page) {
	await page.goto('/setup');
	await page.getByLabel('Passphrase', { exact: true }).fill(PASS);
	await page.getByLabel('The same passphrase again').fill(PASS);
	await click(page, 'button', 'Create my vault');
	await page.getByRole('heading', { name: 'Which apps do you want?' }).waitFor({ timeout: 60_000 });
	await page.getByRole('checkbox', { name: /^Uptime Kuma —/ }).check();
	await click(page, 'button', 'Next');
	await page.getByLabel('Your domain').fill('nassella-sandbox.example');
	await page.getByRole('radio', { name: /deSEC.*Sandbox/ }).check();
	await page.getByLabel('DNS token').fill('sandbox');
	await click(page, 'button', 'Check');
	await page.getByText(/Works \(account:/).waitFor();
	await click(page, 'button', 'Next');
	await page.getByRole('radio', { name: /^DigitalOcean.*Sandbox/ }).check();
	await page.getByLabel('Cloud token').fill('sandbox');
	await click(page, 'button', 'Check');
	await page.getByText(/Works \(account:/).waitFor();
	await page.getByRole('group', { name: 'Server size' }).getByRole('radio', { disabled: false }).first().check();
	await click(page, 'button', 'Next');
	await page.getByRole('radio', { name: /GitHub.*Sandbox/ }).check();
	await page.getByLabel('Git token').fill('sandbox');
	await click(page, 'button', 'Check');
	await page.getByText(/Works \(account:/).waitFor();
	await click(page, 'button', 'Next');
	await page.getByLabel('Storage endpoint').fill('https://s3.example.com');
	await page.getByLabel('Bucket').fill('bench-backups');
	await page.getByLabel('Access key ID').fill('AKIAEXAMPLE');
	await page.getByLabel('Secret access key').fill('secret-example');
	await click(page, 'button', 'Next');
	await click(page, 'button', 'Create my server');
	await page.locator('[data-phase="done"]').waitFor({ timeout: 240_000 });
}

async function paintOnce(page: Page): Promise<{ ms: number; cached: boolean }> {
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Vault' }).click();
	await page.getByRole('heading', { level: 1 }).filter({ hasText: /vault/i }).first().waitFor();
	return page.evaluate(async () => {
		const link = [...document.querySelectorAll('nav a')].find(
			(a) => a.textContent?.trim() === 'Dashboard'
		) as HTMLElement;
		const painted = () => document.querySelector('[data-testid="overall"]');
		const t0 = performance.now();
		const done = new Promise<{ ms: number; cached: boolean }>((resolve) => {
			const observer = new MutationObserver(() => {
				if (painted()) {
					observer.disconnect();
					const freshness = document.querySelector('.freshness')?.textContent ?? '';
					resolve({ ms: performance.now() - t0, cached: freshness.includes('Last known state') });
				}
			});
			observer.observe(document.body, { childList: true, subtree: true, characterData: true });
		});
		link.click();
		return done;
	});
}

const app = await startApp();
const browser = await launchChromium();
try {
	const context = await browser.newContext({ baseURL: app.url, viewport: { width: 412, height: 915 } });
	const page = await context.newPage();
	await deploy(page);
	// The first visit reads the status from the server and caches it in the vault.
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
	await page.getByTestId('overall').waitFor({ timeout: 60_000 });
	await page.getByText(/^Checked /).waitFor({ timeout: 60_000 });
	// From now on the server answers late, so what paints first is the cache.
	await page.route('**/sandbox/server/**', async (route) => {
		await new Promise((r) => setTimeout(r, 5_000));
		await route.continue().catch(() => undefined);
	});
	const samples: number[] = [];
	for (let i = 0; i < RUNS; i++) {
		const { ms, cached } = await paintOnce(page);
		if (!cached) throw new Error('The dashboard did not paint from the cached status.');
		samples.push(ms);
	}
	const { p50, max } = percentiles(samples);
	report({
		name: 'first dashboard paint from cached status (median of 7, phone size)',
		value: Math.round(p50),
		unit: 'ms',
		budget: 1000
	});
	report({ name: 'first dashboard paint from cached status (slowest of 7)', value: Math.round(max), unit: 'ms' });
	await context.close();
} finally {
	await browser.close();
	await app.close();
}
