/**
 * Child process of net/mirror.ts: a static HTTPS file server for one folder (GET and HEAD),
 * with faults on demand. Options (argv[2], JSON): { cert, key, dir }. Prints {"ready": {port}},
 * then {"event": {method, path, status, bytes, fault}} per request. Command:
 * {"fault": {path, kind}} (kind null clears it; path "*" is every path).
 */
import { createReadStream, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:https';
import { join, normalize, sep } from 'node:path';
import { childMain, emitEvent } from '../proc.ts';

export type MirrorFault = 'not-found' | 'server-error' | 'wrong-bytes' | 'truncated' | 'hang';

const faults = new Map<string, MirrorFault>();

async function start(o: { cert: string; key: string; dir: string }) {
	const server = createServer({ cert: readFileSync(o.cert), key: readFileSync(o.key) }, (req, res) => {
		const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
		const fault = faults.get(path) ?? faults.get('*');
		const done = (status: number, bytes = 0) =>
			emitEvent({ method: req.method, path: req.url, status, bytes, fault: fault ?? null });
		if (fault === 'hang') {
			done(0);
			return; // never answered
		}
		if (req.method !== 'GET' && req.method !== 'HEAD') {
			res.writeHead(405, { Allow: 'GET, HEAD' }).end();
			done(405);
			return;
		}
		if (fault === 'server-error') {
			res.writeHead(500, { 'Content-Type': 'text/plain' }).end('stand-in fault: server error\n');
			done(500);
			return;
		}
		const file = normalize(join(o.dir, path));
		let size = -1;
		try {
			if (file.startsWith(normalize(o.dir) + sep) && statSync(file).isFile()) size = statSync(file).size;
		} catch {
			size = -1;
		}
		if (size < 0 || fault === 'not-found') {
			res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found\n');
			done(404);
			return;
		}
		res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
		if (req.method === 'HEAD') {
			res.end();
			done(200);
			return;
		}
		if (fault === 'wrong-bytes') {
			// As many bytes as the file, not the file's bytes.
			const data = readFileSync(file);
			for (let i = 0; i < data.length; i++) data[i] = data[i]! ^ 0x5a;
			res.end(data);
			done(200, data.length);
		} else if (fault === 'truncated') {
			// Half the file, then the connection ends short of the announced length.
			const data = readFileSync(file).subarray(0, Math.floor(size / 2));
			res.write(data, () => res.destroy());
			done(200, data.length);
		} else {
			createReadStream(file).pipe(res);
			// 'close', not 'finish': a client that has every byte may hang up before the last write is done.
			res.on('close', () => done(200, size));
		}
	});
	const port = await new Promise<number>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
	});
	return { port };
}

if (import.meta.main)
	childMain(
		start as (o: never) => Promise<unknown>,
		((cmd: { fault?: { path: string; kind: MirrorFault | null } }) => {
			if (cmd.fault) {
				if (cmd.fault.kind) faults.set(cmd.fault.path, cmd.fault.kind);
				else faults.delete(cmd.fault.path);
			}
		}) as (cmd: never) => void
	);
