/**
 * The relay as a Cloudflare Workers module. Deploy your own (see workers/README.md):
 *
 *   npx wrangler@4 deploy --config workers/proxy/wrangler.toml --var ALLOWED_ORIGINS:https://your-app.example
 *
 * Environment:
 *   ALLOWED_ORIGINS  the app origins to serve, space or comma separated (required)
 *   RATE_LIMITER     optional Workers Rate Limiting binding (wrangler.toml) keyed by client address
 *
 * The provider hosts on the list are fetched by name, and Cloudflare resolves them (IP
 * literals, ports and other names are refused before anything is sent). A person's own
 * server (the `server` route) may be any host name, so the Worker does what the Node entry
 * does: it looks the name up (over Cloudflare's DNS-over-HTTPS, as a Worker has no
 * resolver of its own), refuses it unless every A and AAAA answer is public by the rule in
 * public-address.ts, and connects to exactly one of the checked addresses over a TCP
 * socket, with TLS verifying the host name (pinned-get.ts). A Worker's fetch() would
 * resolve the name once more, and a name can answer the check with a public address and
 * the connection with a private one (DNS rebinding); a socket cannot be redirected so.
 */
import { connect } from 'cloudflare:sockets';
import { createProxyHandler, type ProxyHandler, type Upstream } from './handler.ts';
import { pinnedGet, type Connect } from './pinned-get.ts';
import { BlockedAddressError, parseOrigins, PRODUCTION_RULES } from './policy.ts';
import { isPublicAddress } from './public-address.ts';

interface RateLimitBinding {
	limit(options: { key: string }): Promise<{ success: boolean }>;
}

export interface Env {
	ALLOWED_ORIGINS?: string;
	RATE_LIMITER?: RateLimitBinding;
}

/** How the Worker reaches the network: the runtime's fetch() and connect(), or the tests' stand-ins. */
export interface Network {
	fetch: (input: string | URL, init: RequestInit) => Promise<Response>;
	connect: Connect;
}

const DNS_OVER_HTTPS = 'https://cloudflare-dns.com/dns-query';

/**
 * The address to connect to for a person's server: both lookups must succeed, give at
 * least one address between them, and every address must be public. IPv4 first.
 */
async function checkedAddress(network: Network, host: string, signal: AbortSignal): Promise<string> {
	const addresses: string[] = [];
	for (const [type, code] of [
		['A', 1],
		['AAAA', 28]
	] as const) {
		const answer = await network.fetch(`${DNS_OVER_HTTPS}?name=${encodeURIComponent(host)}&type=${type}`, {
			headers: { accept: 'application/dns-json' },
			signal
		});
		if (!answer.ok) throw new Error('The name of your server could not be looked up.');
		const body = (await answer.json()) as { Status?: unknown; Answer?: { type?: unknown; data?: unknown }[] };
		// NOERROR only: a failed lookup of either kind leaves some of the name's addresses unknown.
		if (body.Status !== 0) throw new Error('The name of your server could not be looked up.');
		for (const record of body.Answer ?? []) {
			if (record.type !== code) continue;
			const data = typeof record.data === 'string' ? record.data : '';
			// An A record holds IPv4 and an AAAA record IPv6; one that does not is refused.
			if (data.includes(':') !== (code === 28)) throw new BlockedAddressError(host);
			addresses.push(data);
		}
	}
	if (addresses.length === 0 || !addresses.every(isPublicAddress)) throw new BlockedAddressError(host);
	return addresses[0]!;
}

function upstreamOver(network: Network): Upstream {
	return async (url, init) => {
		if (PRODUCTION_RULES.some((r) => r.host === url.hostname))
			return network.fetch(url, {
				method: init.method,
				headers: init.headers,
				body: init.body,
				// Never follow: a redirect comes back to the handler, which checks it against the list.
				redirect: 'manual',
				signal: init.signal
			});
		const address = await checkedAddress(network, url.hostname, init.signal);
		return pinnedGet(network.connect, address, url, init);
	};
}

/** The Worker's fetch handler on a given network; the default export runs on the runtime's own. */
export function createWorker(network: Network) {
	const upstream = upstreamOver(network);
	let cached: { env: Env; handler: ProxyHandler } | undefined;

	function handlerFor(env: Env): ProxyHandler {
		if (cached?.env !== env) {
			const limiter = env.RATE_LIMITER;
			cached = {
				env,
				handler: createProxyHandler({
					rules: PRODUCTION_RULES,
					upstream,
					allowedOrigins: parseOrigins(env.ALLOWED_ORIGINS),
					rateLimit: limiter ? async (key) => (await limiter.limit({ key })).success : undefined,
					log: (e) => console.log(`proxy host=${e.host} status=${e.status} ms=${e.ms}`)
				})
			};
		}
		return cached.handler;
	}

	return {
		async fetch(request: Request, env: Env): Promise<Response> {
			let handler: ProxyHandler;
			try {
				handler = handlerFor(env);
			} catch (error) {
				const reason = error instanceof Error ? error.message : 'unknown';
				return Response.json({ error: `The relay is not configured correctly: ${reason}` }, { status: 500 });
			}
			return handler(request, { clientKey: request.headers.get('cf-connecting-ip') ?? 'unknown' });
		}
	};
}

export default createWorker({ fetch: (input, init) => fetch(input, init), connect });
