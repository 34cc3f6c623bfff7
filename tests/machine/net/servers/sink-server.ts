/**
 * Child process of net/https-sink.ts: an HTTPS server that answers every request (by default
 * 200 with a small JSON body, as ntfy does) and reports it. Options (argv[2], JSON):
 * { cert, key }. Prints {"ready": {port}}, then {"event": {method, path, headers, body}} per
 * request. Command: {"respond": {status, body, contentType}} sets the answer from then on.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { childMain, emitEvent } from '../proc.ts';

interface Answer {
	status: number;
	body: string;
	contentType: string;
}

let answer: Answer = {
	status: 200,
	body: '{"id":"standin","event":"message"}\n',
	contentType: 'application/json'
};

async function start(o: { cert: string; key: string }) {
	const server = createServer({ cert: readFileSync(o.cert), key: readFileSync(o.key) }, (req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			emitEvent({
				method: req.method,
				path: req.url,
				headers: req.headers,
				body: Buffer.concat(chunks).toString('utf8')
			});
			res.writeHead(answer.status, { 'Content-Type': answer.contentType });
			res.end(answer.body);
		});
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
		((cmd: { respond?: Partial<Answer> }) => {
			if (cmd.respond) answer = { ...answer, ...cmd.respond };
		}) as (cmd: never) => void
	);
