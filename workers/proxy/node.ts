/**
 * The relay on Node: `npm run proxy` (a server of its own) and `createNodeProxy()`, which
 * the local entry mounts at /proxy/ (workers/local/mounts.ts) and the tests drive.
 *
 * What Node adds to the shared handler: the host name is resolved here, every address
 * must be public by the rule in public-address.ts (which the Workers entry shares), and
 * the connection goes to exactly the checked address, so a DNS answer that changes
 * between check and connect (rebinding) cannot redirect it. Plus an in-memory per-client
 * rate limit.
 *
 * Environment for `npm run proxy`:
 *   PROXY_ALLOWED_ORIGINS  app origins to serve, space or comma separated
 *                          (default: the local app, http://127.0.0.1:4173 and http://localhost:4173)
 *   HOST, PORT             where to listen (default 127.0.0.1:8787)
 *   PROXY_PUBLIC_ORIGIN    the relay's own public origin when behind a TLS front (for redirects)
 *   PROXY_CLIENT_IP_HEADER a header your own front proxy sets to the client address
 *                          (e.g. x-forwarded-for; its last entry is used). Unset: the socket address.
 */
import { lookup } from 'node:dns/promises';
import {
	Agent as HttpAgent,
	createServer,
	request as httpRequest,
	type IncomingMessage,
	type ServerResponse
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressInfo, LookupFunction } from 'node:net';
import { Readable } from 'node:stream';
import { isPublicAddress } from './public-address.ts';
import { createProxyHandler, type LogEntry, type Upstream } from './handler.ts';
import {
	BlockedAddressError,
	parseOrigins,
	PRODUCTION_RULES,
	type HostRule,
	type Limits,
	type ServerLimits
} from './policy.ts';
import { createRateLimiter, DEFAULT_RATE_LIMIT, type RateLimitOptions } from './rate-limit.ts';

export interface ResolvedAddress {
	address: string;
	family: number;
}
export type Resolver = (host: string) => Promise<ResolvedAddress[]>;

const systemResolver: Resolver = (host) => lookup(host, { all: true, verbatim: true });

export interface NodeUpstreamOptions {
	resolve?: Resolver;
	/**
	 * Test only: allowed hosts answered by a plain-http server on loopback instead of the
	 * real provider (`{ 'api.hetzner.cloud': 'http://127.0.0.1:41234' }`). Never read from
	 * the environment.
	 */
	loopbackUpstreams?: Readonly<Record<string, string>>;
}

/** Upstream requests with the address check and pinning described above; never follows redirects. */
export function nodeUpstream(options: NodeUpstreamOptions = {}): Upstream {
	const resolve = options.resolve ?? systemResolver;
	const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 64 });
	const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 256 });
	return async (url, init) => {
		let pinned: ResolvedAddress;
		let port = 443;
		let secure = true;
		const loopback = options.loopbackUpstreams?.[url.hostname];
		if (loopback !== undefined) {
			const u = new URL(loopback);
			if (u.protocol !== 'http:' || u.hostname !== '127.0.0.1')
				throw new Error('Test upstreams must be http://127.0.0.1:<port>.');
			pinned = { address: '127.0.0.1', family: 4 };
			port = Number(u.port);
			secure = false;
		} else {
			const addresses = await resolve(url.hostname);
			if (addresses.length === 0 || !addresses.every((a) => isPublicAddress(a.address)))
				throw new BlockedAddressError(url.hostname);
			pinned = addresses[0]!;
		}
		// The socket connects to the checked address; TLS still verifies the host name.
		const pinnedLookup: LookupFunction = (_host, opts, callback) => {
			if (opts.all) callback(null, [pinned]);
			else callback(null, pinned.address, pinned.family);
		};
		const headers: Record<string, string> = { host: url.host };
		for (const [name, value] of init.headers) headers[name] = value;
		if (init.body) headers['content-length'] = String(init.body.byteLength);
		const idempotent = init.method !== 'POST' && init.method !== 'PATCH';
		const send = (attempt: number): Promise<Response> =>
			new Promise<Response>((resolveResponse, reject) => {
				const request = (secure ? httpsRequest : httpRequest)(
					{
						host: url.hostname,
						port,
						method: init.method,
						path: url.pathname + url.search,
						headers,
						lookup: pinnedLookup,
						agent: secure ? httpsAgent : httpAgent,
						...(secure ? { servername: url.hostname } : {})
					},
					(res) => {
						try {
							const responseHeaders = new Headers();
							for (let i = 0; i + 1 < res.rawHeaders.length; i += 2)
								responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
							const status = res.statusCode ?? 502;
							const empty = status === 204 || status === 304 || init.method === 'HEAD';
							if (empty) res.resume();
							const body = empty ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
							resolveResponse(new Response(body, { status, headers: responseHeaders }));
						} catch (error) {
							res.destroy();
							reject(error);
						}
					}
				);
				request.on('error', (error: NodeJS.ErrnoException) => {
					// A kept-alive connection the provider had just closed: one more try on a fresh
					// one, for requests that may safely be sent twice (never POST or PATCH).
					if (
						attempt === 0 &&
						idempotent &&
						request.reusedSocket &&
						error.code === 'ECONNRESET' &&
						!init.signal.aborted
					)
						resolveResponse(send(1));
					else reject(error);
				});
				// The deadline covers the answer's body too: the listener stays until the socket is done.
				const onAbort = () => request.destroy(new Error('The relay gave up waiting.'));
				if (init.signal.aborted) return onAbort();
				init.signal.addEventListener('abort', onAbort, { once: true });
				request.on('close', () => init.signal.removeEventListener('abort', onAbort));
				request.end(init.body);
			});
		return await send(0);
	};
}

export interface NodeProxyOptions {
	allowedOrigins?: readonly string[];
	/** Serve the relay's own origin and requests without Origin (the local entry). */
	sameOrigin?: boolean;
	/** "" or the mount path, e.g. "/proxy". */
	basePath?: string;
	publicOrigin?: string;
	limits?: Partial<Limits>;
	serverLimits?: Partial<ServerLimits>;
	/** false turns the per-client limit off (tests and the benchmark only). */
	rateLimit?: RateLimitOptions | false;
	/** Where the client address comes from when a trusted front proxy sets it. */
	clientIpHeader?: string;
	log?: (entry: LogEntry) => void;
	/**
	 * Test-only knobs, given explicitly by tests, never read from the environment: extra
	 * allowlist entries, loopback upstreams for allowed hosts, and a resolver.
	 */
	test?: { extraRules?: readonly HostRule[]; loopbackUpstreams?: Readonly<Record<string, string>>; resolve?: Resolver };
}

const SMALL_ANSWER = 256 * 1024;

/** Resolves when the response can take more data, or is closed. */
function writable(res: ServerResponse): Promise<void> {
	return new Promise((resolve) => {
		const done = () => {
			res.off('drain', done);
			res.off('close', done);
			resolve();
		};
		res.on('drain', done);
		res.on('close', done);
	});
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

const defaultLog = (entry: LogEntry) => console.log(`proxy host=${entry.host} status=${entry.status} ms=${entry.ms}`);

export function createNodeProxy(options: NodeProxyOptions = {}): NodeHandler {
	const basePath = (options.basePath ?? '').replace(/\/+$/, '');
	const limiter = options.rateLimit === false ? undefined : createRateLimiter(options.rateLimit ?? DEFAULT_RATE_LIMIT);
	const handler = createProxyHandler({
		rules: [...PRODUCTION_RULES, ...(options.test?.extraRules ?? [])],
		upstream: nodeUpstream({
			resolve: options.test?.resolve,
			loopbackUpstreams: options.test?.loopbackUpstreams
		}),
		allowedOrigins: options.allowedOrigins ?? [],
		sameOrigin: options.sameOrigin,
		basePath,
		publicOrigin: options.publicOrigin,
		limits: options.limits,
		serverLimits: options.serverLimits,
		rateLimit: limiter,
		log: options.log ?? defaultLog
	});
	const ipHeader = options.clientIpHeader?.toLowerCase();

	const answer = (res: ServerResponse, status: number, reason: string) => {
		res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
		res.end(JSON.stringify({ error: reason }));
	};

	return async (req, res) => {
		try {
			await serve(req, res);
		} catch {
			// Reached only on malformed input the fetch API itself refuses; nothing about it is logged.
			if (!res.headersSent) answer(res, 400, 'The request could not be read.');
			else res.destroy();
		}
	};

	async function serve(req: IncomingMessage, res: ServerResponse) {
		const method = req.method ?? 'GET';
		// The fetch API cannot carry these methods at all; refuse them here like any method off the list.
		if (/^(?:CONNECT|TRACE|TRACK)$/i.test(method)) {
			req.resume();
			return answer(res, 403, `The method ${method} is not allowed through this relay.`);
		}
		const hostHeader = req.headers.host ?? '';
		const host = /^[A-Za-z0-9.:[\]-]{1,300}$/.test(hostHeader) ? hostHeader : '127.0.0.1';
		const raw = req.url ?? '/';
		let url: URL;
		try {
			url = new URL(`http://${host}${basePath}/`);
		} catch {
			url = new URL(`http://127.0.0.1${basePath}/`);
		}
		const headers = new Headers();
		try {
			for (const [name, value] of Object.entries(req.headers)) {
				if (value === undefined || name.startsWith(':')) continue;
				headers.set(name, Array.isArray(value) ? value.join(', ') : value);
			}
		} catch {
			return answer(res, 400, 'Malformed request headers.');
		}
		const hasBody = method !== 'GET' && method !== 'HEAD';
		const request = new Request(url, {
			method,
			headers,
			body: hasBody ? (Readable.toWeb(req) as ReadableStream<Uint8Array>) : undefined,
			// @ts-expect-error: Node needs `duplex` for a streamed request body.
			duplex: hasBody ? 'half' : undefined
		});
		let clientKey = req.socket.remoteAddress ?? 'unknown';
		if (ipHeader) {
			const forwarded = req.headers[ipHeader];
			const last = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? '')).split(',').pop()?.trim();
			if (last) clientKey = last;
		}
		const response = await handler(request, { clientKey, rawTarget: raw });
		const outHeaders: Record<string, string> = {};
		for (const [name, value] of response.headers) outHeaders[name] = value;
		if (!response.body) {
			res.writeHead(response.status, outHeaders).end();
			if (hasBody) req.resume();
			return;
		}
		// Most API answers are small: collect up to SMALL_ANSWER bytes, and if the answer ends
		// within that, send it in one write with its headers. Larger answers stream on.
		const reader = response.body.getReader();
		const head: Uint8Array[] = [];
		let size = 0;
		// A person's server's journal may stream for a while: its answers go out as they come.
		const streams = raw.startsWith(`${basePath}/server/`);
		try {
			for (;;) {
				if (size > SMALL_ANSWER || streams) {
					res.writeHead(response.status, outHeaders);
					for (const chunk of head) res.write(chunk);
					for (;;) {
						const { done, value } = await reader.read();
						if (done) break;
						if (!res.write(value)) await writable(res);
						if (res.destroyed) throw new Error('The client went away.');
					}
					res.end();
					return;
				}
				const { done, value } = await reader.read();
				if (done) break;
				head.push(value);
				size += value.byteLength;
			}
		} catch {
			// The answer broke off (too large, too slow, or the provider hung up): so does ours.
			await reader.cancel().catch(() => {});
			res.destroy();
			return;
		}
		res.writeHead(response.status, outHeaders).end(head.length === 1 ? head[0] : Buffer.concat(head));
	}
}

/** `npm run proxy` */
async function main() {
	const host = process.env.HOST ?? '127.0.0.1';
	const port = Number(process.env.PORT ?? 8787);
	const allowedOrigins = parseOrigins(
		process.env.PROXY_ALLOWED_ORIGINS ?? 'http://127.0.0.1:4173 http://localhost:4173'
	);
	const handler = createNodeProxy({
		allowedOrigins,
		publicOrigin: process.env.PROXY_PUBLIC_ORIGIN || undefined,
		clientIpHeader: process.env.PROXY_CLIENT_IP_HEADER || undefined
	});
	const server = createServer((req, res) => {
		handler(req, res).catch(() => {
			if (!res.headersSent) res.writeHead(500).end();
			else res.destroy();
		});
	});
	server.listen(port, host, () => {
		const bound = (server.address() as AddressInfo).port;
		console.log(`nassella relay listening on http://${host.includes(':') ? `[${host}]` : host}:${bound}/`);
		console.log(`Serving the app at: ${allowedOrigins.join(', ') || '(no origin: set PROXY_ALLOWED_ORIGINS)'}`);
	});
	const stop = () => server.close(() => process.exit(0));
	process.on('SIGINT', stop);
	process.on('SIGTERM', stop);
}

if (import.meta.main) await main();
