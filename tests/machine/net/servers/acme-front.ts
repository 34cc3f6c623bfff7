/**
 * Child process of net/acme.ts: the DNS responder pebble validates through (every name is
 * 127.0.0.1) and the TLS front that stands for the public ACME directories in front of pebble.
 * Options (argv[2], JSON): { cert, key, ca, pebblePort }. Prints {"ready": {dnsPort, frontPort}}.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, request } from 'node:https';
import { createServer as createTcpServer, type Server } from 'node:net';
import { childMain, emitEvent } from '../proc.ts';

interface Options {
	cert: string;
	key: string;
	ca: string;
	pebblePort: number;
}

/** The public ACME directory paths, on pebble's own path. */
const DIRECTORY_PATHS = new Set(['/directory', '/v2/DV90']);

/**
 * One DNS answer: the question back, and for an A question (class IN) the address 127.0.0.1.
 * Any other type (AAAA, CAA, TXT…) gets an empty NOERROR answer. Malformed queries: none.
 */
export function dnsAnswer(query: Buffer): { reply: Buffer; name: string; type: number } | undefined {
	if (query.length < 12) return undefined;
	const flags = query.readUInt16BE(2);
	if (flags & 0x8000) return undefined; // a response, not a query
	if (query.readUInt16BE(4) !== 1) return undefined;
	let o = 12;
	const labels: string[] = [];
	for (;;) {
		if (o >= query.length) return undefined;
		const len = query[o]!;
		if (len === 0) {
			o++;
			break;
		}
		if (len & 0xc0 || o + 1 + len > query.length) return undefined;
		labels.push(query.subarray(o + 1, o + 1 + len).toString('latin1'));
		o += 1 + len;
	}
	if (o + 4 > query.length) return undefined;
	const type = query.readUInt16BE(o);
	const cls = query.readUInt16BE(o + 2);
	const question = query.subarray(12, o + 4);
	const isA = type === 1 && cls === 1;
	const header = Buffer.alloc(12);
	header.writeUInt16BE(query.readUInt16BE(0), 0);
	// QR, the query's opcode and RD, AA; RA clear; RCODE 0.
	header.writeUInt16BE(0x8000 | (flags & 0x7800) | 0x0400 | (flags & 0x0100), 2);
	header.writeUInt16BE(1, 4);
	header.writeUInt16BE(isA ? 1 : 0, 6);
	const answer = isA ? Buffer.from([0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 127, 0, 0, 1]) : Buffer.alloc(0);
	return { reply: Buffer.concat([header, question, answer]), name: labels.join('.'), type };
}

async function start(o: Options) {
	// DNS over UDP and TCP on one port number.
	let dnsPort = 0;
	for (let attempt = 0; attempt < 10 && !dnsPort; attempt++) {
		const udp = createSocket('udp4');
		const p = await new Promise<number>((resolve, reject) => {
			udp.once('error', reject);
			udp.bind(0, '127.0.0.1', () => resolve(udp.address().port));
		});
		const tcp: Server = createTcpServer((sock) => {
			let buf = Buffer.alloc(0);
			sock.on('data', (d) => {
				buf = Buffer.concat([buf, d]);
				while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
					const q = buf.subarray(2, 2 + buf.readUInt16BE(0));
					buf = buf.subarray(2 + q.length);
					const a = dnsAnswer(q);
					if (!a) {
						sock.destroy();
						return;
					}
					emitEvent({ dns: a.name, type: a.type, via: 'tcp' });
					const len = Buffer.alloc(2);
					len.writeUInt16BE(a.reply.length);
					sock.write(Buffer.concat([len, a.reply]));
				}
			});
			sock.on('error', () => {});
		});
		const ok = await new Promise<boolean>((resolve) => {
			tcp.once('error', () => resolve(false));
			tcp.listen(p, '127.0.0.1', () => resolve(true));
		});
		if (!ok) {
			udp.close();
			continue;
		}
		udp.on('message', (msg: Buffer, from: RemoteInfo) => {
			const a = dnsAnswer(msg);
			if (!a) return;
			emitEvent({ dns: a.name, type: a.type, via: 'udp' });
			udp.send(a.reply, from.port, from.address);
		});
		dnsPort = p;
	}
	if (!dnsPort) throw new Error('no port for DNS');

	const ca = readFileSync(o.ca);
	const front = createHttpsServer({ cert: readFileSync(o.cert), key: readFileSync(o.key) }, (req, res) => {
		const [path, query] = (req.url ?? '/').split(/\?(.*)/s, 2);
		const target = (DIRECTORY_PATHS.has(path!) ? '/dir' : path!) + (query !== undefined ? `?${query}` : '');
		emitEvent({ method: req.method, path: req.url, host: req.headers.host });
		const up = request(
			{
				host: '127.0.0.1',
				port: o.pebblePort,
				// pebble's own certificate names localhost; without this Node would check the Host header's name.
				servername: 'localhost',
				ca,
				method: req.method,
				path: target,
				// The Host header stays: pebble writes its URLs with it, so they point back here.
				headers: req.headers
			},
			(r) => {
				res.writeHead(r.statusCode ?? 502, r.headers);
				r.pipe(res);
			}
		);
		up.on('error', (e) => {
			if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
			res.end(`pebble: ${e.message}`);
		});
		req.pipe(up);
	});
	const frontPort = await new Promise<number>((resolve, reject) => {
		front.once('error', reject);
		front.listen(0, '127.0.0.1', () => resolve((front.address() as { port: number }).port));
	});
	return { dnsPort, frontPort };
}

if (import.meta.main) childMain(start as (o: never) => Promise<unknown>);
