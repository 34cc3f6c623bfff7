/**
 * Moving a running sandbox deployment from DigitalOcean to Hetzner (both sandbox fakes,
 * with the sandbox server simulation restoring the backup on the new server): the whole
 * move, the page closed whenever a step changes, a new server that fails (restore fails)
 * leaving the old one serving with the DNS unchanged, and the old resources removed only
 * after confirmation. Also the restore drill and taking over after the browser data is gone.
 */
import type { APIRequestContext, BrowserContext, Page } from '@playwright/test';
import { expect, test } from './fixtures.ts';
import {
	checkA11y,
	chooseApps,
	chooseCloud,
	chooseDomain,
	doResourcesOf,
	next,
	openSetup,
	PASSPHRASE,
	SANDBOX_ZONE
} from './setup-helpers.ts';

test.describe.configure({ timeout: 240_000, mode: 'serial' });

const SHORT = {
	bootMs: 300,
	importMs: 300,
	builderMs: 300,
	snapshotMs: 300,
	applyMs: 300,
	syncMs: 200,
	backupMs: 300
};

interface State {
	digitalocean: { droplets: { id: number; name: string; tags: string[]; ip?: string }[] } & Record<string, unknown>;
	hetzner: {
		servers: { id: number; name: string; ip?: string; labels: Record<string, string> }[];
		volumes: { id: number; name: string; labels: Record<string, string> }[];
		firewalls: { id: number; name: string; labels: Record<string, string> }[];
	};
	desec: { domains: { name: string; rrsets: { subname: string; type: string; records: string[] }[] }[] };
	violations: Record<string, unknown[]>;
	server: {
		servers: {
			ip: string;
			restoreFromBackup: boolean;
			status?: { apps: Record<string, string>; restore?: { state: string }; identity?: string };
			data: Record<string, string>;
		}[];
	};
}

/** What the sandbox server simulation says about the server at `ip`. */
function simServer(s: State, ip: string) {
	const found = s.server.servers.find((x) => x.ip === ip);
	expect(found, `a simulated server at ${ip}`).toBeDefined();
	return found!;
}

function allHealthy(apps: Record<string, string> | undefined): boolean {
	const values = Object.values(apps ?? {});
	return values.length > 0 && values.every((v) => v === 'healthy');
}

async function state(request: APIRequestContext): Promise<State> {
	const r = await request.get('/sandbox/_control/state');
	expect(r.ok()).toBe(true);
	return (await r.json()) as State;
}

/** The A records of the sandbox zone, by name. */
function aRecords(s: State): Record<string, string[]> {
	const zone = s.desec.domains.find((d) => d.name === SANDBOX_ZONE);
	return Object.fromEntries(
		(zone?.rrsets ?? []).filter((r) => r.type === 'A').map((r) => [`${r.subname}.${SANDBOX_ZONE}`, r.records])
	);
}

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
	await page.getByLabel('Bucket').fill('my-backups');
	await page.getByLabel('Access key ID').fill('AKIAEXAMPLE');
	await page.getByLabel('Secret access key').fill('secret-example');
	await next(page);
}

/** A fresh sandbox with short timings, and a deployment on sandbox DigitalOcean. */
async function deployOnDigitalOcean(
	page: Page,
	request: APIRequestContext,
	meanwhile?: () => Promise<void>
): Promise<string> {
	expect((await request.post('/sandbox/_control/reset', { data: { timing: SHORT } })).ok()).toBe(true);
	await openSetup(page);
	await chooseApps(page, ['Uptime Kuma']);
	await chooseDomain(page, SANDBOX_ZONE);
	await chooseCloud(page);
	await chooseGit(page);
	await chooseBackups(page);
	// Optionally hold the DNS step until `meanwhile` is done (the deployment is then half-way).
	const held: (() => Promise<void>)[] = [];
	if (meanwhile)
		await page.route(
			(url) => url.pathname.startsWith('/sandbox/desec/') && !url.pathname.endsWith('/auth/account/'),
			(route) => {
				if (route.request().method() === 'GET') return route.continue();
				held.push(() => route.continue());
			}
		);
	await page.getByRole('button', { name: 'Create my server' }).click();
	const progress = page.locator('[data-deployment-id]');
	await expect(progress).toBeVisible();
	const id = (await progress.getAttribute('data-deployment-id'))!;
	if (meanwhile) {
		await expect.poll(() => held.length, { timeout: 60_000 }).toBeGreaterThan(0);
		await meanwhile();
		await page.unroute(() => true);
		for (const go of held.splice(0)) await go();
	}
	await expect(page.locator('[data-phase]')).toHaveAttribute('data-phase', 'done', { timeout: 120_000 });
	return id;
}

async function unlockIfAsked(page: Page) {
	const gate = page.getByRole('heading', { name: 'Unlock your vault to continue' });
	const ready = page.locator('[data-testid="current-place"], [data-move-phase]').first();
	await expect(gate.or(ready)).toBeVisible({ timeout: 30_000 });
	if (await gate.isVisible()) {
		await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
		await page.getByRole('button', { name: 'Unlock' }).click();
		await expect(gate).toHaveCount(0, { timeout: 30_000 });
	}
}

async function openMove(page: Page) {
	await page.goto('/move');
	await unlockIfAsked(page);
}

async function chooseHetzner(page: Page) {
	const select = page.getByLabel('Cloud provider');
	const option = select.locator('option', { hasText: /Hetzner.*Sandbox/ });
	await expect(option).toHaveCount(1);
	await select.selectOption((await option.getAttribute('value'))!);
	await expect(page.locator('#move-why')).toHaveText(/Type any word as the token/);
	// Regions and sizes load once typing pauses, without leaving the field.
	await page.getByLabel(/API token for/).fill('sandbox');
	await expect(page.getByLabel('Region')).toBeVisible({ timeout: 30_000 });
	await expect(page.getByLabel(/API token for/)).toBeFocused();
}

const phase = (page: Page) => page.locator('[data-move-phase]');

async function waitPhase(page: Page, re: RegExp) {
	await expect(phase(page)).toHaveAttribute('data-move-phase', re, { timeout: 120_000 });
}

function droplets(s: State, id: string) {
	return doResourcesOf(s as never, id).droplets;
}

function hetznerOf(s: State, id: string) {
	const mine = <T extends { labels: Record<string, string> }>(l: T[]) =>
		l.filter((x) => x.labels['nassella-deployment'] === id);
	return { servers: mine(s.hetzner.servers), volumes: mine(s.hetzner.volumes), firewalls: mine(s.hetzner.firewalls) };
}

test.describe('move to another provider', () => {
	// Later files get the sandbox as the server started it.
	test.afterAll(async ({ request }) => {
		await request.post('/sandbox/_control/reset', { data: {} });
	});

	test('DigitalOcean → Hetzner: backup, restore, switch, then removal only after confirmation', async ({
		page,
		request
	}) => {
		const id = await deployOnDigitalOcean(page, request);
		const before = await state(request);
		const oldIp = droplets(before, id)[0]!.ip!;
		await openMove(page);
		await expect(page.getByTestId('current-place')).toContainText('DigitalOcean');
		await checkA11y(page, 'move form');
		// The button says why it cannot be pressed yet.
		const start = page.getByRole('button', { name: 'Start the move' });
		await expect(start).toBeDisabled();
		await expect(start).toHaveAccessibleDescription('Choose the cloud provider to move to.');
		await chooseHetzner(page);
		await expect(page.locator('#move-why')).toHaveText('');
		await start.click();
		await expect(phase(page)).toBeVisible();
		await checkA11y(page, 'move progress');
		await waitPhase(page, /^(confirm|failed)$/);
		expect(await phase(page).getAttribute('data-move-phase'), await page.locator('.steps').innerText()).toBe('confirm');
		await checkA11y(page, 'moved');

		const moved = await state(request);
		const het = hetznerOf(moved, id);
		expect(het.servers).toHaveLength(1);
		const newIp = het.servers[0]!.ip!;
		expect(newIp).not.toBe(oldIp);
		for (const [name, values] of Object.entries(aRecords(moved)))
			if (name.endsWith(SANDBOX_ZONE)) expect(values, name).toEqual([newIp]);
		// The new server restored the old one's data with the same identity, and every app is healthy on it.
		const oldSim = simServer(moved, oldIp);
		const newSim = simServer(moved, newIp);
		expect(newSim.restoreFromBackup).toBe(true);
		expect(newSim.status?.restore?.state).toBe('done');
		expect(allHealthy(newSim.status?.apps)).toBe(true);
		expect(newSim.status?.identity).toBe(oldSim.status?.identity);
		expect(Object.keys(newSim.data).length).toBeGreaterThan(0);
		expect(newSim.data).toEqual(oldSim.data);
		// The old server is still there: nothing is removed without a confirmation.
		expect(droplets(moved, id)).toHaveLength(1);
		await page.reload();
		await unlockIfAsked(page);
		await waitPhase(page, /^confirm$/);
		expect(droplets(await state(request), id)).toHaveLength(1);

		await page.getByRole('button', { name: 'Remove the old server…' }).click();
		await checkA11y(page, 'confirm removal');
		await page.getByRole('button', { name: 'Remove the old server', exact: true }).click();
		await expect(page.getByTestId('move-finished')).toBeVisible({ timeout: 60_000 });
		const after = await state(request);
		expect(droplets(after, id)).toEqual([]);
		expect(doResourcesOf(after as never, id).volumes).toEqual([]);
		expect(doResourcesOf(after as never, id).firewalls).toEqual([]);
		expect(hetznerOf(after, id).servers).toHaveLength(1);
		await expect(page.getByTestId('current-place')).toContainText('Hetzner');
		for (const v of Object.values(after.violations)) expect(v).toEqual([]);

		// The restore drill on the new server restores the backup the move made; the reminder goes away.
		await expect(page.getByTestId('drill-reminder')).toBeVisible();
		await page.getByRole('button', { name: 'Run a restore drill' }).click();
		await expect(page.getByTestId('drill-result')).toHaveAttribute('data-ok', 'true', { timeout: 60_000 });
		await expect(page.getByTestId('drill-result')).toContainText('your backup restored');
		await expect(page.getByTestId('drill-reminder')).toHaveCount(0);
		await checkA11y(page, 'drill passed');
	});

	test('the page closed whenever a step changes: the move resumes to the end', async ({ page, request }) => {
		const id = await deployOnDigitalOcean(page, request);
		await openMove(page);
		await chooseHetzner(page);
		// Every provider answer of the move takes a little while (this browser only), so there is
		// time to close the page between steps however quick the machine is.
		await page.context().route('**/sandbox/**', async (route) => {
			if (!new URL(route.request().url()).pathname.startsWith('/sandbox/_control'))
				await new Promise((resolve) => setTimeout(resolve, 300));
			await route.continue().catch(() => undefined);
		});
		await page.getByRole('button', { name: 'Start the move' }).click();
		await expect(phase(page)).toBeVisible();
		let reopened = 0;
		for (let i = 0; i < 40; i++) {
			const p = await phase(page).getAttribute('data-move-phase');
			if (p === 'confirm' || p === 'failed') break;
			const done = await page.locator('[data-status="done"]').count();
			// Wait for the next step to finish, then close the page and open it again.
			await expect(page.locator('[data-status="done"]'))
				.not.toHaveCount(done, { timeout: 60_000 })
				.catch(() => undefined);
			await page.reload();
			reopened++;
			await unlockIfAsked(page);
			await expect(phase(page)).toBeVisible();
		}
		await waitPhase(page, /^confirm$/);
		expect(reopened).toBeGreaterThanOrEqual(4);
		const s = await state(request);
		expect(hetznerOf(s, id).servers, 'exactly one new server').toHaveLength(1);
		expect(hetznerOf(s, id).volumes).toHaveLength(1);
		expect(droplets(s, id)).toHaveLength(1);
	});

	test('a new server that cannot restore: the old one keeps serving and the DNS is unchanged', async ({
		page,
		request
	}) => {
		const id = await deployOnDigitalOcean(page, request);
		const before = await state(request);
		const records = aRecords(before);
		expect(
			(await request.post('/sandbox/_control/server-faults', { data: { next: true, fault: 'restore-fails' } })).ok()
		).toBe(true);
		await openMove(page);
		await chooseHetzner(page);
		await page.getByRole('button', { name: 'Start the move' }).click();
		await waitPhase(page, /^(failed|confirm)$/);
		await expect(page.getByTestId('move-problem')).toContainText('could not restore');
		await expect(page.getByTestId('move-problem')).toContainText('Your current server keeps serving');
		await checkA11y(page, 'move failed');
		const failed = await state(request);
		expect(aRecords(failed)).toEqual(records);
		expect(droplets(failed, id)).toHaveLength(1);
		// The old server still runs every app, and the status address leads to it again.
		const oldIp = droplets(failed, id)[0]!.ip!;
		expect(allHealthy(simServer(failed, oldIp).status?.apps)).toBe(true);
		expect(aRecords(failed)[`nassella.${SANDBOX_ZONE}`]).toEqual([oldIp]);

		await page.getByRole('button', { name: 'Give up the move…' }).click();
		await page.getByRole('button', { name: 'Give up and remove the new server' }).click();
		await expect(page.getByTestId('move-abandoned')).toBeVisible({ timeout: 60_000 });
		const gone = await state(request);
		expect(hetznerOf(gone, id).servers).toEqual([]);
		expect(hetznerOf(gone, id).volumes).toEqual([]);
		expect(droplets(gone, id)).toHaveLength(1);
		expect(aRecords(gone)).toEqual(records);
	});

	test('restore drill before any backup exists: it fails with the server’s reason, and the reminder stays', async ({
		page,
		request
	}) => {
		await deployOnDigitalOcean(page, request);
		await openMove(page);
		await expect(page.getByTestId('drill-reminder')).toBeVisible();
		await page.getByRole('button', { name: 'Run a restore drill' }).click();
		await expect(page.getByTestId('drill-result')).toHaveAttribute('data-ok', 'false', { timeout: 60_000 });
		await expect(page.getByTestId('drill-result')).toContainText('failed');
		await expect(page.getByTestId('drill-reminder')).toBeVisible();
		await checkA11y(page, 'drill failed');
	});

	test('after wiping the browser: import the vault file, take over the running server, then it can move', async ({
		context,
		page,
		request,
		baseURL
	}) => {
		// The vault file is exported in another tab while the deployment is half-way: its record is unfinished.
		let file: Buffer = Buffer.alloc(0);
		const id = await deployOnDigitalOcean(page, request, async () => {
			const other = await context.newPage();
			file = await exportVault(other);
			await other.close();
		});
		await wipe(context, page, baseURL!);
		await page.goto('/vault');
		await page
			.getByLabel('Export file', { exact: true })
			.setInputFiles({ name: 'export.zip', mimeType: 'application/zip', buffer: file });
		await page.getByLabel('The passphrase of that file', { exact: true }).fill(PASSPHRASE);
		await page.getByRole('button', { name: 'Import' }).click();
		await expect(page.getByRole('heading', { name: 'Your vault is open' })).toBeVisible({ timeout: 60_000 });
		await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Home' }).click();
		await page.goto('/move');
		await expect(page.getByRole('heading', { name: 'Unlock your vault to continue' })).toBeVisible();
		await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
		await page.getByRole('button', { name: 'Unlock' }).click();
		await expect(page.getByText('Your server has not finished setting up in this browser.')).toBeVisible({
			timeout: 30_000
		});
		await page.getByRole('link', { name: 'take over the running server' }).click();
		await unlockTakeover(page);
		await checkA11y(page, 'takeover');
		await page.getByRole('button', { name: 'Find and take over my server' }).click();
		await expect(page.getByTestId('takeover-done')).toContainText(`nassella-${id}-web`, { timeout: 30_000 });
		await checkA11y(page, 'taken over');
		await openMove(page);
		await expect(page.getByTestId('current-place')).toContainText('DigitalOcean');
		await expect(page.getByRole('button', { name: 'Start the move' })).toBeVisible();
	});
});

async function exportVault(page: Page): Promise<Buffer> {
	// A full page load locks the vault: unlock it on the vault page, then go to Settings inside the app.
	await page.goto('/vault');
	await expect(page.getByRole('heading', { name: 'Unlock your vault' })).toBeVisible({ timeout: 30_000 });
	await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
	await page.getByRole('button', { name: 'Unlock' }).click();
	await expect(page.getByRole('heading', { name: 'Your vault is open' })).toBeVisible({ timeout: 30_000 });
	await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
	const button = page.getByRole('button', { name: 'Export the vault' });
	await expect(button).toBeVisible({ timeout: 30_000 });
	const [download] = await Promise.all([page.waitForEvent('download'), button.click()]);
	const chunks: Buffer[] = [];
	for await (const chunk of await download.createReadStream()) chunks.push(chunk as Buffer);
	return Buffer.concat(chunks);
}

async function wipe(context: BrowserContext, page: Page, baseURL: string) {
	const cdp = await context.newCDPSession(page);
	await cdp.send('Storage.clearDataForOrigin', { origin: new URL(baseURL).origin, storageTypes: 'all' });
}

async function unlockTakeover(page: Page) {
	const gate = page.getByRole('heading', { name: 'Unlock your vault to continue' });
	const ready = page.getByRole('button', { name: 'Find and take over my server' });
	await expect(gate.or(ready)).toBeVisible({ timeout: 30_000 });
	if (await gate.isVisible()) {
		await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
		await page.getByRole('button', { name: 'Unlock' }).click();
	}
	await expect(ready).toBeVisible({ timeout: 30_000 });
}
