import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Page } from '@playwright/test';

/** Everything a page did that it must not: requests to other origins and CSP violations. */
export interface Trespasses {
	foreignRequests: string[];
	cspViolations: string[];
}

/** Starts recording a page's requests to other origins and its CSP violations. */
export async function watchTrespasses(page: Page, appOrigin: string): Promise<Trespasses> {
	const found: Trespasses = { foreignRequests: [], cspViolations: [] };
	page.on('request', (request) => {
		const url = new URL(request.url());
		if (url.protocol === 'data:' || url.protocol === 'blob:') return;
		if (url.origin !== appOrigin) found.foreignRequests.push(url.origin);
	});
	await page.exposeFunction('__reportCspViolation', (text: string) => found.cspViolations.push(text));
	await page.addInitScript(() => {
		document.addEventListener('securitypolicyviolation', (e) => {
			(window as unknown as { __reportCspViolation(t: string): void }).__reportCspViolation(
				`${e.violatedDirective} ${e.blockedURI}`
			);
		});
	});
	return found;
}

/** Serious and critical accessibility problems on the page as it is now. */
export async function seriousA11yViolations(page: Page): Promise<string[]> {
	const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
	return results.violations
		.filter((v) => v.impact === 'serious' || v.impact === 'critical')
		.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/**
 * Every test's page is watched: at the end it must have made no request to another
 * origin and caused no CSP violation.
 */
export const test = base.extend<{ trespasses: Trespasses }>({
	trespasses: [
		async ({ page, baseURL }, use) => {
			const found = await watchTrespasses(page, new URL(baseURL!).origin);
			await use(found);
			expect(found.foreignRequests, 'requests to other origins').toEqual([]);
			expect(found.cspViolations, 'Content-Security-Policy violations').toEqual([]);
		},
		{ auto: true }
	]
});

export { expect };
