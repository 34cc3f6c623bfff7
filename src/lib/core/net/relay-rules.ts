/**
 * The shape of the relay's allowlist: per host, the methods and path patterns nassella needs.
 * Each provider's descriptor (src/lib/adapters/<provider>/provider.ts) declares its own hosts
 * with these; workers/proxy/policy.ts decides on them. Pure data and helpers, no I/O.
 */

export interface Route {
	methods: readonly string[];
	/** Matched against the raw path (no query). */
	path: RegExp;
	/** When set, the raw query (with its "?", or "") must match. */
	query?: RegExp;
	/** When set, the request's Content-Type must be exactly this (parameters ignored). */
	contentType?: string;
}

export interface HostRule {
	host: string;
	/** Who runs the API, in words people know. */
	provider: string;
	routes: readonly Route[];
}

/**
 * One path segment: letters, digits, the few marks API names use, and percent-encoded
 * bytes (the parser has already refused encoded separators, dots and percent signs).
 */
export const SEG = "(?:[A-Za-z0-9._~@*+!$'(),=:-]|%[0-9A-Fa-f]{2})+";
/** A 32-digit lowercase hex id (Cloudflare's zone and record ids). */
export const ID32 = '[0-9a-f]{32}';
/** An owner or repository name on a git host. */
export const REPO = '[A-Za-z0-9._-]+';
export const READ_WRITE = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** git smart-HTTP, as isomorphic-git speaks it: discovery, then one pack exchange. */
export function smartHttp(repoPath: string): Route[] {
	return [
		{
			methods: ['GET'],
			path: new RegExp(`^${repoPath}/info/refs$`),
			query: /^\?service=git-(?:upload|receive)-pack$/
		},
		{
			methods: ['POST'],
			path: new RegExp(`^${repoPath}/git-upload-pack$`),
			contentType: 'application/x-git-upload-pack-request'
		},
		{
			methods: ['POST'],
			path: new RegExp(`^${repoPath}/git-receive-pack$`),
			contentType: 'application/x-git-receive-pack-request'
		}
	];
}
