/**
 * A new version of the app is announced and applied only when the person asks, and never
 * while a long operation runs. The test serves a copy of the build from its own server so
 * that it can publish a "new version" (a changed service worker) mid-test.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalServer } from '../../workers/local/server.ts';
import { expect, test } from '@playwright/test';

test('a new version waits for consent and for running operations', async ({ page }) => {
	const root = mkdtempSync(join(tmpdir(), 'nassella-update-'));
	cpSync('build', root, { recursive: true });
	const server = createLocalServer({ root });
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	try {
		await page.goto(origin + '/');
		await expect
			.poll(() => page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state))
			.toBe('activated');
		await expect(page.getByText('A new version of nassella is ready.')).toHaveCount(0);

		// Publish a new version and let the page look for it.
		const sw = join(root, 'service-worker.js');
		writeFileSync(sw, readFileSync(sw, 'utf8') + '\n// next version\n');
		await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
		await expect(page.getByText('A new version of nassella is ready.')).toBeVisible();

		// A long operation is running (in this tab; another tab would hold the same lock).
		await page.evaluate(() => {
			const w = window as unknown as { finishOperation?: () => void };
			void navigator.locks.request(
				'nassella-operation:deploy home server',
				{ mode: 'shared' },
				() => new Promise<void>((resolve) => (w.finishOperation = resolve))
			);
		});
		await page.getByRole('button', { name: 'Reload to update' }).click();
		await expect(page.getByText('The update will wait until this finishes: deploy home server.')).toBeVisible();
		const stillOld = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
		expect(stillOld).toContain('/service-worker.js');
		const waiting = await page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())?.waiting);
		expect(waiting).toBe(true);

		// Once it is done, the update goes ahead and the page reloads into the new version.
		await page.evaluate(() => (window as unknown as { finishOperation: () => void }).finishOperation());
		await Promise.all([page.waitForEvent('load'), page.getByRole('button', { name: 'Reload to update' }).click()]);
		await expect(page.getByText('A new version of nassella is ready.')).toHaveCount(0);
		const after = await page.evaluate(async () => {
			const reg = await navigator.serviceWorker.getRegistration();
			return { waiting: !!reg?.waiting, active: reg?.active?.state };
		});
		expect(after).toEqual({ waiting: false, active: 'activated' });
	} finally {
		await new Promise((resolve) => server.close(resolve));
		rmSync(root, { recursive: true, force: true });
	}
});
