/**
 * The setup wizard in Chromium against the sandbox providers `npm start` serves: apps,
 * web address, server (price and fit), tokens checked as they are entered, plain errors.
 */
import { expect, test } from './fixtures.ts';
import { checkA11y, chooseApps, chooseDomain, next, openSetup, sandboxState } from './setup-helpers.ts';

test.describe('setup wizard', () => {
	test('walks from apps to the server size, checking tokens as they are entered', async ({ page }) => {
		await openSetup(page);
		await checkA11y(page, 'apps');
		// A long list: search and a category narrow it; what was chosen stays chosen.
		const search = page.getByRole('searchbox', { name: 'Search' });
		await search.fill('vaultwarden');
		await expect(page.getByRole('checkbox')).toHaveCount(1);
		await page.getByRole('checkbox', { name: /^Vaultwarden —/ }).check();
		await search.fill('');
		await page.getByLabel('Category').selectOption({ label: 'Passwords' });
		await expect(page.getByRole('checkbox', { name: /^Vaultwarden —/ })).toBeChecked();
		await expect(page.getByRole('checkbox', { name: /^Uptime Kuma —/ })).toHaveCount(0);
		await expect(page.getByTestId('apps-shown')).toContainText(/of \d+ apps shown · 1 chosen: Vaultwarden/);
		await checkA11y(page, 'apps filtered');
		await page.getByLabel('Category').selectOption({ label: 'All' });
		await page.getByRole('checkbox', { name: /^Vaultwarden —/ }).uncheck();
		await expect(page.getByRole('button', { name: 'Next' })).toBeDisabled();
		await chooseApps(page, ['Vaultwarden', 'Uptime Kuma']);

		await expect(page.getByRole('heading', { name: 'Your web address' })).toBeVisible();
		await page.getByLabel('Your domain').fill('bad_name.org');
		await expect(page.getByText('Use only letters, digits, dots and dashes', { exact: false }).first()).toBeVisible();
		await checkA11y(page, 'domain');
		await chooseDomain(page);

		await expect(page.getByRole('heading', { name: 'Your server', exact: true })).toBeVisible();
		const cloud = page.getByRole('group', { name: 'Cloud provider' }).getByRole('radio');
		await expect(cloud.first()).toHaveAccessibleName(/Sandbox \(practice, nothing is created\)/);
		// A real provider says step by step where its token is made, with a link to that page.
		await page.getByRole('radio', { name: 'DigitalOcean', exact: true }).check();
		await page.locator('summary', { hasText: 'How to make this token' }).click();
		await expect(page.getByText(/Generate New Token/)).toBeVisible();
		const tokenPage = page.getByRole('link', { name: /Open DigitalOcean’s token page/ });
		await expect(tokenPage).toHaveAttribute('href', 'https://cloud.digitalocean.com/account/api/tokens');
		await expect(tokenPage).toHaveAttribute('rel', /noopener/);
		await checkA11y(page, 'token guide');
		// A practice choice needs none.
		await page.getByRole('radio', { name: /^DigitalOcean.*Sandbox/ }).check();
		await expect(page.locator('summary', { hasText: 'How to make this token' })).toHaveCount(0);
		// Next says what is missing: here, any word as the token, then Check.
		await expect(page.getByRole('status').filter({ hasText: /Type any word as the token/ })).toBeVisible();
		await page.getByLabel('Cloud token').fill('sandbox');
		await page.getByRole('button', { name: 'Check' }).click();
		await expect(page.getByText(/Works \(account:/)).toBeVisible();
		// Monthly prices come from the provider; sizes too small for the apps are explained and cannot be picked.
		const sizes = page.getByRole('group', { name: 'Server size' });
		await expect(sizes.getByText(/per month/).first()).toBeVisible();
		const tooSmall = sizes.getByText(/Too small: your apps need at least/);
		if ((await tooSmall.count()) > 0) await expect(tooSmall.first()).toBeVisible();
		await checkA11y(page, 'cloud');
		await sizes.getByRole('radio', { disabled: false }).first().check();
		await next(page);
		await expect(page.getByRole('heading', { name: 'Where your server’s settings are kept' })).toBeVisible();
		await checkA11y(page, 'git');
	});

	test('a wrong token gives a clear error in plain words', async ({ page }) => {
		await openSetup(page);
		await chooseApps(page, ['Uptime Kuma']);
		await page.getByLabel('Your domain').fill('nassella-sandbox.example');
		await page.getByRole('radio', { name: /deSEC.*Sandbox/ }).check();
		// deSEC's own answer to a token it does not know (only this page sees it).
		await page.route('**/sandbox/desec/**', (route) =>
			route.fulfill({
				status: 401,
				contentType: 'application/json',
				body: JSON.stringify({ detail: 'Invalid token.' })
			})
		);
		await page.getByLabel('DNS token').fill('a-wrong-token');
		await page.getByRole('button', { name: 'Check' }).click();
		const status = page.locator('#dns-token-status');
		await expect(status).toContainText(/token/i);
		await expect(page.getByRole('button', { name: 'Next' })).toBeDisabled();
		await checkA11y(page, 'token error');
	});

	test('a domain the DNS account does not hold is refused before anything is created', async ({ page }) => {
		await openSetup(page);
		await chooseApps(page, ['Uptime Kuma']);
		await page.getByLabel('Your domain').fill('someone-else.example');
		await page.getByRole('radio', { name: /deSEC.*Sandbox/ }).check();
		await page.getByLabel('DNS token').fill('sandbox');
		await page.getByRole('button', { name: 'Check' }).click();
		await expect(page.locator('#dns-token-status')).not.toHaveText('');
		await expect(page.locator('#dns-token-status')).not.toContainText('Works');
		await expect(page.getByRole('button', { name: 'Next' })).toBeDisabled();
	});

	test('a free dedyn.io name is claimed when the token is checked; a taken one is refused plainly', async ({
		page,
		request
	}) => {
		// Names unique to this run, since the sandbox is shared by the tests running at once.
		const suffix = `${test.info().project.name}-${Date.now().toString(36)}`;
		const free = `free-${suffix}`;
		const taken = `taken-${suffix}`;
		expect((await request.post('/sandbox/_control/taken', { data: { name: `${taken}.dedyn.io` } })).ok()).toBe(true);
		await openSetup(page);
		await chooseApps(page, ['Uptime Kuma']);
		// A mistyped own domain: its problem is said once, under the field.
		await page.getByLabel('Your domain').fill('bad_name.org');
		await expect(page.getByText(/Use only letters, digits, dots and dashes/)).toHaveCount(1);
		await expect(page.getByRole('status').filter({ hasText: 'see the note under it' })).toBeVisible();
		const dnsChoices = page.getByRole('group', { name: 'Who runs the DNS of this name?' }).getByRole('radio');
		expect(await dnsChoices.count()).toBeGreaterThan(2);
		// A free name starts empty, and only who hands such names out is offered.
		await page.getByRole('radio', { name: /free name ending in \.dedyn\.io/ }).check();
		await expect(page.getByLabel('Your free name')).toHaveValue('');
		await expect(dnsChoices).toHaveCount(2);
		for (const name of await dnsChoices.evaluateAll((els) => els.map((e) => e.closest('label')?.textContent ?? '')))
			expect(name).toMatch(/deSEC/);
		// Back to the own domain: what was typed there is still there.
		await page.getByRole('radio', { name: 'A domain I own' }).check();
		await expect(page.getByLabel('Your domain')).toHaveValue('bad_name.org');
		await page.getByRole('radio', { name: /free name ending in \.dedyn\.io/ }).check();
		await page.getByRole('radio', { name: /deSEC.*Sandbox/ }).check();
		await page.getByLabel('DNS token').fill('sandbox');
		const status = page.locator('#dns-token-status');

		await page.getByLabel('Your free name').fill(taken);
		await page.getByRole('button', { name: 'Check' }).click();
		await expect(status).toContainText('This name is taken');
		await expect(status).toContainText('Pick another name');
		await expect(page.getByRole('button', { name: 'Next' })).toBeDisabled();
		await checkA11y(page, 'name taken');

		await page.getByLabel('Your free name').fill(free);
		await page.getByRole('button', { name: 'Check' }).click();
		await expect(status).toContainText('Works');
		await expect(page.getByText(`The name ${free}.dedyn.io is now yours`)).toBeVisible();
		const held = (await sandboxState(request)).desec.domains.map((d) => d.name);
		expect(held.filter((n) => n === `${free}.dedyn.io`)).toHaveLength(1);
		expect(held).not.toContain(`${taken}.dedyn.io`);
		// Checking again finds it and claims nothing more.
		await page.getByRole('button', { name: 'Check' }).click();
		await expect(status).toContainText('Works');
		await expect(page.getByText(/is now yours/)).toHaveCount(0);
		await next(page);
		await expect(page.getByRole('heading', { name: 'Your server', exact: true })).toBeVisible();
	});
});
