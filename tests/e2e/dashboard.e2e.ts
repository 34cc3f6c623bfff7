/**
 * The dashboard against the sandbox: deploy with the wizard, then on the dashboard see the
 * server's status (read through the sandbox server's status.json behind basic auth), add an
 * app and watch the server apply the signed commit, roll back to the first setup, back up
 * now and see the new snapshot; at phone and desktop sizes, axe clean.
 *
 * The sandbox server is a labelled stand-in for a Flatcar VM (workers/sandbox/server/).
 */
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import {
	checkA11y,
	chooseApps,
	chooseCloud,
	chooseDomain,
	next,
	openSetup,
	PASSPHRASE,
	SANDBOX_ZONE
} from './setup-helpers.ts';

test.describe.configure({ timeout: 300_000 });

async function chooseGit(page: Page) {
	await expect(page.getByRole('heading', { name: 'Where your server’s settings are kept' })).toBeVisible();
	await page.getByRole('radio', { name: /GitHub.*Sandbox/ }).check();
	await page.getByLabel('Git token').fill('sandbox');
	await page.getByRole('button', { name: 'Check' }).click();
	await expect(page.getByText(/Works \(account:/)).toBeVisible();
	await next(page);
}

async function chooseBackups(page: Page) {
	await expect(page.getByRole('heading', { name: 'Backups' })).toBeVisible();
	await page.getByLabel('Storage endpoint').fill('https://s3.example.com');
	await page.getByLabel('Bucket').fill(`dash-${test.info().project.name}`);
	await page.getByLabel('Access key ID').fill('AKIAEXAMPLE');
	await page.getByLabel('Secret access key').fill('secret-example');
	await next(page);
}

async function deploy(page: Page) {
	await openSetup(page);
	await chooseApps(page, ['Uptime Kuma']);
	await chooseDomain(page, SANDBOX_ZONE);
	await chooseCloud(page);
	await chooseGit(page);
	await chooseBackups(page);
	await page.getByRole('button', { name: 'Create my server' }).click();
	const phase = page.locator('[data-phase]');
	await expect(phase).toHaveAttribute('data-phase', /^(done|failed)$/, { timeout: 180_000 });
	expect(await phase.getAttribute('data-phase')).toBe('done');
}

const apps = (page: Page) => page.getByRole('list', { name: 'Apps and whether they work' });

test('dashboard: status, add an app, roll back, back up now', async ({ page }) => {
	await deploy(page);
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
	await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();

	// Status, read from the server.
	await expect(page.getByTestId('overall')).toHaveText('Everything is working.', { timeout: 60_000 });
	await expect(apps(page).getByRole('listitem')).toHaveText([/Uptime Kuma\s*✓ Working/]);
	await expect(page.getByTestId('applied-commit')).toContainText(/version [0-9a-f]{7}/);
	await expect(page.getByTestId('pending')).toHaveText('The server runs your latest settings.');
	await expect(page.getByText(/Flatcar \d/)).toBeVisible();
	await expect(page.getByText(/of .* used \(\d+%\)/)).toBeVisible();
	// The provider's charts for this server.
	await expect(page.getByRole('heading', { name: 'Server activity' })).toBeVisible();
	await checkA11y(page, 'dashboard status');

	// Add an app: a signed commit, then the server applies it. Meanwhile the summary line never
	// reads like a failure: the new app is starting.
	await page.evaluate(() => {
		const seen: string[] = [];
		Object.assign(window, { overallSeen: seen });
		new MutationObserver(() => {
			const text = document.querySelector('[data-testid="overall"]')?.textContent?.trim();
			if (text && seen[seen.length - 1] !== text) seen.push(text);
		}).observe(document.body, { subtree: true, childList: true, characterData: true });
	});
	await page.getByLabel('Add an app').selectOption('excalidraw');
	await page.getByRole('button', { name: 'Add and apply' }).click();
	await expect(
		page
			.getByRole('status')
			.filter({ hasText: /Saving your change|Waiting for your server/ })
			.first()
	).toBeVisible();
	await expect(page.getByText(/^Done: your server runs the new settings/)).toBeVisible({ timeout: 90_000 });
	await expect(apps(page).getByRole('listitem')).toHaveText([/Uptime Kuma\s*✓ Working/, /Excalidraw\s*✓ Working/]);
	const seen = await page.evaluate(() => (window as unknown as { overallSeen: string[] }).overallSeen);
	for (const text of seen) expect(text).toMatch(/^(Everything is working\.|Starting Excalidraw…)/);
	const added = (await page.getByTestId('applied-commit').innerText()).match(/[0-9a-f]{7}/)![0];
	await expect(page.getByRole('heading', { name: 'Recent changes' })).toBeVisible();
	await expect(page.getByText('Add Excalidraw')).toBeVisible();
	await checkA11y(page, 'dashboard after a change');
	await page.getByRole('button', { name: 'OK' }).click();

	// Roll back to the first setup: a new commit with its apps.
	await page.getByRole('button', { name: /^Roll back to “Set up the server”/ }).click();
	await page.getByRole('button', { name: 'Yes, roll back' }).click();
	await expect(page.getByText(/^Done: your server runs the new settings/)).toBeVisible({ timeout: 90_000 });
	await expect(apps(page).getByRole('listitem')).toHaveText([/Uptime Kuma\s*✓ Working/]);
	await expect(page.getByTestId('applied-commit')).not.toContainText(added);
	await expect(page.getByText(/^Roll back to [0-9a-f]{7}/)).toBeVisible();
	await page.getByRole('button', { name: 'OK' }).click();

	// Back up now: a request in a commit; the server makes a snapshot.
	await page.getByRole('button', { name: 'Back up now' }).click();
	await expect(page.getByText('Backup finished: a new snapshot is in your backup storage.')).toBeVisible({
		timeout: 90_000
	});
	await expect(page.getByTestId('backup-verdict')).toContainText(/Last backup (just now|1 minute ago)/);
	await expect(page.getByRole('list', { name: 'Snapshots, newest first' }).getByRole('listitem')).not.toHaveCount(0);
	await checkA11y(page, 'dashboard after a backup');

	// A reload locks the vault; after unlocking, the last status paints from the cache.
	await page.reload();
	await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
	await page.getByRole('button', { name: 'Unlock' }).click();
	await expect(page.getByTestId('overall')).toHaveText('Everything is working.', { timeout: 30_000 });
	await checkA11y(page, 'dashboard after unlock');
});

test('notifications: only an https ntfy topic is accepted, then committed', async ({ page }) => {
	test.skip(test.info().project.name === 'phone', 'one deployment is enough for the settings form');
	await deploy(page);
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
	await expect(page.getByTestId('overall')).toHaveText('Everything is working.', { timeout: 60_000 });
	const field = page.getByLabel('ntfy topic address (optional)');
	await field.fill('http://ntfy.sh/my-alerts');
	await page.getByRole('button', { name: 'Save and apply' }).click();
	await expect(page.getByRole('alert').filter({ hasText: 'must start with https://' })).toBeVisible();
	await expect(field).toHaveAttribute('aria-invalid', 'true');
	await field.fill('https://ntfy.sh/my-alerts-k2x9q7w4');
	await page.getByRole('button', { name: 'Save and apply' }).click();
	await expect(page.getByText(/^Done: your server runs the new settings/)).toBeVisible({ timeout: 90_000 });
	await expect(page.getByText('Alerts go to https://ntfy.sh/my-alerts-k2x9q7w4.')).toBeVisible();
	await expect(page.getByText('Send alerts to an ntfy topic')).toBeVisible();
	await checkA11y(page, 'dashboard with ntfy');
	// The restart window: chosen here, committed like any setting, shown from the settings.
	const restarts = page.getByRole('region', { name: 'Restarts for updates' });
	await restarts.getByLabel('Day').selectOption('Wed');
	await restarts.getByLabel('From').selectOption('02:00');
	await restarts.getByLabel('For').selectOption('1h');
	await restarts.getByRole('button', { name: 'Save restart times and apply' }).click();
	await expect(restarts.getByText(/^Now: Wednesdays 02:00–03:00 \(/)).toBeVisible({ timeout: 90_000 });
	await checkA11y(page, 'dashboard with a new restart window');
});

test('a change the server rolls back is explained, and nothing else changes', async ({ page, request }) => {
	test.skip(test.info().project.name === 'phone', 'the failure path needs one deployment');
	await deploy(page);
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Dashboard' }).click();
	await expect(page.getByTestId('overall')).toHaveText('Everything is working.', { timeout: 60_000 });
	// The next start of Excalidraw on this server fails its health check.
	const queued = await request.post('/sandbox/_control/server-faults', {
		data: { fault: 'app-unhealthy', app: 'excalidraw', host: `nassella.${SANDBOX_ZONE}` }
	});
	expect(queued.ok()).toBe(true);
	await page.getByLabel('Add an app').selectOption('excalidraw');
	await page.getByRole('button', { name: 'Add and apply' }).click();
	await expect(
		page.getByRole('alert').filter({ hasText: 'so your server went back to the earlier ones' }).first()
	).toBeVisible({
		timeout: 90_000
	});
	await expect(page.getByText(/did not become healthy/).first()).toBeVisible();
	await expect(apps(page).getByRole('listitem').first()).toHaveText(/Uptime Kuma\s*✓ Working/);
	await checkA11y(page, 'dashboard after a rolled-back change');
});
