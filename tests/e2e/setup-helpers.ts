/** Steps of the setup wizard shared by the setup and deploy end-to-end tests. */
import type { APIRequestContext, Page } from '@playwright/test';
import { expect, seriousA11yViolations } from './fixtures.ts';

export const PASSPHRASE = 'correct horse battery staple orbit';
export const SANDBOX_ZONE = 'nassella-sandbox.example';

export async function sandboxState(request: APIRequestContext): Promise<SandboxSnapshot> {
	const response = await request.get('/sandbox/_control/state');
	expect(response.ok()).toBe(true);
	return (await response.json()) as SandboxSnapshot;
}

export interface SandboxSnapshot {
	digitalocean: {
		images: { id: number; name: string; tags: string[] }[];
		droplets: { id: number; name: string; tags: string[]; ip?: string }[];
		volumes: { id: string; name: string; tags: string[] }[];
		firewalls: { id: string; name: string; tags: string[] }[];
	};
	desec: { domains: { name: string; rrsets: { subname: string; type: string; records: string[] }[] }[] };
	violations: Record<string, unknown[]>;
}

/** Everything the sandbox DigitalOcean holds for one deployment, by its tag. */
export function doResourcesOf(state: SandboxSnapshot, deploymentId: string) {
	const tag = `nassella-deployment:${deploymentId}`;
	const mine = <T extends { tags: string[] }>(list: T[]) => list.filter((x) => x.tags.includes(tag));
	return {
		images: mine(state.digitalocean.images),
		droplets: mine(state.digitalocean.droplets),
		volumes: mine(state.digitalocean.volumes),
		firewalls: mine(state.digitalocean.firewalls)
	};
}

/**
 * A zone of this test's own in the sandbox deSEC account (under the sandbox zone), so tests
 * running at once never share web addresses or DNS records.
 */
export async function ownZone(request: APIRequestContext, tag: string): Promise<string> {
	const name = `${tag}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}.${SANDBOX_ZONE}`;
	const response = await request.post('/sandbox/_control/zones', { data: { provider: 'desec', name } });
	expect(response.ok()).toBe(true);
	return name;
}

/** The domain step with a free dedyn.io name, claimed in the sandbox deSEC account when the token is checked. */
export async function chooseDedyn(page: Page, name: string) {
	await expect(page.getByRole('heading', { name: 'Your web address' })).toBeVisible();
	await page.getByRole('radio', { name: /free name ending in \.dedyn\.io/ }).check();
	await page.getByLabel('Your free name').fill(name);
	await page.getByRole('radio', { name: /deSEC.*Sandbox/ }).check();
	await page.getByLabel('DNS token').fill('sandbox');
	await page.getByRole('button', { name: 'Check' }).click();
	await expect(page.getByText(/Works \(account:/)).toBeVisible();
	await expect(page.getByText(`The name ${name}.dedyn.io is now yours`)).toBeVisible();
	await next(page);
}

export async function fault(request: APIRequestContext, provider: string, fault: Record<string, unknown>) {
	const response = await request.post('/sandbox/_control/faults', { data: { provider, fault } });
	expect(response.ok()).toBe(true);
}

/** Opens /setup and creates the vault (or unlocks it) on the page itself. */
export async function openSetup(page: Page, mode: 'create' | 'unlock' = 'create') {
	await page.goto('/setup');
	await expect(page.getByRole('heading', { level: 1, name: 'Set up your server' })).toBeVisible();
	if (mode === 'create') {
		await expect(page.getByRole('heading', { name: 'First, create your vault' })).toBeVisible();
		await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
		await page.getByLabel('The same passphrase again').fill(PASSPHRASE);
		await page.getByRole('button', { name: 'Create my vault' }).click();
	} else {
		await expect(page.getByRole('heading', { name: 'Unlock your vault to continue' })).toBeVisible();
		await page.getByLabel('Passphrase', { exact: true }).fill(PASSPHRASE);
		await page.getByRole('button', { name: 'Unlock' }).click();
	}
	await expect(page.getByRole('heading', { name: /vault/ })).toHaveCount(0, { timeout: 30_000 });
}

export async function next(page: Page) {
	await page.getByRole('button', { name: 'Next' }).click();
}

export async function chooseApps(page: Page, names: string[]) {
	await expect(page.getByRole('heading', { name: 'Which apps do you want?' })).toBeVisible();
	for (const name of names) await page.getByRole('checkbox', { name: new RegExp(`^${name} —`) }).check();
	await next(page);
}

export async function chooseDomain(page: Page, domain = SANDBOX_ZONE) {
	await expect(page.getByRole('heading', { name: 'Your web address' })).toBeVisible();
	await page.getByLabel('Your domain').fill(domain);
	await page.getByRole('radio', { name: /deSEC.*Sandbox/ }).check();
	await page.getByLabel('DNS token').fill('sandbox');
	await page.getByRole('button', { name: 'Check' }).click();
	await expect(page.getByText(/Works \(account:/)).toBeVisible();
	await next(page);
}

export async function chooseCloud(page: Page) {
	await expect(page.getByRole('heading', { name: 'Your server', exact: true })).toBeVisible();
	// The sandbox comes first, clearly labelled.
	const first = page.getByRole('group', { name: 'Cloud provider' }).getByRole('radio').first();
	await expect(first).toHaveAccessibleName(/Sandbox \(practice, nothing is created\)/);
	await page.getByRole('radio', { name: /^DigitalOcean.*Sandbox/ }).check();
	await page.getByLabel('Cloud token').fill('sandbox');
	await page.getByRole('button', { name: 'Check' }).click();
	await expect(page.getByText(/Works \(account:/)).toBeVisible();
	const sizes = page.getByRole('group', { name: 'Server size' });
	await sizes.getByRole('radio', { disabled: false }).first().check();
	await next(page);
}

export async function checkA11y(page: Page, where: string) {
	expect(await seriousA11yViolations(page), where).toEqual([]);
}

/** HTTP status of the deployment's settings repo at the sandbox GitHub (200: there, 404: gone). */
export async function repoStatus(request: APIRequestContext, deploymentId: string): Promise<number> {
	const response = await request.get(`/sandbox/github/repos/sandbox-user/nassella-${deploymentId}-config`, {
		headers: { authorization: 'token sandbox', accept: 'application/vnd.github+json' }
	});
	return response.status();
}
