/**
 * The adapters in a real browser (Debian's Chromium): bundled, loaded by a page under a strict
 * CSP (connect-src 'self'), talking to the sandbox on the page's own origin — the way
 * `npm start` runs them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from '@playwright/test';
import { build } from 'vite';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sandboxMount } from '../../workers/sandbox/index.ts';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let server: Server;
let browser: Browser;
let base = '';
let bundle = '';

beforeAll(async () => {
	const out = await build({
		configFile: false,
		logLevel: 'silent',
		build: {
			write: false,
			minify: false,
			lib: { entry: 'tests/contract/browser/entry.ts', formats: ['iife'], name: 'providers', fileName: 'providers' }
		}
	});
	const first = (Array.isArray(out) ? out[0] : out) as { output: { code?: string }[] };
	bundle = first.output.find((o) => o.code)!.code!;
	const sandbox = sandboxMount({ bootMs: 50, importMs: 50 });
	server = createServer((req, res) => {
		if (req.url?.startsWith('/sandbox/')) return void sandbox.handler(req, res);
		const csp = "default-src 'none'; script-src 'self'; connect-src 'self'";
		if (req.url === '/providers.js')
			return void res.writeHead(200, { 'content-type': 'text/javascript', 'content-security-policy': csp }).end(bundle);
		res
			.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': csp })
			.end('<!doctype html><title>providers</title><script src="/providers.js"></script>');
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-gpu'] });
}, 120_000);

afterAll(async () => {
	await browser?.close();
	await new Promise<void>((r) => server?.close(() => r()));
});

it.runIf(existsSync(chromiumPath))(
	'runs the DigitalOcean, Hetzner DNS and DoH adapters in Chromium against the sandbox',
	async () => {
		const page = await browser.newPage();
		const violations: string[] = [];
		page.on('console', (m) => {
			if (/Content Security Policy|Refused/.test(m.text())) violations.push(m.text());
		});
		await page.goto(base + '/');
		const result = await page.evaluate(() =>
			(globalThis as unknown as { runProviders: () => Promise<Record<string, unknown>> }).runProviders()
		);
		expect(result).toMatchObject({ live: true, records: 1, wrong: 'unauthorized' });
		expect(String(result.ipv4)).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
		expect(violations).toEqual([]);
		await page.close();
	}
);
