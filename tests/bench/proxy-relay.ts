/**
 * The relay for the proxy benchmark, in a process of its own as `npm run proxy` runs it.
 * Reads the upstream port from argv, prints the relay's port on stdout.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeProxy } from '../../workers/proxy/node.ts';

const upstreamPort = Number(process.argv[2]);
const handler = createNodeProxy({
	allowedOrigins: ['https://app.nassella.example'],
	rateLimit: false,
	log: () => {},
	test: { loopbackUpstreams: { 'api.hetzner.cloud': `http://127.0.0.1:${upstreamPort}` } }
});
const server = createServer((req, res) => void handler(req, res));
// Longer than any pause between the benchmark's rounds, so idle connections are not closed under it.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(String((server.address() as AddressInfo).port)));
// "cpu" on stdin: print the CPU time used so far (µs); end of stdin: exit.
let line = '';
process.stdin.on('data', (chunk: Buffer) => {
	line += chunk.toString();
	if (line.includes('\n')) {
		line = '';
		const { user, system } = process.cpuUsage();
		console.log(String(user + system));
	}
});
process.stdin.on('end', () => process.exit(0));
