/** Loopback servers for the relay tests: a recording upstream and the Node relay in front of it. */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createNodeProxy, type NodeProxyOptions } from '../../workers/proxy/node.ts';
import type { LogEntry } from '../../workers/proxy/handler.ts';

export interface Recorded {
	method: string;
	url: string;
	headers: IncomingMessage['headers'];
	body: Buffer;
}

export interface Running {
	url: string;
	port: number;
	close(): Promise<void>;
}

async function listen(server: Server): Promise<Running> {
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return {
		url: `http://127.0.0.1:${port}`,
		port,
		close: () =>
			new Promise((resolve) => {
				server.closeAllConnections();
				server.close(() => resolve());
			})
	};
}

export type UpstreamHandler = (req: Recorded, res: ServerResponse) => void | Promise<void>;

/** An upstream on loopback that records every request it gets. */
export async function startUpstream(handle: UpstreamHandler): Promise<Running & { requests: Recorded[] }> {
	const requests: Recorded[] = [];
	const server = createServer(async (req, res) => {
		const chunks: Buffer[] = [];
		for await (const c of req) chunks.push(c as Buffer);
		const recorded = {
			method: req.method ?? '',
			url: req.url ?? '',
			headers: req.headers,
			body: Buffer.concat(chunks)
		};
		requests.push(recorded);
		await handle(recorded, res);
	});
	return { ...(await listen(server)), requests };
}

/** The Node relay on loopback, with its log captured. */
export async function startRelay(options: NodeProxyOptions): Promise<Running & { logs: LogEntry[] }> {
	const logs: LogEntry[] = [];
	const handler = createNodeProxy({ log: (e) => logs.push(e), ...options });
	const server = createServer((req, res) => void handler(req, res));
	return { ...(await listen(server)), logs };
}

export interface RawAnswer {
	status: number;
	headers: IncomingMessage['headers'];
	body: string;
}

/**
 * Sends a request with the target exactly as written (fetch and URL would normalize
 * dots, backslashes and case before the relay could see them).
 */
export function raw(
	port: number,
	method: string,
	target: string,
	headers: Record<string, string> = {},
	body?: Buffer | string
): Promise<RawAnswer> {
	return new Promise((resolve, reject) => {
		const req = request({ host: '127.0.0.1', port, method, path: target, headers }, (res) => {
			const chunks: Buffer[] = [];
			res.on('data', (c: Buffer) => chunks.push(c));
			res.on('end', () =>
				resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() })
			);
			res.on('error', reject);
		});
		req.on('error', reject);
		req.end(body);
	});
}

export const APP = 'https://app.nassella.example';
