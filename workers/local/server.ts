/**
 * The local entry's HTTP server: the static build with the same security headers a
 * real host should send, plus handlers mounted under path prefixes (the CORS proxy,
 * the sandbox providers). Listens on loopback only.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { BASE_HEADERS, cspFromHtml } from './headers.ts';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface Mount {
	/** Path prefix, starting and ending with "/". */
	prefix: string;
	handler: Handler;
}

const TYPES: Record<string, string> = {
	'.html': 'text/html; charset=utf-8',
	'.js': 'text/javascript; charset=utf-8',
	'.css': 'text/css; charset=utf-8',
	'.json': 'application/json',
	'.webmanifest': 'application/manifest+json',
	'.svg': 'image/svg+xml',
	'.png': 'image/png',
	'.wasm': 'application/wasm',
	'.txt': 'text/plain; charset=utf-8',
	'.woff2': 'font/woff2'
};

export interface LocalServerOptions {
	root: string;
	mounts?: Mount[];
}

export function createLocalServer({ root, mounts = [] }: LocalServerOptions): Server {
	const rootDir = normalize(root) + sep;
	let shell: { body: Buffer; csp: string } | undefined;

	async function loadShell() {
		if (!shell) {
			const body = await readFile(join(rootDir, 'index.html'));
			const csp = cspFromHtml(body.toString('utf8'));
			if (!csp) throw new Error('The built index.html has no Content-Security-Policy.');
			shell = { body, csp };
		}
		return shell;
	}

	return createServer(async (req, res) => {
		try {
			const url = new URL(req.url ?? '/', 'http://local');
			const mount = mounts.find((m) => url.pathname.startsWith(m.prefix));
			if (mount) return await mount.handler(req, res);
			if (req.method !== 'GET' && req.method !== 'HEAD') {
				res.writeHead(405, { Allow: 'GET, HEAD' }).end();
				return;
			}
			const { csp } = await loadShell();
			const headers: Record<string, string> = { ...BASE_HEADERS, 'Content-Security-Policy': csp };
			// Plain http on loopback: HSTS would only confuse the browser here.
			delete headers['Strict-Transport-Security'];
			const file = normalize(join(rootDir, decodeURIComponent(url.pathname)));
			if (file.startsWith(rootDir)) {
				const info = await stat(file).catch(() => undefined);
				if (info?.isFile()) {
					const type = TYPES[extname(file)] ?? 'application/octet-stream';
					const immutable = url.pathname.startsWith('/_app/immutable/');
					res.writeHead(200, {
						...headers,
						'Content-Type': type,
						'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache'
					});
					res.end(req.method === 'HEAD' ? undefined : await readFile(file));
					return;
				}
			}
			// Unknown paths without an extension are app routes: serve the shell.
			if (extname(url.pathname) === '') {
				const { body } = await loadShell();
				res.writeHead(200, { ...headers, 'Content-Type': TYPES['.html']!, 'Cache-Control': 'no-cache' });
				res.end(req.method === 'HEAD' ? undefined : body);
				return;
			}
			res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found');
		} catch (error) {
			console.error('local server:', error instanceof Error ? error.message : 'unexpected error');
			if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'text/plain; charset=utf-8' });
			res.end('Internal error');
		}
	});
}
