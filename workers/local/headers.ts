/**
 * Security headers for whoever hosts the static build. The Content-Security-Policy comes
 * from the <meta> tag SvelteKit writes (with the hashes of its inline scripts) and is sent
 * as a real header, which also allows `frame-ancestors` (a <meta> policy ignores it).
 */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
	'X-Content-Type-Options': 'nosniff',
	'Referrer-Policy': 'no-referrer',
	'Cross-Origin-Opener-Policy': 'same-origin',
	'Cross-Origin-Resource-Policy': 'same-origin',
	'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()',
	'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
	'X-Frame-Options': 'DENY'
};

const META_CSP = /<meta\s+http-equiv="content-security-policy"\s+content="([^"]*)"\s*\/?>/i;

/** The policy of a built page, with the directives only a header can carry. */
export function cspFromHtml(html: string): string | undefined {
	const match = META_CSP.exec(html);
	if (!match?.[1]) return undefined;
	const policy = match[1].replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');
	return `${policy.replace(/;\s*$/, '')}; frame-ancestors 'none'`;
}

/** A `_headers` file (Cloudflare Pages, Netlify) with the same headers as the local server. */
export function headersFile(csp: string): string {
	const lines = [
		'/*',
		...Object.entries({ ...BASE_HEADERS, 'Content-Security-Policy': csp }).map(([k, v]) => `  ${k}: ${v}`)
	];
	lines.push(
		'/service-worker.js',
		'  Cache-Control: no-cache',
		'/_app/immutable/*',
		'  Cache-Control: public, max-age=31536000, immutable'
	);
	return lines.join('\n') + '\n';
}
