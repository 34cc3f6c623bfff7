/** The HTTP side of http-backend.ts, in its own thread: runs `git http-backend` as CGI. */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

const { root, token } = workerData as { root: string; token?: string };
const options = { token };

const server: Server = createServer((req, res) => {
	const url = new URL(req.url ?? '/', 'http://local');
	if (!url.pathname.startsWith('/git/')) return void res.writeHead(404).end();
	if (options.token) {
		const expected = 'Basic ' + Buffer.from(`nassella:${options.token}`).toString('base64');
		if (req.headers.authorization !== expected) {
			res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"' }).end();
			return;
		}
	}
	parentPort?.postMessage({ request: `${req.method} ${url.pathname.replace(/^.*\.git/, '')}${url.search}` });
	const child = spawn('git', ['http-backend'], {
		env: {
			PATH: process.env.PATH ?? '/usr/bin:/bin',
			HOME: root,
			GIT_CONFIG_NOSYSTEM: '1',
			GIT_PROJECT_ROOT: root,
			GIT_HTTP_EXPORT_ALL: '1',
			REMOTE_USER: 'nassella',
			REQUEST_METHOD: req.method ?? 'GET',
			PATH_INFO: decodeURIComponent(url.pathname.slice('/git'.length)),
			QUERY_STRING: url.search.slice(1),
			CONTENT_TYPE: req.headers['content-type'] ?? '',
			...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
			// Protocol v2 exists only for fetching; git http-backend would drop the v0
			// service header of a push advertisement if it saw the v2 request here.
			...(req.headers['git-protocol'] && !url.search.includes('receive-pack') && !url.pathname.endsWith('receive-pack')
				? { GIT_PROTOCOL: String(req.headers['git-protocol']) }
				: {})
		},
		stdio: ['pipe', 'pipe', 'ignore']
	});
	req.pipe(child.stdin);
	let head = Buffer.alloc(0);
	let headersDone = false;
	child.stdout.on('data', (chunk: Buffer) => {
		if (headersDone) return void res.write(chunk);
		head = Buffer.concat([head, chunk]);
		let end = head.indexOf('\r\n\r\n');
		let sep = 4;
		if (end < 0) {
			end = head.indexOf('\n\n');
			sep = 2;
		}
		if (end < 0) return;
		headersDone = true;
		let status = 200;
		const headers: Record<string, string> = {};
		for (const line of head.subarray(0, end).toString('latin1').split(/\r?\n/)) {
			const at = line.indexOf(':');
			const name = line.slice(0, at).trim();
			const value = line.slice(at + 1).trim();
			if (name.toLowerCase() === 'status') status = parseInt(value, 10);
			else headers[name] = value;
		}
		res.writeHead(status, headers);
		res.write(head.subarray(end + sep));
	});
	child.stdout.on('end', () => {
		if (!headersDone) res.writeHead(502);
		res.end();
	});
	child.on('error', () => res.destroy());
});
server.listen(0, '127.0.0.1', () => {
	parentPort?.postMessage({ port: (server.address() as AddressInfo).port });
});
parentPort?.on('message', (message) => {
	if (message !== 'close') return;
	server.closeAllConnections();
	server.close(() => process.exit(0));
});
