/**
 * Bytes of JavaScript and CSS a first visit to the home page transfers, gzip-compressed
 * as a static host would send them. Budget (issue #18): 35 KB. Also checks that no
 * heavy library (libsodium, isomorphic-git, octokit, zip.js) is among them.
 */
import { gzipSync } from 'node:zlib';
import { launchChromium, report, startApp } from './lib.ts';

const HEAVY = /libsodium|sodium|isomorphic-git|octokit|zip\.js|zipjs/i;

const app = await startApp();
const browser = await launchChromium();
try {
	const page = await browser.newPage({ serviceWorkers: 'block' });
	const bodies: { url: string; type: string; gzip: number; text: string }[] = [];
	page.on('response', async (response) => {
		const type = response.request().resourceType();
		if (type !== 'script' && type !== 'stylesheet') return;
		const body = await response.body();
		bodies.push({ url: response.url(), type, gzip: gzipSync(body, { level: 9 }).length, text: body.toString('utf8') });
	});
	await page.goto(app.url + '/', { waitUntil: 'networkidle' });
	const js = bodies.filter((b) => b.type === 'script').reduce((n, b) => n + b.gzip, 0);
	const css = bodies.filter((b) => b.type === 'stylesheet').reduce((n, b) => n + b.gzip, 0);
	report({
		name: 'first load of the home page: JS + CSS (gzip)',
		value: +((js + css) / 1024).toFixed(1),
		unit: 'KB',
		budget: 35
	});
	report({ name: 'first load: JS (gzip)', value: +(js / 1024).toFixed(1), unit: 'KB' });
	report({ name: 'first load: CSS (gzip)', value: +(css / 1024).toFixed(1), unit: 'KB' });
	report({ name: 'first load: files', value: bodies.length, unit: 'files' });
	const heavy = bodies.filter(
		(b) => HEAVY.test(b.url) || /crypto_pwhash|git-upload-pack|api\.github\.com/.test(b.text)
	);
	report({ name: 'first load: heavy libraries loaded', value: heavy.length, unit: 'files', budget: 0 });
} finally {
	await browser.close();
	await app.close();
}
