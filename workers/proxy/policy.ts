/**
 * What the relay forwards: an exact list of hosts, and per host the methods and path
 * patterns nassella needs, each declared by its provider's descriptor. Everything else is
 * refused with a reason. Pure data and pure functions, shared by the Cloudflare Workers and
 * the Node entries.
 *
 * DigitalOcean, deSEC, GitHub's and GitLab's REST APIs send CORS headers themselves:
 * the app calls them directly and their descriptors list no relay host for them.
 */
import { PROVIDERS } from '../../src/lib/adapters/registry.ts';
import type { HostRule, Route } from '../../src/lib/core/net/relay-rules.ts';
import { parseProxiedPath, type ProxiedTarget } from '../../src/lib/core/net/proxy-url.ts';
import { relayRules } from '../../src/lib/core/providers/offers.ts';

export type { HostRule, Route };

/** Every provider's relay hosts, from their descriptors (src/lib/adapters/<provider>/provider.ts). */
export const PRODUCTION_RULES: readonly HostRule[] = relayRules(PROVIDERS);

/** Request headers passed on to the provider. */
export const FORWARDED_REQUEST_HEADERS: readonly string[] = [
	'accept',
	'authorization',
	'content-type',
	'git-protocol',
	'if-match',
	'if-none-match',
	'user-agent'
];

/**
 * Request headers that browsers, runtimes and front proxies add by themselves: dropped
 * without complaint. Cookies are dropped too (they never reach a provider). Any other
 * header is refused.
 */
const DROPPED_REQUEST_HEADERS = new Set([
	'accept-encoding',
	'accept-language',
	'cache-control',
	'cdn-loop',
	'connection',
	'content-length',
	'cookie',
	'dnt',
	'forwarded',
	'host',
	'keep-alive',
	'origin',
	'pragma',
	'priority',
	'referer',
	'expect',
	'te',
	'trailer',
	'transfer-encoding',
	'true-client-ip',
	'upgrade',
	'upgrade-insecure-requests',
	'via',
	'x-real-ip'
]);
const DROPPED_REQUEST_PREFIXES = ['sec-', 'cf-', 'x-forwarded-', 'access-control-request-'];

/** Response headers passed back to the app; everything else (Set-Cookie first) is dropped. */
export const FORWARDED_RESPONSE_HEADERS: readonly string[] = [
	'cache-control',
	'content-length',
	'content-type',
	'etag',
	'last-modified',
	'link',
	'location',
	'ratelimit-limit',
	'ratelimit-remaining',
	'ratelimit-reset',
	'retry-after',
	'x-ratelimit-limit',
	'x-ratelimit-remaining',
	'x-ratelimit-reset',
	'x-total-count'
];

/** Response headers the app's code may read (the CORS-safelisted ones need no mention). */
export const EXPOSED_RESPONSE_HEADERS: readonly string[] = FORWARDED_RESPONSE_HEADERS.filter(
	(h) => !['cache-control', 'content-length', 'content-type', 'last-modified'].includes(h)
);

export type HeaderVerdict = 'forward' | 'drop' | 'refuse';

export function requestHeaderVerdict(name: string): HeaderVerdict {
	const lower = name.toLowerCase();
	if (FORWARDED_REQUEST_HEADERS.includes(lower)) return 'forward';
	if (DROPPED_REQUEST_HEADERS.has(lower) || DROPPED_REQUEST_PREFIXES.some((p) => lower.startsWith(p))) return 'drop';
	return 'refuse';
}

export type Decision =
	| { allow: true; target: ProxiedTarget; rule: HostRule; route: Route }
	| { allow: false; reason: string; target?: ProxiedTarget };

/**
 * Decides whether `method` on the relay path `rest` (what follows the base path, raw)
 * may be forwarded. `contentType` is checked when given (undefined skips the check, as
 * for a preflight, which cannot know it).
 */
export function decide(
	rules: readonly HostRule[],
	method: string,
	rest: string,
	contentType?: string | null
): Decision {
	const parsed = parseProxiedPath(rest);
	if (!parsed.ok) return { allow: false, reason: parsed.reason };
	const { target } = parsed;
	const rule = rules.find((r) => r.host === target.host);
	if (!rule) return { allow: false, reason: `The host ${target.host} is not on this relay's list.`, target };
	const byPath = rule.routes.filter((r) => r.path.test(target.path) && (!r.query || r.query.test(target.search)));
	if (byPath.length === 0)
		return { allow: false, reason: `This ${rule.provider} address is not on this relay's list.`, target };
	const route = byPath.find((r) => r.methods.includes(method));
	if (!route)
		return { allow: false, reason: `The method ${method} is not allowed for this ${rule.provider} address.`, target };
	if (contentType !== undefined && route.contentType) {
		const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
		if (type !== route.contentType)
			return { allow: false, reason: `This ${rule.provider} address needs Content-Type ${route.contentType}.`, target };
	}
	return { allow: true, target, rule, route };
}

/** Thrown by an upstream when the host name leads to an address the relay must not reach. */
export class BlockedAddressError extends Error {
	constructor(host: string) {
		super(`The host ${host} resolves to a private, loopback or otherwise reserved address.`);
		this.name = 'BlockedAddressError';
	}
}

export interface Limits {
	/** Largest request body forwarded, in bytes. */
	maxRequestBytes: number;
	/** Largest response body passed back, in bytes. */
	maxResponseBytes: number;
	/** Longest time for one request, from arrival to the end of the response body. */
	timeoutMs: number;
}

export const DEFAULT_LIMITS: Limits = {
	maxRequestBytes: 16 * 1024 * 1024,
	maxResponseBytes: 64 * 1024 * 1024,
	timeoutMs: 60_000
};

/** Reads a list of origins ("https://a.example https://b.example" or comma separated). */
export function parseOrigins(text: string | undefined): string[] {
	return (text ?? '')
		.split(/[\s,]+/)
		.filter(Boolean)
		.map((o) => {
			const u = new URL(o);
			if (u.protocol !== 'https:' && !['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname))
				throw new Error(`Allowed origin ${o} must use https (plain http only on loopback).`);
			return u.origin;
		});
}

/**
 * The `server` route: a person's own server, reached on its admin host
 * (`<relay>/server/<admin host>/status.json` and `/server/<admin host>/journal/entries`).
 * Any public host name may be asked for, so the route is narrow in everything else: GET
 * only, two paths, only Authorization, Accept and Range passed on, journal matches from a
 * short list of fields with plain values, and answers bounded in size and time.
 */
export const SERVER_PREFIX = '/server';
export const SERVER_PROVIDER = 'your server';

/** Journal fields the log view filters on (gatewayd `FIELD=value` matches). */
export const SERVER_JOURNAL_FIELDS: readonly string[] = [
	'_SYSTEMD_UNIT',
	'CONTAINER_NAME',
	'SYSLOG_IDENTIFIER',
	'PRIORITY',
	'_BOOT_ID',
	'_TRANSPORT'
];
const SERVER_VALUE = /^[A-Za-z0-9@._:+-]{1,128}$/;
const SERVER_RANGE = /^entries=[A-Za-z0-9=;_-]{0,512}(?::-?[0-9]{1,9})?(?::[0-9]{0,9})?$/;

/** Request headers the server route passes on; the rest of FORWARDED_REQUEST_HEADERS is dropped. */
export const SERVER_REQUEST_HEADERS: readonly string[] = ['accept', 'authorization', 'range'];

export function serverHeaderVerdict(name: string, value: string): HeaderVerdict {
	const lower = name.toLowerCase();
	if (lower === 'range') return SERVER_RANGE.test(value) ? 'forward' : 'refuse';
	if (SERVER_REQUEST_HEADERS.includes(lower)) return 'forward';
	if (lower === 'user-agent' || requestHeaderVerdict(lower) === 'drop') return 'drop';
	return 'refuse';
}

/** Why a journal query is refused, or undefined when it may pass. */
export function serverQueryProblem(search: string): string | undefined {
	if (search === '' || search === '?') return undefined;
	const params = search.slice(1).split('&');
	if (params.length > 8) return 'Too many log filters.';
	let follow = false;
	for (const p of params) {
		if (p === 'follow') {
			if (follow) return 'A log filter appears twice.';
			follow = true;
			continue;
		}
		const eq = p.indexOf('=');
		const field = eq === -1 ? p : p.slice(0, eq);
		if (!SERVER_JOURNAL_FIELDS.includes(field)) return 'That log filter is not allowed through this relay.';
		if (eq === -1 || !SERVER_VALUE.test(p.slice(eq + 1)))
			return 'A log filter value holds characters that are not allowed.';
	}
	return undefined;
}

/** Decides a `server` route request; `rest` starts with "/server/". */
export function decideServer(method: string, rest: string): Decision {
	const parsed = parseProxiedPath(rest.slice(SERVER_PREFIX.length));
	if (!parsed.ok) return { allow: false, reason: parsed.reason };
	const { target } = parsed;
	const rule: HostRule = { host: target.host, provider: SERVER_PROVIDER, routes: [] };
	let route: Route;
	if (target.path === '/status.json') {
		if (target.search !== '') return { allow: false, reason: 'The status report takes no query.', target };
		route = { methods: ['GET'], path: /^\/status\.json$/ };
	} else if (target.path === '/journal/entries') {
		const problem = serverQueryProblem(target.search);
		if (problem) return { allow: false, reason: problem, target };
		route = { methods: ['GET'], path: /^\/journal\/entries$/ };
	} else return { allow: false, reason: "This address on your server is not on this relay's list.", target };
	if (method !== 'GET') return { allow: false, reason: `The method ${method} is not allowed for your server.`, target };
	return { allow: true, target, rule: { ...rule, routes: [route] }, route };
}

export interface ServerLimits {
	/** Longest answer passed back from a person's server (the journal streams), in bytes. */
	maxResponseBytes: number;
	/** Longest time for one request including a streamed journal; the app then asks again from its cursor. */
	timeoutMs: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = { maxResponseBytes: 8 * 1024 * 1024, timeoutMs: 120_000 };
