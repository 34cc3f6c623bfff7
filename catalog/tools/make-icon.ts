/**
 * Draws a simple original icon for a catalog app: a rounded square in the app's colour with its
 * initials. Usage: `npm exec -- node catalog/tools/make-icon.ts <app-id> <initials> <#background> [#foreground]`.
 * Only writes `catalog/<app-id>/icon.svg`; edit the file by hand for anything fancier.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [id, initials, bg, fg = '#ffffff'] = process.argv.slice(2);
const colour = /^#[0-9a-fA-F]{6}$/;
if (
	!id ||
	!/^[a-z0-9-]+$/.test(id) ||
	!initials ||
	!/^[A-Za-z0-9]{1,2}$/.test(initials) ||
	!bg ||
	!colour.test(bg) ||
	!colour.test(fg)
) {
	console.error('usage: make-icon.ts <app-id> <1-2 letters> <#rrggbb background> [#rrggbb foreground]');
	process.exit(2);
}
const size = initials.length === 1 ? 34 : 26;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64" role="img" aria-label="${id}">
<rect width="64" height="64" rx="14" fill="${bg}"/>
<circle cx="50" cy="14" r="6" fill="${fg}" fill-opacity="0.25"/>
<text x="32" y="33" fill="${fg}" font-family="system-ui, sans-serif" font-size="${size}" font-weight="700" text-anchor="middle" dominant-baseline="central">${initials}</text>
</svg>
`;
writeFileSync(join(import.meta.dirname, '..', id, 'icon.svg'), svg);
