/**
 * The log view in Chromium: 100,000 lines with hostile content (HTML, script, ANSI escapes,
 * binary messages) shown as inert text, filters, pause and follow, virtualised rows, axe.
 * The practice page reads its journal from `/sandbox/server/<practice host>/journal/entries`
 * with the app's own request builder and stream reader; here the test answers that request
 * as gatewayd would (one JSON object per line), and answers the follow-up request (from the
 * last cursor) with new lines.
 */
import type { Page, Route } from '@playwright/test';
import { expect, seriousA11yViolations, test } from './fixtures.ts';

const TOTAL = 100_000;
const SOURCES = ['nassella-vaultwarden-1', 'nassella-immich-server-1', 'nassella-caddy-1', 'nassella-sync.service'];
const HOSTILE: (string | number[])[] = [
	'<script>window.__owned = 1; document.title = "owned"</script>',
	'<img src="/owned.png" onerror="window.__owned = 2"><b>bold?</b>',
	'\u001b[1;31mFATAL\u001b[0m \u001b]8;;https://evil.example/\u0007click me\u001b]8;;\u0007 \u001b]0;pwned title\u0007',
	[0x62, 0x69, 0x6e, 0x00, 0xff, 0x1b, 0x5b, 0x32, 0x4a, 0x3c, 0x69, 0x3e, 0x21],
	'{{constructor.constructor("window.__owned=3")()}} ${alert(1)}',
	'rtl\u202eexe.txt'
];

function entry(n: number): Record<string, unknown> {
	const src = SOURCES[n % SOURCES.length]!;
	const e: Record<string, unknown> = {
		__CURSOR: `s=e2e;i=${n.toString(16)};b=0;m=0;t=0;x=0`,
		__REALTIME_TIMESTAMP: String(1_764_028_800_000_000 + n * 1_000_000),
		PRIORITY: String(n % 8),
		MESSAGE: n % 997 === 5 ? HOSTILE[((n / 997) % HOSTILE.length) | 0] : `request ${n} handled by ${src}`
	};
	if (src.endsWith('.service')) e._SYSTEMD_UNIT = src;
	else Object.assign(e, { _SYSTEMD_UNIT: 'docker.service', CONTAINER_NAME: src });
	return e;
}

let firstBody: string | undefined;
function journalBody(from: number, to: number): string {
	const out: string[] = [];
	for (let n = from; n < to; n++) out.push(JSON.stringify(entry(n)));
	return out.join('\n') + '\n';
}

async function serveJournal(page: Page): Promise<{ requests: { range: string | null; url: string }[] }> {
	firstBody ??= journalBody(0, TOTAL);
	const seen: { range: string | null; url: string }[] = [];
	await page.route('**/sandbox/server/logs-practice.sandbox.invalid/journal/entries**', async (route: Route) => {
		const req = route.request();
		const range = await req.headerValue('range');
		seen.push({ range, url: req.url() });
		const fromCursor = range?.match(/^entries=s=e2e;i=([0-9a-f]+);/);
		const newest = range?.match(/^entries=:-(\d+):$/);
		// The first request asks for the newest lines; the next ones continue from the last cursor.
		const body = newest
			? Number(newest[1]) >= TOTAL
				? firstBody!
				: journalBody(TOTAL - Number(newest[1]), TOTAL)
			: !fromCursor
				? ''
				: parseInt(fromCursor[1]!, 16) === TOTAL - 1
					? journalBody(TOTAL, TOTAL + 3)
					: '';
		await route.fulfill({ status: 200, contentType: 'application/json', body });
	});
	return { requests: seen };
}

test.describe('log view', () => {
	// The test answers the journal request itself; a service worker taking over the page
	// midway would send it past the test's route.
	test.use({ serviceWorkers: 'block' });

	test('100,000 hostile lines: shown as text, filtered, followed, virtualised, accessible', async ({ page }) => {
		const served = await serveJournal(page);
		await page.goto('/dashboard/logs/practice');
		await expect(page.getByRole('heading', { level: 1, name: 'Practice logs' })).toBeVisible();
		await expect(page.getByText(/of 100,00[0-3] lines/)).toBeVisible({ timeout: 30_000 });

		// The request the log client built.
		expect(served.requests[0]!.url).toMatch(/\/journal\/entries\?follow$/);
		expect(served.requests[0]!.range).toBe('entries=:-100000:');

		// Follow: the stream ended, the client asked again from the last cursor and got three new lines.
		await expect(page.getByText('103 of 100,003 lines')).toHaveCount(0);
		await expect(page.getByText('100,003 of 100,003 lines')).toBeVisible({ timeout: 20_000 });
		expect(
			served.requests.some((r) => r.range === `entries=s=e2e;i=${(TOTAL - 1).toString(16)};b=0;m=0;t=0;x=0:1:`)
		).toBe(true);
		const log = page.getByRole('log');
		await expect(log.getByText(`request ${TOTAL + 2} handled by`)).toBeVisible();

		// Only the visible rows are in the DOM.
		expect(await page.locator('.row').count()).toBeLessThan(120);

		// Hostile content: found as literal text, nothing ran, no element was made from it.
		const find = page.getByLabel('Find text');
		await find.fill('<script>');
		await expect(log.getByText('<script>window.__owned = 1; document.title = "owned"</script>').first()).toBeVisible();
		await find.fill('<img src');
		await expect(log.getByText(/<img src="\/owned.png" onerror=/).first()).toBeVisible();
		await find.fill('fatal');
		await expect(log.getByText('FATAL click me').first()).toBeVisible();
		await find.fill('bin');
		await expect(log.getByText('bin\ufffd<i>!').first()).toBeVisible();
		await find.fill('exe.txt');
		await expect(log.getByText('rtlexe.txt').first()).toBeVisible();
		expect(await log.locator('script, img, b, a, i').count()).toBe(0);
		expect(await page.evaluate(() => (window as unknown as { __owned?: number }).__owned)).toBeUndefined();
		expect(await page.title()).toBe('Practice logs — nassella');

		// Filters: text (case-insensitive), app, level.
		await find.fill('REQUEST 4242 ');
		await expect(page.getByText(/^1 of 100,003 lines$/)).toBeVisible();
		await find.fill('');
		await page.getByLabel('App').selectOption({ label: 'immich-server' });
		await expect(page.getByText(`25,001 of 100,003 lines`)).toBeVisible();
		await page.getByLabel('Show').selectOption({ label: 'Errors only' });
		const errorsOfImmich = Array.from({ length: TOTAL + 3 }, (_, n) => n).filter(
			(n) => n % 4 === 1 && n % 8 <= 3
		).length;
		await expect(page.getByText(`${errorsOfImmich.toLocaleString('en-US')} of 100,003 lines`)).toBeVisible();
		await page.getByLabel('App').selectOption({ label: 'The server itself' });
		await page.getByLabel('Show').selectOption({ label: 'Everything' });
		await expect(page.getByText(`25,000 of 100,003 lines`)).toBeVisible();
		await page.getByLabel('App').selectOption({ label: 'All apps' });

		// Keyboard: the list scrolls with the keys, and scrolling up stops following.
		await log.focus();
		const before = await log.evaluate((el) => el.scrollTop);
		await page.keyboard.press('PageUp');
		await page.keyboard.press('PageUp');
		await expect.poll(() => log.evaluate((el) => el.scrollTop)).toBeLessThan(before);
		await expect(page.getByRole('button', { name: /^Follow/ })).toBeVisible();
		// The keys move the list at once (the view handles them: the browser's smooth scrolls
		// over millions of pixels were sometimes lost under load).
		await page.keyboard.press('Home');
		await expect(log.getByText('request 1 handled by')).toBeVisible();
		expect(await log.evaluate((el) => el.scrollTop)).toBe(0);
		expect(await page.locator('.row').count()).toBeLessThan(120);
		await page.keyboard.press('ArrowDown');
		await expect.poll(() => log.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
		await page.keyboard.press('End');
		await expect(log.getByText(`request ${TOTAL + 2} handled by`)).toBeVisible();
		await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
		await page.keyboard.press('Home');
		await expect(log.getByText('request 1 handled by')).toBeVisible();
		await expect(page.getByRole('button', { name: /^Follow/ })).toBeVisible();

		// Pause and follow.
		await page.getByRole('button', { name: /^Follow/ }).click();
		await expect(page.getByRole('button', { name: 'Pause' })).toBeVisible();
		await page.getByRole('button', { name: 'Pause' }).click();
		await expect(page.getByRole('status').filter({ hasText: /^Paused/ })).toBeVisible();

		expect(await seriousA11yViolations(page)).toEqual([]);
	});

	test('the logs page asks for the vault first', async ({ page }) => {
		await page.goto('/dashboard/logs');
		await expect(page.getByRole('heading', { level: 1, name: 'Logs' })).toBeVisible();
		await expect(page.getByRole('heading', { name: /vault/ })).toBeVisible();
		expect(await seriousA11yViolations(page)).toEqual([]);
	});
});
