/**
 * Deploying for real against the sandbox providers, in Chromium: the full wizard to
 * "done", the page closed and reopened at every step, faults on a quarter of the provider
 * calls (429, 503, dropped connections, answers lost after the provider acted), two tabs,
 * cancel then destroy, and a quota error. Checked against the sandbox's own state:
 * exactly the planned resources, never two, and nothing left after destroy.
 */
import type { Page, Route } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import {
	checkA11y,
	chooseApps,
	chooseCloud,
	chooseDedyn,
	chooseDomain,
	doResourcesOf,
	next,
	openSetup,
	ownZone,
	repoStatus,
	sandboxState,
	type SandboxSnapshot
} from './setup-helpers.ts';

test.describe.configure({ timeout: 180_000 });

const APPS = ['Uptime Kuma'];

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
	// A practice setup needs no storage account: the sandbox has practice storage.
	await page.getByRole('button', { name: 'Use practice storage' }).click();
	await expect(page.getByLabel('Storage endpoint')).toHaveValue('https://backups.nassella-sandbox.example');
	await expect(page.getByLabel('Bucket')).toHaveValue(/^practice-[0-9a-f]{10}$/);
	await next(page);
}

/**
 * From an empty browser to the review page. Each test has a web address of its own (a zone
 * of its own, or a free dedyn.io name), so the tests can run at the same time.
 */
async function toReview(page: Page, domain: { zone: string } | { dedyn: string }) {
	await openSetup(page);
	await chooseApps(page, APPS);
	if ('zone' in domain) await chooseDomain(page, domain.zone);
	else await chooseDedyn(page, domain.dedyn);
	await chooseCloud(page);
	await chooseGit(page);
	await chooseBackups(page);
	await expect(page.getByRole('heading', { name: 'Check before nassella starts' })).toBeVisible();
}

async function startDeploy(page: Page): Promise<string> {
	await page.getByRole('button', { name: 'Create my server' }).click();
	const progress = page.locator('[data-deployment-id]');
	await expect(progress).toBeVisible();
	return (await progress.getAttribute('data-deployment-id'))!;
}

async function waitDone(page: Page) {
	const phase = page.locator('[data-phase]');
	await expect(phase).toHaveAttribute('data-phase', /^(done|failed)$/, { timeout: 150_000 });
	if ((await phase.getAttribute('data-phase')) === 'failed')
		throw new Error(`The deployment stopped: ${await page.locator('.steps').innerText()}`);
	await expect(page.getByRole('heading', { name: 'Your server is ready' })).toBeVisible({ timeout: 30_000 });
}

function expectExactlyPlanned(state: SandboxSnapshot, id: string, domain: string) {
	const mine = doResourcesOf(state, id);
	expect(mine.droplets, 'servers').toHaveLength(1);
	expect(mine.volumes, 'volumes').toHaveLength(1);
	expect(mine.firewalls, 'firewalls').toHaveLength(1);
	expect(mine.images.length, 'images').toBeLessThanOrEqual(1);
	const zone = state.desec.domains.find((d) => d.name === domain)!;
	const a = zone.rrsets.filter((r) => r.type === 'A' && r.records.includes(mine.droplets[0]!.ip ?? '?'));
	expect(a.length).toBeGreaterThanOrEqual(1);
	for (const v of Object.values(state.violations)) expect(v).toEqual([]);
}

function expectNothingLeft(state: SandboxSnapshot, id: string) {
	const mine = doResourcesOf(state, id);
	expect(mine.droplets).toEqual([]);
	expect(mine.volumes).toEqual([]);
	expect(mine.firewalls).toEqual([]);
	expect(mine.images).toEqual([]);
}

test.describe('deploy against the sandbox', () => {
	test('the full wizard to "done" with a free dedyn.io name, then the done page', async ({ page, request }) => {
		const dedyn = `home-${test.info().project.name}-${Date.now().toString(36)}`;
		await toReview(page, { dedyn });
		await checkA11y(page, 'review');
		await expect(page.getByText(/per month/).first()).toBeVisible();
		// The data disk is priced (DigitalOcean's published price per GiB) and counted in the total.
		const disk = page.getByRole('row', { name: /^Data disk \(\d+ GB\)/ });
		await expect(disk).toContainText(/\$\d+\.\d{2}/);
		await expect(page.getByRole('row', { name: /Total, about/ })).not.toContainText('+ data disk');
		// Nothing on the review page is wider than the screen, the cost table included.
		const overflow = await page
			.locator('section.card')
			.evaluate((card) =>
				[card, ...card.querySelectorAll('table, li, p')]
					.filter((e) => e.scrollWidth > e.clientWidth + 1)
					.map((e) => e.tagName)
			);
		expect(overflow).toEqual([]);
		const id = await startDeploy(page);
		await checkA11y(page, 'progress');
		await waitDone(page);
		expectExactlyPlanned(await sandboxState(request), id, `${dedyn}.dedyn.io`);
		expect(await repoStatus(request, id)).toBe(200);
		await page.getByRole('link', { name: 'See your apps' }).click();
		await expect(page.getByRole('heading', { level: 1, name: 'Your apps are ready' })).toBeVisible();
		await expect(
			page.getByRole('link', { name: new RegExp(`^https://.*\\.${dedyn}\\.dedyn\\.io`) }).first()
		).toBeVisible();
		await expect(page.getByRole('heading', { name: 'Put nassella on your phone' })).toBeVisible();
		await expect(page.getByRole('heading', { name: 'Keep a copy of your vault' })).toBeVisible();
		await checkA11y(page, 'done');
	});

	test('closed and reopened whenever a step changes, it resumes and makes exactly the planned resources', async ({
		context,
		page,
		request
	}) => {
		const zone = await ownZone(request, 'reopen');
		await toReview(page, { zone });
		const id = await startDeploy(page);
		// Every provider answer takes a little while (this browser only), so there is time to
		// close the page between any two steps.
		await context.route('**/sandbox/**', async (route: Route) => {
			if (!new URL(route.request().url()).pathname.startsWith('/sandbox/_control'))
				await new Promise((resolve) => setTimeout(resolve, 300));
			await route.continue().catch(() => undefined);
		});
		let current = page;
		let reopened = 0;
		// Each step's state as the page shows it: any change (a step starts, an intent is
		// written, a step finishes) is a moment to close the page.
		const signature = (p: Page) =>
			p.locator('ol.steps li').evaluateAll((items) => items.map((li) => li.className).join(','));
		for (let round = 0; round < 20; round++) {
			if ((await current.locator('[data-phase]').getAttribute('data-phase')) === 'done') break;
			const seen = await signature(current);
			await expect.poll(async () => signature(current), { timeout: 60_000 }).not.toBe(seen);
			await current.close();
			current = await context.newPage();
			if (reopened === 0) {
				// Locked after the reload: it says a deploy is in progress, and shows no empty wizard.
				await current.goto('/setup');
				await expect(current.getByTestId('resume-note')).toContainText(/A deploy is in progress|stopped/);
				await expect(current.getByRole('heading', { name: 'Which apps do you want?' })).toBeHidden();
				await expect(current.getByRole('navigation', { name: 'Setup steps' })).toHaveCount(0);
				await checkA11y(current, 'locked during a deploy');
			}
			await openSetup(current, 'unlock');
			reopened++;
			await expect(current.locator('[data-deployment-id]')).toHaveAttribute('data-deployment-id', id);
		}
		await waitDone(current);
		expect(reopened).toBeGreaterThanOrEqual(4);
		expectExactlyPlanned(await sandboxState(request), id, zone);
	});

	test('with faults on a quarter of provider calls it finishes without duplicates', async ({ page, request }) => {
		test.setTimeout(300_000);
		const zone = await ownZone(request, 'faults');
		await toReview(page, { zone });
		let calls = 0;
		let faults = 0;
		// A small seeded generator: faults land at random, but at least one call in five fails.
		let seed = 20261125;
		const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
		await page.route('**/sandbox/**', async (route: Route) => {
			const url = new URL(route.request().url());
			if (url.pathname.startsWith('/sandbox/_control') || url.pathname.startsWith('/sandbox/doh'))
				return route.continue();
			calls++;
			const behind = faults < Math.ceil(calls * 0.2);
			if (!behind && random() >= 0.1) return route.continue();
			faults++;
			switch (Math.floor(random() * 4)) {
				case 0:
					return route.fulfill({ status: 429, headers: { 'retry-after': '1' }, body: '{}' });
				case 1:
					return route.fulfill({ status: 503, contentType: 'application/json', body: '{}' });
				case 2:
					return route.abort('connectionreset');
				default: {
					// The provider acts, but the answer never arrives.
					await route.fetch();
					return route.abort('connectionreset');
				}
			}
		});
		const id = await startDeploy(page);
		// Every phase the page shows, so that a stop (even a short one) cannot go unnoticed.
		await page.evaluate(() => {
			const seen = new Set<string>();
			const look = () =>
				document.querySelectorAll('[data-phase]').forEach((e) => seen.add(e.getAttribute('data-phase') ?? ''));
			look();
			new MutationObserver(look).observe(document.body, {
				subtree: true,
				childList: true,
				attributes: true,
				attributeFilter: ['data-phase']
			});
			(window as unknown as { seenPhases: Set<string> }).seenPhases = seen;
		});
		// nassella absorbs the faults by itself: nobody presses "Try again".
		await waitDone(page);
		const seen = await page.evaluate(() => [...(window as unknown as { seenPhases: Set<string> }).seenPhases]);
		expect(seen).not.toContain('failed');
		await expect(page.getByRole('button', { name: 'Try again' })).toHaveCount(0);
		expect(faults / calls).toBeGreaterThanOrEqual(0.2);
		expectExactlyPlanned(await sandboxState(request), id, zone);
	});

	test('two tabs: one runs, the other follows', async ({ context, page, request }) => {
		const zone = await ownZone(request, 'tabs');
		await toReview(page, { zone });
		const id = await startDeploy(page);
		const other: Page = await context.newPage();
		await openSetup(other, 'unlock');
		await expect(other.getByText('This setup is running in another tab or window.')).toBeVisible();
		await waitDone(other);
		await waitDone(page);
		expectExactlyPlanned(await sandboxState(request), id, zone);
	});

	test('cancel midway, then destroy: nothing is left', async ({ page, request }) => {
		await toReview(page, { zone: await ownZone(request, 'cancel') });
		const id = await startDeploy(page);
		await expect.poll(async () => page.locator('li.done').count(), { timeout: 60_000 }).toBeGreaterThan(2);
		await page.getByRole('button', { name: 'Cancel' }).click();
		await expect(page.locator('[data-phase]')).toHaveAttribute('data-phase', 'cancelled', { timeout: 60_000 });
		await page.getByRole('button', { name: 'Destroy…' }).click();
		await checkA11y(page, 'confirm destroy');
		await page.getByLabel('Type destroy to confirm').fill('destroy');
		await page.getByRole('button', { name: 'Remove everything' }).click();
		await expect(page.locator('[data-phase]')).toHaveAttribute('data-phase', 'destroyed', { timeout: 60_000 });
		expectNothingLeft(await sandboxState(request), id);
		expect(await repoStatus(request, id)).toBe(404);
	});

	test('an exceeded quota stops with a clear error; destroy leaves nothing orphaned', async ({ page, request }) => {
		await page.route('**/sandbox/digitalocean/v2/droplets', (route) =>
			route.request().method() === 'POST'
				? route.fulfill({
						status: 422,
						contentType: 'application/json',
						body: JSON.stringify({ id: 'unprocessable_entity', message: 'You have reached your droplet limit.' })
					})
				: route.continue()
		);
		await toReview(page, { zone: await ownZone(request, 'quota') });
		const id = await startDeploy(page);
		await expect(page.locator('[data-phase]')).toHaveAttribute('data-phase', 'failed', { timeout: 120_000 });
		await expect(page.getByRole('alert')).toContainText('reached a limit');
		await checkA11y(page, 'quota error');
		await page.getByRole('button', { name: 'Destroy…' }).click();
		await page.getByLabel('Type destroy to confirm').fill('destroy');
		await page.getByRole('button', { name: 'Remove everything' }).click();
		await expect(page.locator('[data-phase]')).toHaveAttribute('data-phase', 'destroyed', { timeout: 60_000 });
		expectNothingLeft(await sandboxState(request), id);
		expect(await repoStatus(request, id)).toBe(404);
	});
});
