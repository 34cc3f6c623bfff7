/**
 * The server-activity charts in a real browser (Debian's Chromium): the component bundled
 * with its state and the composition root's loader, under the app's style rule (style-src
 * 'self': no inline styles), reading the Hetzner and DigitalOcean sandbox fakes on the page's
 * own origin. Checked at phone and desktop sizes, light and dark, with axe (the e2e rules of
 * tests/e2e/fixtures.ts).
 */
import { chromium, type Browser } from '@playwright/test';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DigitalOceanCloud } from '../../src/lib/adapters/digitalocean/cloud.ts';
import { HetznerCloud } from '../../src/lib/adapters/hetzner/cloud.ts';
import { deploymentLabels } from '../../src/lib/core/labels.ts';
import type { CloudProvider } from '../../src/lib/ports/cloud.ts';
import { createDigitalOceanFake } from '../../workers/sandbox/digitalocean/fake.ts';
import { createHetznerFake } from '../../workers/sandbox/hetzner/fake.ts';
import { seriousA11yViolations } from '../e2e/fixtures.ts';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CSP =
	"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; font-src 'self'";
const DAY = 86_400_000;

const hetzner = createHetznerFake({ acceptAnyToken: true, bootMs: 5, builderMs: 10, snapshotMs: 5, actionMs: 5 });
const digitalocean = createDigitalOceanFake({ acceptAnyToken: true, importMs: 5, bootMs: 5 });
const files = new Map<string, { type: string; body: string }>();
let server: Server;
let browser: Browser;
let base = '';
let hash = '';

async function makeServer(cloud: CloudProvider, region: string, size: string): Promise<string> {
	const labels = deploymentLabels('charts01');
	const image = await cloud.ensureImage(region, labels);
	const made = await cloud.ensureServer({
		name: 'charts01-server',
		region,
		size,
		imageId: image.id,
		userData: '{}',
		volumeIds: [],
		sshKeyIds: [],
		labels
	});
	return made.id;
}

beforeAll(async () => {
	const root = fileURLToPath(new URL('../../', import.meta.url));
	const out = await build({
		configFile: false,
		root,
		logLevel: 'silent',
		plugins: [svelte()],
		resolve: { alias: { $lib: root + 'src/lib' } },
		build: {
			write: false,
			minify: false,
			target: 'es2022',
			lib: { entry: 'tests/ui/metrics/entry.ts', formats: ['es'], fileName: 'charts' }
		}
	});
	const first = (Array.isArray(out) ? out[0] : out) as {
		output: { fileName: string; code?: string; source?: string | Uint8Array }[];
	};
	for (const o of first.output) {
		const type = o.fileName.endsWith('.css') ? 'text/css' : 'text/javascript';
		files.set('/' + o.fileName, { type, body: o.code ?? String(o.source) });
	}
	const opts = { token: 'sandbox', pollMs: 5, retry: { baseDelayMs: 1 } };
	const hz = new HetznerCloud({ ...opts, http: hetzner.api.client(), baseUrl: 'https://api.hetzner.cloud/v1' });
	const doCloud = new DigitalOceanCloud({ ...opts, http: digitalocean.api.client() });
	const hzId = await makeServer(hz, 'fsn1', 'cx22');
	const doId = await makeServer(doCloud, 'fra1', 's-1vcpu-1gb');
	hetzner.state.servers.find((s) => String(s.id) === hzId)!.created -= 10 * DAY;
	digitalocean.state.droplets.find((d) => String(d.id) === doId)!.created -= 10 * DAY;
	hash = `#sandbox-hetzner=${hzId}&sandbox-digitalocean=${doId}`;

	const css = [...files.keys()].filter((f) => f.endsWith('.css'));
	const js = [...files.keys()].find((f) => f.startsWith('/charts'))!;
	server = createServer((req, res) => {
		const path = new URL(req.url ?? '/', 'http://local').pathname;
		if (path.startsWith('/sandbox/hetzner/')) return void hetzner.api.serve(req, res, '/sandbox/hetzner');
		if (path.startsWith('/sandbox/digitalocean/'))
			return void digitalocean.api.serve(req, res, '/sandbox/digitalocean');
		const file = files.get(path);
		if (file) return void res.writeHead(200, { 'content-type': file.type }).end(file.body);
		if (path === '/favicon.ico') return void res.writeHead(204).end();
		if (path !== '/') return void res.writeHead(404).end();
		res
			.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': CSP })
			.end(
				`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
					`<title>Server activity</title>${css.map((c) => `<link rel="stylesheet" href="${c}">`).join('')}` +
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

async function open(viewport: { width: number; height: number }, colorScheme: 'light' | 'dark') {
	const context = await browser.newContext({ viewport, colorScheme });
	const page = await context.newPage();
	const problems: string[] = [];
	page.on('console', (m) => {
		if (m.type() === 'error' || /Content Security Policy|Refused/.test(m.text())) problems.push(m.text());
	});
	page.on('pageerror', (e) => problems.push(e.message));
	await page.goto(base + '/' + hash);
	await page.locator('[data-provider="sandbox-hetzner"] h3').first().waitFor();
	await page.locator('[data-provider="sandbox-digitalocean"] h3').first().waitFor();
	return { page, problems };
}

describe.runIf(existsSync(chromiumPath))('server activity charts in Chromium', () => {
	for (const [name, viewport] of [
		['phone', { width: 390, height: 844 }],
		['desktop', { width: 1280, height: 800 }]
	] as const)
		it(`draws CPU, network and disk with words and tables, axe clean in light and dark (${name})`, async () => {
			const { page, problems } = await open(viewport, 'light');
			const hz = page.locator('[data-provider="sandbox-hetzner"]');
			await expect
				.poll(() => hz.locator('h3').allTextContents())
				.toEqual(['Processor (CPU)', 'Network traffic', 'Disk reads and writes', 'Disk operations']);
			// Each chart: a sentence per line with now / average / highest, a drawn line, a data table.
			const summary = await hz.locator('figure').first().locator('.summary').textContent();
			expect(summary).toMatch(/Processor \(CPU\) use: now [\d.]+ %, average [\d.]+ %, highest [\d.]+ %\./);
			for (const d of await hz.locator('path.line').evaluateAll((ps) => ps.map((p) => p.getAttribute('d'))))
				expect(d).toMatch(/^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+)+/);
			const rows = await hz.locator('figure').first().locator('table tbody tr').count();
			expect(rows).toBeGreaterThan(40);
			expect(await hz.locator('svg[role="img"]').first().getAttribute('aria-describedby')).toBeTruthy();
			// DigitalOcean without its metrics agent: CPU and network, and a plain word about disk.
			const dO = page.locator('[data-provider="sandbox-digitalocean"]');
			await expect.poll(() => dO.locator('h3').allTextContents()).toEqual(['Processor (CPU)', 'Network traffic']);
			expect(await dO.locator('.missing').textContent()).toMatch(/Disk: .*metrics agent/);
			// Mobile first: nothing wider than the screen; no inline styles anywhere.
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
			await page.emulateMedia({ colorScheme: 'dark' });
			expect(await seriousA11yViolations(page)).toEqual([]);
			if (process.env.CHARTS_SCREENSHOT)
				await page.screenshot({ path: `${process.env.CHARTS_SCREENSHOT}-${name}.png`, fullPage: true });
			expect(problems).toEqual([]);
			await page.context().close();
		});

	it('changes the period from the keyboard, and reads the new span', async () => {
		const { page, problems } = await open({ width: 390, height: 844 }, 'light');
		const hz = page.locator('[data-provider="sandbox-hetzner"]');
		const week = hz.getByRole('button', { name: 'Last 7 days' });
		await week.focus();
		await page.keyboard.press('Enter');
		await expect.poll(() => week.getAttribute('aria-pressed')).toBe('true');
		expect(await hz.getByRole('button', { name: 'Last hour' }).getAttribute('aria-pressed')).toBe('false');
		await expect.poll(() => hz.locator('[role="status"]').textContent()).toMatch(/Updated at/);
		const caption = await hz.locator('figure').first().locator('caption').textContent();
		const [from, to] = caption!.split(', ').slice(1).join(', ').split(' to ');
		expect(Date.parse(to!) - Date.parse(from!)).toBeGreaterThan(6 * DAY);
		expect(problems).toEqual([]);
		await page.context().close();
	});

	it('keeps the charts and says so plainly when the provider refuses a refresh', async () => {
		const { page, problems } = await open({ width: 1280, height: 800 }, 'light');
		const hz = page.locator('[data-provider="sandbox-hetzner"]');
		hetzner.api.faults.push({ kind: 'revoked', path: 'metrics' });
		await hz.getByRole('button', { name: 'Refresh' }).click();
		await expect.poll(() => hz.getByRole('alert').textContent()).toMatch(/Hetzner did not accept the API token/);
		expect(await hz.locator('h3').count()).toBe(4);
		expect(await seriousA11yViolations(page)).toEqual([]);
		// The browser logs the refused request itself; nothing else may go wrong.
		expect(problems.filter((p) => !/401/.test(p))).toEqual([]);
		await page.context().close();
	});
});
