/**
 * The logs page for a real (sandbox) deployment: deploy through the wizard, open
 * /dashboard/logs, unlock the vault, and read the stand-in server's journal through the
 * server link, with the app filter. Runs in the second, one-at-a-time pass with the deploy
 * flows, since they share one sandbox provider account.
 */
import type { Page } from '@playwright/test';
import { expect, seriousA11yViolations, test } from './fixtures.ts';
import { chooseApps, chooseCloud, chooseDomain, next, openSetup, PASSPHRASE, SANDBOX_ZONE } from './setup-helpers.ts';

test.describe.configure({ timeout: 240_000 });

async function deploy(page: Page) {
	await openSetup(page);
	await chooseApps(page, ['Uptime Kuma']);
	await chooseDomain(page, SANDBOX_ZONE);
	await chooseCloud(page);
	await expect(page.getByRole('heading', { name: 'Where your server’s settings are kept' })).toBeVisible();
	await page.getByRole('radio', { name: /GitHub.*Sandbox/ }).check();
	await page.getByLabel('Git token').fill('sandbox');
	await page.getByRole('button', { name: 'Check' }).click();
	await expect(page.getByText(/Works \(account:/)).toBeVisible();
	await next(page);
	await expect(page.getByRole('heading', { name: 'Backups' })).toBeVisible();
	await page.getByLabel('Storage endpoint').fill('https://s3.example.com');
	await page.getByLabel('Bucket').fill('my-backups');
	await page.getByLabel('Access key ID').fill('AKIAEXAMPLE');
	await page.getByLabel('Secret access key').fill('secret-example');
	await next(page);
	await expect(page.getByRole('heading', { name: 'Check before nassella starts' })).toBeVisible();
	await page.getByRole('button', { name: 'Create my server' }).click();
	const phase = page.locator('[data-phase]');
	await expect(phase).toHaveAttribute('data-phase', /^(done|failed)$/, { timeout: 180_000 });
	if ((await phase.getAttribute('data-phase')) === 'failed')
		throw new Error(`The deployment stopped: ${await page.locator('.steps').innerText()}`);
}

test('the logs page follows the deployed server’s journal', async ({ page }) => {
	await deploy(page);
	await page.goto('/dashboard/logs');
	await expect(page.getByRole('heading', { level: 1, name: 'Logs' })).toBeVisible();
	await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
	await page.getByRole('button', { name: 'Unlock' }).click();
	const log = page.getByRole('log');
	await expect(log).toBeVisible({ timeout: 30_000 });
	await expect(page.getByText(/^[1-9][0-9,]* of [1-9][0-9,]* lines$/)).toBeVisible({ timeout: 30_000 });
	await expect(page.getByRole('status').filter({ hasText: /Following|Connecting again/ })).toBeVisible();
	// The app's own lines, by the app filter.
	await page.getByLabel('App').selectOption({ label: 'uptime-kuma' });
	await expect(log.locator('.row').first()).toContainText('uptime-kuma');
	await page.getByLabel('App').selectOption({ label: 'The server itself' });
	await expect(log.getByText(/nassella-sync/).first()).toBeVisible();
	expect(await seriousA11yViolations(page)).toEqual([]);
});
