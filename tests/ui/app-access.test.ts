/**
 * The dashboard's app list in a real browser (Debian's Chromium): each app's address as a link
 * that opens it, and its first login from the vault, shown only on demand and copyable; a
 * setup gate's password until the person says setup is finished. Bundled with its state,
 * under the app's style rule (style-src 'self': no inline styles), checked at phone and
 * desktop sizes, light and dark, with axe (the e2e rules of tests/e2e/fixtures.ts).
 */
import { chromium, type Browser } from '@playwright/test';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../catalog/load.ts';
import { seriousA11yViolations } from '../e2e/fixtures.ts';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CSP =
	"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self'";
const SECRETS = {
	nextcloud: { admin_password: 'NcGenerated0Password' },
	vaultwarden: { admin_token: 'VwAdminToken0123456789' },
	bookstack: { setup_password: 'BsSetupPassword0123456', setup_cookie: 'c'.repeat(32), setup_password_bcrypt: 'h' },
	excalidraw: {}
};

const files = new Map<string, { type: string; body: string }>();
let server: Server;
let browser: Browser;
let base = '';

beforeAll(async () => {
	const root = fileURLToPath(new URL('../../', import.meta.url));
	const out = await build({
		configFile: false,
		root,
		logLevel: 'silent',
		plugins: [svelte()],
		resolve: { alias: { $lib: root + 'src/lib', '$app/environment': root + 'tests/ui/app-environment.ts' } },
		build: {
			write: false,
			minify: false,
			target: 'es2022',
			lib: { entry: 'tests/ui/app-access/entry.ts', formats: ['es'], fileName: 'apps' }
		}
	});
	const first = (Array.isArray(out) ? out[0] : out) as {
		output: { fileName: string; code?: string; source?: string | Uint8Array }[];
	};
	for (const o of first.output) {
		const type = o.fileName.endsWith('.css') ? 'text/css' : 'text/javascript';
		files.set('/' + o.fileName, { type, body: o.code ?? String(o.source) });
	}
	files.set('/catalog.json', { type: 'application/json', body: JSON.stringify(loadCatalog().apps) });
	files.set('/secrets.json', { type: 'application/json', body: JSON.stringify(SECRETS) });
	const css = [...files.keys()].filter((f) => f.endsWith('.css'));
	const js = [...files.keys()].find((f) => f.startsWith('/apps'))!;
	server = createServer((req, res) => {
		const path = new URL(req.url ?? '/', 'http://local').pathname;
		const file = files.get(path);
		if (file) return void res.writeHead(200, { 'content-type': file.type }).end(file.body);
		if (path === '/favicon.ico') return void res.writeHead(204).end();
		if (path !== '/') return void res.writeHead(404).end();
		res
			.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': CSP })
			.end(
				`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
					`<title>Your apps</title>${css.map((c) => `<link rel="stylesheet" href="${c}">`).join('')}` +
					`<script type="module" src="${js}"></script></head><body></body></html>`
			);
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	if (existsSync(chromiumPath))
		browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu'] });
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await new Promise<void>((r) => server?.close(() => r()));
});

async function open(viewport: { width: number; height: number }) {
	const context = await browser.newContext({ viewport, permissions: ['clipboard-read', 'clipboard-write'] });
	const page = await context.newPage();
	const problems: string[] = [];
	page.on('console', (m) => {
		if (m.type() === 'error' || /Content Security Policy|Refused/.test(m.text())) problems.push(m.text());
	});
	page.on('pageerror', (e) => problems.push(e.message));
	await page.goto(base + '/');
	await page.locator('body[data-ready="true"]').waitFor();
	return { page, problems };
}

describe.runIf(existsSync(chromiumPath))('your apps in Chromium', () => {
	for (const [name, viewport] of [
		['phone', { width: 390, height: 844 }],
		['desktop', { width: 1280, height: 800 }]
	] as const)
		it(`links each app and reveals its first login on demand, copyable, axe clean (${name})`, async () => {
			const { page, problems } = await open(viewport);
			// The address opens the app, in a new tab.
			const link = page.getByRole('link', { name: 'cloud.example.org (opens Nextcloud in a new tab)' });
			expect(await link.getAttribute('href')).toBe('https://cloud.example.org/');
			expect(await link.getAttribute('target')).toBe('_blank');
			expect(await link.getAttribute('rel')).toBe('noopener noreferrer');
			// Nothing secret is on the page until asked for.
			expect(await page.content()).not.toContain(SECRETS.nextcloud.admin_password);
			await page.getByText('First login', { exact: false }).first().waitFor();
			await page.locator('summary', { hasText: 'First login' }).first().click();
			const show = page.getByRole('button', { name: 'Show the password of Nextcloud' });
			await show.click();
			await expect
				.poll(() => page.getByTestId('secret-nextcloud-admin_password').textContent())
				.toBe(SECRETS.nextcloud.admin_password);
			expect(await page.locator('code', { hasText: 'alice' }).count()).toBe(1);
			// Copy without showing: Vaultwarden's admin token.
			await page.locator('summary', { hasText: 'First login' }).nth(1).click();
			await page.getByRole('button', { name: 'Copy the admin token of Vaultwarden' }).click();
			await expect
				.poll(() => page.evaluate(() => navigator.clipboard.readText()))
				.toBe(SECRETS.vaultwarden.admin_token);
			expect(await page.content()).not.toContain(SECRETS.vaultwarden.admin_token);
			await expect.poll(() => page.locator('[role="status"]', { hasText: 'The admin token copied.' }).count()).toBe(1);
			if (process.env.APPS_SCREENSHOT)
				await page.screenshot({ path: `${process.env.APPS_SCREENSHOT}-${name}-shown.png`, fullPage: true });
			// Hide again.
			await page.getByRole('button', { name: 'Hide the password of Nextcloud' }).click();
			expect(await page.getByTestId('secret-nextcloud-admin_password').count()).toBe(0);
			// Phone first: nothing wider than the screen; no inline styles.
			const wide = await page.evaluate(() => [
				document.documentElement.scrollWidth - window.innerWidth,
				...[...document.querySelectorAll('body *')]
					.filter((e) => !e.closest('.visually-hidden'))
					.filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
					.map((e) => `${e.tagName} ${e.getAttribute('class')} ${Math.round(e.getBoundingClientRect().right)}`)
			]);
			expect(wide).toEqual([0]);
			expect(await page.locator('[style]').count()).toBe(0);
			expect(await seriousA11yViolations(page)).toEqual([]);
			if (process.env.APPS_SCREENSHOT)
				await page.screenshot({ path: `${process.env.APPS_SCREENSHOT}-${name}.png`, fullPage: true });
			await page.emulateMedia({ colorScheme: 'dark' });
			expect(await seriousA11yViolations(page)).toEqual([]);
			expect(problems).toEqual([]);
			await page.context().close();
		});

	it('shows the setup password and the default login behind it, then removes the gate when setup is finished', async () => {
		const { page, problems } = await open({ width: 390, height: 844 });
		const gate = page.getByTestId('gate-bookstack');
		await gate.waitFor();
		expect(await gate.textContent()).toMatch(/behind a setup password/);
		const step = page.getByRole('region', { name: 'Setup password for BookStack' });
		expect(await step.locator('code').first().textContent()).toBe('setup');
		await page.getByRole('button', { name: 'Show the setup password of BookStack' }).click();
		await expect
			.poll(() => page.getByTestId('secret-bookstack-setup_password').textContent())
			.toBe(SECRETS.bookstack.setup_password);
		const defaults = page.getByRole('region', { name: 'Default login for BookStack' });
		expect(await defaults.locator('code').allTextContents()).toEqual(['admin@admin.com', 'password']);
		expect(await seriousA11yViolations(page)).toEqual([]);
		await page.getByRole('button', { name: 'Setup is finished for BookStack' }).click();
		await page.getByRole('button', { name: 'Yes, setup is finished' }).click();
		await expect.poll(() => gate.count(), { timeout: 20_000 }).toBe(0);
		expect(await page.getByRole('region', { name: 'Setup password for BookStack' }).count()).toBe(0);
		// Excalidraw has no accounts: its address, and no first login.
		expect(await page.getByRole('link', { name: /draw\.example\.org/ }).count()).toBe(1);
		expect(await page.locator('summary', { hasText: 'for Excalidraw' }).count()).toBe(0);
		expect(problems).toEqual([]);
		await page.context().close();
	});
});
