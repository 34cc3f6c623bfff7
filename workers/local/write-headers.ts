/** After `vite build`: writes build/_headers for static hosts that read one. */
import { readFileSync, writeFileSync } from 'node:fs';
import { cspFromHtml, headersFile } from './headers.ts';

const html = readFileSync('build/index.html', 'utf8');
const csp = cspFromHtml(html);
if (!csp) {
	console.error('build/index.html has no Content-Security-Policy: refusing to publish headers without one.');
	process.exit(1);
}
writeFileSync('build/_headers', headersFile(csp));
console.log('Wrote build/_headers');
