/**
 * The relay ("CORS proxy") URL form, shared by the app's adapters and the relay itself.
 *
 * A request to `https://<host><path>?<query>` through a relay whose base URL is `<base>`
 * (`https://proxy.example.org`, `http://127.0.0.1:4173/proxy`) is sent to
 * `<base>/<host><path>?<query>` with the same method, headers and body. The relay decides
 * by exact host + method + path, so the form is kept strict: lowercase host names only,
 * no ports, no user info, no encoded separators, no dot segments.
 *
 * Pure: no I/O. Used by the browser (viaProxy, checkProxyBase) and by workers/proxy
 * (parseProxiedPath). Which hosts the relay serves is each provider descriptor's `relay`.
 */

/** Rewrites an upstream URL to go through the relay; without a relay, returns it unchanged. */
export function viaProxy(url: string, proxyBase: string | undefined): string {
	if (!proxyBase) return url;
	const u = new URL(url);
	if (u.protocol !== 'https:') throw new Error('Only https addresses can go through the relay.');
	if (u.username || u.password) throw new Error('Addresses with user info cannot go through the relay.');
	return `${proxyBase.replace(/\/+$/, '')}/${u.host}${u.pathname}${u.search}`;
}

/** The upstream request a relay path names. */
export interface ProxiedTarget {
	/** Lowercase DNS name, no port, no trailing dot. */
	host: string;
	/** Starts with "/"; raw (percent-encoded) as received. */
	path: string;
	/** "" or starting with "?"; raw as received. */
	search: string;
}

export type ParseResult = { ok: true; target: ProxiedTarget } | { ok: false; reason: string };

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Characters a path segment may hold: RFC 3986 unreserved, a few sub-delims, and %XX. */
const PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*$/;
const QUERY_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*$/;
/** Percent-encodings that could change how a server splits or resolves a path. */
const RISKY_ENCODINGS = /%(?:2e|2f|5c|00|25|3f|23|3b)/i;

/**
 * Splits what follows the relay's base path (`/<host><path>?<query>`, as received,
 * before any decoding) into a target, refusing every ambiguous form: encoded or
 * uppercase host names, user info, ports, IP literals, trailing dots, backslashes,
 * empty or dot segments, encoded separators and control characters.
 */
export function parseProxiedPath(rest: string): ParseResult {
	const fail = (reason: string): ParseResult => ({ ok: false, reason });
	if (!rest.startsWith('/')) return fail('The address must start with "/" followed by a host name.');
	if (rest.length > 8192) return fail('The address is too long.');
	if (rest.includes('#')) return fail('The address must not contain a fragment.');
	const q = rest.indexOf('?');
	const pathPart = q === -1 ? rest : rest.slice(0, q);
	const search = q === -1 ? '' : rest.slice(q);
	if (pathPart.includes('\\')) return fail('Backslashes are not allowed in the address.');
	if (pathPart.startsWith('//')) return fail('The host name is missing (double slash).');
	const slash = pathPart.indexOf('/', 1);
	const host = slash === -1 ? pathPart.slice(1) : pathPart.slice(1, slash);
	const path = slash === -1 ? '/' : pathPart.slice(slash);

	const hostProblem = checkHostName(host);
	if (hostProblem) return fail(hostProblem);

	if (!PATH_CHARS.test(path)) return fail('The path holds characters that are not allowed.');
	if (path.includes('//')) return fail('Empty path segments (double slashes) are not allowed.');
	if (RISKY_ENCODINGS.test(path)) return fail('Encoded separators or dots are not allowed in the path.');
	// A server may read "metrics;x" as "metrics" with a parameter: the allowlist would judge one
	// path and the provider serve another. No provider nassella uses has path parameters.
	if (path.includes(';')) return fail('Path parameters (";") are not allowed in the path.');
	const segments = path.split('/').slice(1);
	if (segments.some((s) => s === '.' || s === '..')) return fail('Dot segments are not allowed in the path.');
	if (search && !QUERY_CHARS.test(search.slice(1))) return fail('The query holds characters that are not allowed.');
	return { ok: true, target: { host, path, search } };
}

/** Why a host name (as written in a relay path) is refused, or undefined when it is well formed. */
export function checkHostName(host: string): string | undefined {
	if (host === '') return 'The host name is missing.';
	if (host.includes('%')) return 'Encoded characters are not allowed in the host name.';
	if (host.includes('@')) return 'User info ("@") is not allowed in the address.';
	if (host.startsWith('[') || host.includes(':')) return 'Ports and IPv6 addresses are not allowed.';
	if (host.endsWith('.')) return 'A trailing dot is not allowed in the host name.';
	if (host !== host.toLowerCase()) return 'The host name must be in lowercase.';
	if (host.length > 253) return 'The host name is too long.';
	const labels = host.split('.');
	if (labels.length < 2) return 'The host name must be a full domain name.';
	// A numeric last label is an IPv4 address in one of its many spellings (127.1, 0x7f.0.0.1…).
	if (/^(?:[0-9]+|0x[0-9a-f]*)$/.test(labels[labels.length - 1]!))
		return 'IP addresses are not allowed; use a host name.';
	if (!labels.every((l) => LABEL.test(l))) return 'The host name holds characters that are not allowed.';
	return undefined;
}

export type ProxyBaseCheck = { ok: true; base: string } | { ok: false; reason: string };

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/**
 * Validates a relay address a person typed in Settings: https, or plain http only on
 * this computer (loopback). No user info, query or fragment. Returns it without a
 * trailing slash.
 */
export function checkProxyBase(input: string): ProxyBaseCheck {
	const text = input.trim();
	if (text === '') return { ok: false, reason: 'Enter the relay address, starting with https://.' };
	let u: URL;
	try {
		u = new URL(text);
	} catch {
		return { ok: false, reason: 'This is not a web address. It should look like https://relay.example.org' };
	}
	if (u.username || u.password) return { ok: false, reason: 'The address must not contain a user name or password.' };
	if (u.search || u.hash || text.includes('?') || text.includes('#'))
		return { ok: false, reason: 'The address must not contain "?" or "#".' };
	if (u.protocol === 'http:') {
		if (!LOOPBACK_HOSTS.has(u.hostname))
			return { ok: false, reason: 'Use https://. Plain http:// is only allowed for a relay on this computer.' };
	} else if (u.protocol !== 'https:') {
		return { ok: false, reason: 'The address must start with https://.' };
	}
	return { ok: true, base: `${u.origin}${u.pathname.replace(/\/+$/, '')}` };
}

/** The origin (scheme://host[:port]) of an address already checked with checkProxyBase. */
export function originOf(address: string): string {
	return new URL(address).origin;
}

/**
 * Whether a Content-Security-Policy lets a page at `selfOrigin` connect to `address`.
 * Only what nassella's own policy uses is understood: exact origins, 'self', or no
 * connect-src / default-src at all (no policy: allowed).
 */
export function policyAllowsConnect(policy: string | null | undefined, address: string, selfOrigin: string): boolean {
	const origin = originOf(address);
	if (!policy) return true;
	const directives = policy.split(';').map((d) => d.trim().split(/\s+/));
	const find = (name: string) => directives.find((parts) => parts[0]?.toLowerCase() === name);
	const connect = find('connect-src') ?? find('default-src');
	if (!connect) return true;
	return connect.slice(1).some((source) => {
		if (source === "'self'") return origin === selfOrigin;
		return source.replace(/\/+$/, '') === origin;
	});
}
