/**
 * The relay as a Cloudflare Workers module. Deploy your own (see workers/README.md):
 *
 *   npx wrangler@4 deploy --config workers/proxy/wrangler.toml --var ALLOWED_ORIGINS:https://your-app.example
 *
 * Environment:
 *   ALLOWED_ORIGINS  the app origins to serve, space or comma separated (required)
 *   RATE_LIMITER     optional Workers Rate Limiting binding (wrangler.toml) keyed by client address
 *
 * Workers offer no DNS lookup to a script, so the address check of the Node entry is not
 * possible here. What stands in for it: only the exact public provider host names on the
 * list are ever fetched (IP literals, ports and other names are refused before any
 * fetch), and Cloudflare resolves those names itself.
 */
import { createProxyHandler, type ProxyHandler, type Upstream } from './handler.ts';
import { BlockedAddressError, parseOrigins, PRODUCTION_RULES } from './policy.ts';
import { isPublicIp } from './public-ip.ts';

interface RateLimitBinding {
	limit(options: { key: string }): Promise<{ success: boolean }>;
}

export interface Env {
	ALLOWED_ORIGINS?: string;
	RATE_LIMITER?: RateLimitBinding;
}

/**
 * A person's own server (the `server` route) may be any host name, so before fetching it
 * the Worker asks Cloudflare's DNS-over-HTTPS for its addresses and refuses the request
 * unless every one is public. (A Worker cannot pin the connection to the checked address;
 * its fetches leave from Cloudflare's network, which has no route into private networks.)
 */
async function checkServerHost(host: string, signal: AbortSignal): Promise<void> {
	const addresses: string[] = [];
	for (const type of ['A', 'AAAA']) {
		const answer = await fetch(`https://cloudflare-dns.com/dns-query?name=${encodeURIComponent(host)}&type=${type}`, {
			headers: { accept: 'application/dns-json' },
			signal
		});
		if (!answer.ok) throw new BlockedAddressError(host);
		const body = (await answer.json()) as { Answer?: { type?: number; data?: string }[] };
		for (const a of body.Answer ?? [])
			if ((a.type === 1 || a.type === 28) && typeof a.data === 'string') addresses.push(a.data);
	}
	if (addresses.length === 0 || !addresses.every(isPublicIp)) throw new BlockedAddressError(host);
}

const upstream: Upstream = async (url, init) => {
	if (!PRODUCTION_RULES.some((r) => r.host === url.hostname)) await checkServerHost(url.hostname, init.signal);
	return fetch(url, {
		method: init.method,
		headers: init.headers,
		body: init.body,
		// Never follow: a redirect comes back to the handler, which checks it against the list.
		redirect: 'manual',
		signal: init.signal
	});
};

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

export default {
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
