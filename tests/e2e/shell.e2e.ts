import { test as plain } from '@playwright/test';
import { expect, seriousA11yViolations, test, watchTrespasses } from './fixtures.ts';

const PAGES = [
	{ path: '/', heading: 'Your own apps, on a server you own' },
	{ path: '/apps', heading: 'Apps' },
	{ path: '/setup', heading: 'Set up your server' },
	{ path: '/dashboard', heading: 'Dashboard' },
	{ path: '/settings', heading: 'Settings' }
];

test.describe('app shell', () => {
	for (const { path, heading } of PAGES) {
		test(`${path} loads and has no serious accessibility problems`, async ({ page }) => {
			await page.goto(path);
			await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
			expect(await seriousA11yViolations(page)).toEqual([]);
		});
	}

	// One test per page: five axe runs in one test's minute did not hold on a loaded machine.
	for (const { path, heading } of PAGES) {
		test(`${path} is accessible in dark mode too`, async ({ page }) => {
			await page.emulateMedia({ colorScheme: 'dark' });
			await page.goto(path);
			await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
			expect(await seriousA11yViolations(page), path).toEqual([]);
		});
	}

	test('navigation works from the keyboard', async ({ page }) => {
		await page.goto('/');
		await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
		await page.keyboard.press('Tab');
		await expect(page.getByRole('link', { name: 'Skip to content' })).toBeFocused();
		await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
		await expect(page.getByRole('heading', { level: 1, name: 'Settings' })).toBeVisible();
		await page.getByLabel('Dark').check();
		await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
		await page.reload();
		await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
	});

	test('the web manifest is valid and its icons exist', async ({ page, request }) => {
		await page.goto('/');
		const href = await page.locator('link[rel="manifest"]').getAttribute('href');
		expect(href).toBeTruthy();
		const response = await request.get(href!);
		expect(response.ok()).toBe(true);
		expect(response.headers()['content-type']).toContain('application/manifest+json');
		const manifest = await response.json();
		expect(manifest).toMatchObject({
			name: expect.any(String),
			short_name: 'nassella',
			start_url: '/',
			display: 'standalone'
		});
		const sizes = new Set<string>();
		for (const icon of manifest.icons as { src: string; sizes: string; type: string; purpose: string }[]) {
			const file = await request.get(icon.src);
			expect(file.ok(), icon.src).toBe(true);
			expect(file.headers()['content-type']).toBe(icon.type);
			if (icon.type === 'image/png') {
				const png = await file.body();
				const width = png.readUInt32BE(16);
				const height = png.readUInt32BE(20);
				expect(`${width}x${height}`, icon.src).toBe(icon.sizes);
				sizes.add(`${icon.sizes} ${icon.purpose}`);
			}
		}
		// Installable on Android and desktop Chrome: 192 and 512 px icons, and a maskable one.
		expect([...sizes]).toEqual(expect.arrayContaining(['192x192 any', '512x512 any', '512x512 maskable']));
	});

	test('the service worker activates and the shell opens offline', async ({ page, context }) => {
		await page.goto('/');
		await expect
			.poll(() => page.evaluate(async () => (await navigator.serviceWorker.ready).active?.state))
			.toBe('activated');
		await context.setOffline(true);
		await page.reload();
		await expect(page.getByRole('heading', { level: 1, name: 'Your own apps, on a server you own' })).toBeVisible();
		await page.goto('/dashboard');
		await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
		await context.setOffline(false);
	});

	test('the server sends a strict Content-Security-Policy header', async ({ request }) => {
		const response = await request.get('/');
		const csp = response.headers()['content-security-policy'] ?? '';
		expect(csp).toContain("default-src 'none'");
		expect(csp).toContain("frame-ancestors 'none'");
		expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval' 'sha256-[^']+'/);
		expect(csp).not.toContain('unsafe-inline');
		expect(csp).not.toContain("'unsafe-eval'");
	});
});

plain('the guard catches a page that loads something from another origin', async ({ page, baseURL }) => {
	const found = await watchTrespasses(page, new URL(baseURL!).origin);
	await page.goto('/');
	await page.evaluate(() => {
		const img = document.createElement('img');
		img.src = 'https://cdn.example.com/tracker.png';
		img.alt = '';
		document.body.append(img);
	});
	await expect.poll(() => found.cspViolations.length).toBeGreaterThan(0);
	expect(found.cspViolations.join('\n')).toContain('img-src');
});
