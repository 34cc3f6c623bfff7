import { expect, seriousA11yViolations, test } from './fixtures.ts';

test.describe('relay setting', () => {
	test('explains the relay, refuses bad addresses, uses the local relay and keeps it', async ({ page, baseURL }) => {
		await page.goto('/settings');
		const section = page.getByRole('region', { name: 'Relay for providers that need one' });
		await expect(section).toBeVisible();
		await expect(section.getByText('The relay sees your API tokens')).toBeVisible();
		expect(await seriousA11yViolations(page)).toEqual([]);

		const field = section.getByLabel('Relay address');
		await field.fill('http://relay.example.org');
		await section.getByRole('button', { name: 'Save' }).click();
		await expect(section.getByText('Plain http:// is only allowed for a relay on this computer.')).toBeVisible();
		await expect(field).toHaveAttribute('aria-invalid', 'true');

		await section.getByRole('button', { name: 'Use the relay of this local copy' }).click();
		await expect(section.getByRole('status')).toHaveText('Saved. Providers that need a relay now go through it.');
		await expect(section.getByText(`In use: ${baseURL}/proxy`)).toBeVisible();

		await section.getByRole('button', { name: 'Test the relay' }).click();
		await expect(section.getByRole('status')).toHaveText('The relay answers and accepts this app.');
		expect(await seriousA11yViolations(page)).toEqual([]);

		await page.reload();
		await expect(section.getByText(`In use: ${baseURL}/proxy`)).toBeVisible();
		await expect(field).toHaveValue(`${baseURL}/proxy`);

		await section.getByRole('button', { name: 'Remove' }).click();
		await expect(section.getByRole('status')).toContainText('Removed.');
		await expect(section.getByText('In use:')).toHaveCount(0);
	});

	test('says so when this copy may not connect to the relay, without trying', async ({ page }) => {
		await page.goto('/settings');
		const section = page.getByRole('region', { name: 'Relay for providers that need one' });
		await section.getByLabel('Relay address').fill('https://relay.example.org/');
		await section.getByRole('button', { name: 'Save' }).click();
		await expect(section.getByRole('status')).toContainText('not allowed to connect to https://relay.example.org');
		await section.getByRole('button', { name: 'Test the relay' }).click();
		await expect(section.getByRole('status')).toContainText('cannot use this relay');
		// The fixture fails the test on any request to another origin or CSP violation.
	});
});
