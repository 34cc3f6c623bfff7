import { expect, seriousA11yViolations, test } from './fixtures.ts';

test.describe('app catalog', () => {
	test('search, filter by category, pick three apps and see the total', async ({ page }) => {
		await page.goto('/apps');
		await expect(page.getByRole('heading', { level: 1, name: 'Apps' })).toBeVisible();
		const count = page.getByTestId('result-count');
		await expect(count).toHaveText('30 apps');
		expect(await seriousA11yViolations(page)).toEqual([]);

		// Search by what an app does, not only by its name.
		const search = page.getByLabel('Search');
		await search.fill('photos');
		await expect(page.getByRole('heading', { level: 3, name: 'Immich' })).toBeVisible();
		await expect(page.getByRole('heading', { level: 3, name: 'Ghost' })).toHaveCount(0);
		await search.fill('nothing-is-called-this');
		await expect(count).toHaveText('0 apps');
		await expect(page.getByText('No app matches')).toBeVisible();
		await search.fill('');

		// Filter by category.
		await page.getByLabel('Category').selectOption({ label: 'Passwords' });
		await expect(count).toHaveText('1 app');
		await expect(page.getByRole('heading', { level: 3, name: 'Vaultwarden' })).toBeVisible();
		await page.getByRole('button', { name: 'Add Vaultwarden' }).click();
		await page.getByLabel('Category').selectOption({ label: 'News and reading' });
		await page.getByRole('button', { name: 'Add Miniflux' }).click();
		await page.getByLabel('Category').selectOption({ label: 'All categories' });
		await expect(count).toHaveText('30 apps');
		await page.getByRole('button', { name: 'Add Uptime Kuma' }).click();
		await expect(page.getByRole('button', { name: 'Remove Uptime Kuma' }).first()).toHaveAttribute(
			'aria-pressed',
			'true'
		);

		// The running total: 64+128+256 MiB of apps plus 512 MiB for the system; 1+2+1 GiB plus 8 GiB disk.
		const fit = page.getByTestId('fit');
		await expect(fit).toContainText('3 apps chosen');
		await expect(fit).toContainText('960 MB needed');
		await expect(fit).toContainText('12 GB of 50 GB');
		await expect(fit).toContainText('Fits comfortably on this server.');
		expect(await seriousA11yViolations(page)).toEqual([]);

		// A small server and a big app: a plain "won't fit".
		await page.getByLabel('Server size').selectOption({ label: '1 GB memory, 25 GB disk' });
		await page.getByLabel('Search').fill('Immich');
		await page.getByRole('button', { name: 'Add Immich' }).click();
		await expect(fit).toContainText("Won't fit");
		await expect(fit).toContainText('Choose a bigger server or fewer apps.');
		expect(await seriousA11yViolations(page)).toEqual([]);

		// Deselect from the summary; the selection survives a reload (session only).
		await page.getByRole('list', { name: 'Chosen apps' }).getByRole('button', { name: 'Remove Immich' }).click();
		await expect(fit).toContainText('3 apps chosen');
		await page.reload();
		await expect(page.getByTestId('fit')).toContainText('3 apps chosen');
	});

	test('an app page says what it does, what it needs and how it is backed up', async ({ page }) => {
		await page.goto('/apps');
		await page.getByRole('link', { name: 'Miniflux' }).click();
		await expect(page.getByRole('heading', { level: 1, name: 'Miniflux' })).toBeVisible();
		await expect(page.getByRole('heading', { name: 'What it needs' })).toBeVisible();
		await expect(page.getByText('128 MB at least, 256 MB recommended')).toBeVisible();
		await expect(page.getByText('postgres:17.6-alpine')).toBeVisible();
		await expect(page.getByText(/database is saved to a file before every backup/)).toBeVisible();
		await page.getByRole('button', { name: 'Add Miniflux to my server' }).click();
		await expect(page.getByRole('button', { name: 'Remove Miniflux from my server' })).toHaveAttribute(
			'aria-pressed',
			'true'
		);
		expect(await seriousA11yViolations(page)).toEqual([]);
		await page.emulateMedia({ colorScheme: 'dark' });
		expect(await seriousA11yViolations(page)).toEqual([]);
		await page.goto('/apps/not-an-app');
		await expect(page.getByRole('heading', { level: 1, name: 'App not found' })).toBeVisible();
	});

	test('the catalog is accessible in dark mode', async ({ page }) => {
		await page.emulateMedia({ colorScheme: 'dark' });
		await page.goto('/apps');
		await expect(page.getByTestId('result-count')).toHaveText('30 apps');
		await page.getByRole('button', { name: 'Add Jellyfin' }).click();
		expect(await seriousA11yViolations(page)).toEqual([]);
	});

	test('the home page does not load the catalog; the catalog works offline once the app is installed', async ({
		page,
		context
	}) => {
		const bodies: string[] = [];
		page.on('response', async (r) => {
			if (r.request().resourceType() === 'script') bodies.push(await r.text().catch(() => ''));
		});
		await page.goto('/');
		await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
		await page.waitForLoadState('networkidle');
		expect(bodies.length).toBeGreaterThan(0);
		expect(bodies.some((b) => b.includes('Vaultwarden'))).toBe(false);

		await expect
			.poll(() => page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state))
			.toBe('activated');
		await context.setOffline(true);
		await page.goto('/apps');
		await expect(page.getByTestId('result-count')).toHaveText('30 apps');
		await page.goto('/apps/immich');
		await expect(page.getByRole('heading', { level: 1, name: 'Immich' })).toBeVisible();
		await context.setOffline(false);
	});
});
