/**
 * The Workers entry's GET to a checked address (pinned-get.ts) against a stand-in socket
 * that records where it was opened and what was written, and answers with the bytes a
 * test gives it, in whatever pieces the test cuts them.
 */
import { describe, expect, it } from 'vitest';
import { pinnedGet, type Connect, type PinnedSocket } from './pinned-get.ts';

const HOST = 'admin.family-example.org';
const URL_STATUS = new URL(`https://${HOST}/status.json`);
const AUTH = `Basic ${btoa('admin:admin-pass-3f9a1c')}`;

type Reply = (send: (text: string) => void, end: () => void) => void | Promise<void>;

interface Seen {
	address?: { hostname: string; port: number };
	options?: { secureTransport: string };
	tlsName?: string;
	request: string;
	closed: boolean;
}

const bytes = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

/** A socket that answers with `reply` once the request's head has been written. */
function standIn(reply: Reply): { connect: Connect; seen: Seen } {
	const seen: Seen = { request: '', closed: false };
	const connect: Connect = (address, options) => {
		seen.address = address;
		seen.options = options;
		let controller!: ReadableStreamDefaultController<Uint8Array>;
		const end = () => {
			try {
				controller.close();
			} catch {
				// Already closed or cancelled.
			}
		};
		const readable = new ReadableStream<Uint8Array>({
			start: (c) => void (controller = c),
			cancel: () => void (seen.closed = true)
		});
		let answered = false;
		const writable = new WritableStream<Uint8Array>({
			write(chunk) {
				seen.request += String.fromCharCode(...chunk);
				if (!answered && seen.request.includes('\r\n\r\n')) {
					answered = true;
					void reply((text) => controller.enqueue(bytes(text)), end);
				}
			}
		});
		const socket: PinnedSocket = {
			readable,
			writable,
			opened: Promise.resolve({}),
			closed: Promise.resolve(),
			close: async () => {
				seen.closed = true;
				end();
			},
			startTls: (tls) => {
				seen.tlsName = tls.expectedServerHostname;
				return socket;
			}
		};
		return socket;
	};
	return { connect, seen };
}

/** Answers with `text`, one byte at a time: every boundary a network could cut at. */
const byteByByte =
	(text: string): Reply =>
	(send, end) => {
		for (const c of text) send(c);
		end();
	};

const init = (headers: Record<string, string> = {}, signal = new AbortController().signal) => ({
	method: 'GET',
	headers: new Headers(headers),
	signal
});

describe('pinnedGet', () => {
	it('sends one GET to the checked address, asks TLS for the host name, and reads a sized answer', async () => {
		const { connect, seen } = standIn(
			byteByByte('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 13\r\n\r\n{"version":1}')
		);
		const answer = await pinnedGet(
			connect,
			'95.217.10.20',
			URL_STATUS,
			init({ authorization: AUTH, accept: 'application/json' })
		);
		expect(answer.status).toBe(200);
		expect(answer.headers.get('content-type')).toBe('application/json');
		expect(await answer.text()).toBe('{"version":1}');
		expect(seen.address).toEqual({ hostname: '95.217.10.20', port: 443 });
		expect(seen.options).toEqual({ secureTransport: 'starttls' });
		expect(seen.tlsName).toBe(HOST);
		expect(seen.request).toBe(
			[
				'GET /status.json HTTP/1.1',
				`host: ${HOST}`,
				'accept: application/json',
				`authorization: ${AUTH}`,
				'accept-encoding: identity',
				'connection: close',
				'',
				''
			].join('\r\n')
		);
		expect(seen.closed).toBe(true);
	});

	it('puts an IPv6 address in brackets and keeps the query', async () => {
		const { connect, seen } = standIn(byteByByte('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
		const url = new URL(`https://${HOST}/journal/entries?follow&PRIORITY=3`);
		const answer = await pinnedGet(connect, '2a01:4f8:c17:1::5', url, init());
		expect(await answer.text()).toBe('');
		expect(seen.address).toEqual({ hostname: '[2a01:4f8:c17:1::5]', port: 443 });
		expect(seen.request.split('\r\n')[0]).toBe('GET /journal/entries?follow&PRIORITY=3 HTTP/1.1');
	});

	it('reads a chunked answer cut anywhere, with extensions and trailers, and drops a length beside it', async () => {
		const { connect, seen } = standIn(
			byteByByte(
				'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 999\r\n\r\n' +
					'5;name=value\r\nhello\r\n6\r\n world\r\nA\r\n, 10 bytes\r\n0\r\nx-checksum: 1\r\n\r\n'
			)
		);
		const answer = await pinnedGet(connect, '95.217.10.20', URL_STATUS, init());
		expect(answer.headers.get('content-length')).toBeNull();
		expect(answer.headers.get('transfer-encoding')).toBeNull();
		expect(await answer.text()).toBe('hello world, 10 bytes');
		expect(seen.closed).toBe(true);
	});

	it('reads to the end of the connection when the answer gives no length', async () => {
		const { connect } = standIn(byteByByte('HTTP/1.0 200 OK\r\n\r\nall of it'));
		const answer = await pinnedGet(connect, '95.217.10.20', URL_STATUS, init());
		expect(await answer.text()).toBe('all of it');
	});

	it('passes on each piece as it arrives, before the answer ends', async () => {
		let release!: () => void;
		const held = new Promise<void>((r) => (release = r));
		const { connect } = standIn(async (send, end) => {
			send('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n14\r\n{"MESSAGE":"first"}\n\r\n');
			await held;
			send('15\r\n{"MESSAGE":"second"}\n\r\n0\r\n\r\n');
			end();
		});
		const answer = await pinnedGet(connect, '95.217.10.20', URL_STATUS, init());
		const reader = answer.body!.getReader();
		const first = await reader.read();
		expect(new TextDecoder().decode(first.value)).toBe('{"MESSAGE":"first"}\n');
		release();
		const second = await reader.read();
		expect(new TextDecoder().decode(second.value)).toBe('{"MESSAGE":"second"}\n');
		expect((await reader.read()).done).toBe(true);
	});

	it('skips interim answers before the real one, which may have no body', async () => {
		const { connect, seen } = standIn(
			byteByByte('HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n')
		);
		const answer = await pinnedGet(connect, '95.217.10.20', URL_STATUS, init());
		expect(answer.status).toBe(204);
		expect(answer.body).toBeNull();
		expect(seen.closed).toBe(true);
	});

	it.each([
		['another protocol', 'HTTP/2 200\r\n\r\n'],
		['not HTTP', 'ICY 200 OK\r\n\r\n'],
		['a header without a colon', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n'],
		['a folded header', 'HTTP/1.1 200 OK\r\nx-a: 1\r\n folded\r\n\r\n'],
		['a space before the colon', 'HTTP/1.1 200 OK\r\nx-a : 1\r\n\r\n'],
		['a transfer coding besides chunked', 'HTTP/1.1 200 OK\r\ntransfer-encoding: gzip, chunked\r\n\r\n'],
		['a content coding', 'HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: 1\r\n\r\nx'],
		['a negative length', 'HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n'],
		['two lengths', 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 5\r\n\r\nhello'],
		['a protocol switch', 'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n'],
		['a head beyond 32 KiB', `HTTP/1.1 200 OK\r\nx-a: ${'a'.repeat(40 * 1024)}\r\n\r\n`],
		['a head cut off by the end of the connection', 'HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n']
	])('refuses an answer with %s, and closes the socket', async (_why, text) => {
		const { connect, seen } = standIn(byteByByte(text));
		await expect(pinnedGet(connect, '95.217.10.20', URL_STATUS, init())).rejects.toThrow();
		expect(seen.closed).toBe(true);
	});

	it.each([
		['shorter than its length', 'HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello'],
		['with a malformed chunk size', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
		[
			'with chunk data longer than its size',
			'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n'
		],
		['with no last chunk', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n']
	])('errors the body of an answer %s, and closes the socket', async (_why, text) => {
		const { connect, seen } = standIn(byteByByte(text));
		const answer = await pinnedGet(connect, '95.217.10.20', URL_STATUS, init());
		await expect(answer.text()).rejects.toThrow();
		expect(seen.closed).toBe(true);
	});

	it('sends nothing it cannot send as is', async () => {
		const { connect, seen } = standIn(byteByByte('HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n'));
		const post = { ...init(), method: 'POST' };
		await expect(pinnedGet(connect, '95.217.10.20', URL_STATUS, post)).rejects.toThrow(/Only GET/);
		await expect(
			pinnedGet(connect, '95.217.10.20', new URL(`https://${HOST}:8443/status.json`), init())
		).rejects.toThrow(/plain https/);
		await expect(pinnedGet(connect, '95.217.10.20', new URL(`http://${HOST}/status.json`), init())).rejects.toThrow(
			/plain https/
		);
		await expect(pinnedGet(connect, '95.217.10.20', URL_STATUS, init({ accept: 'text/plain; é' }))).rejects.toThrow(
			/header/
		);
		await expect(pinnedGet(connect, '95.217.10.20', URL_STATUS, init({ connection: 'keep-alive' }))).rejects.toThrow(
			/header/
		);
		expect(seen.address).toBeUndefined();
	});

	it('gives up when the deadline passes, before the answer or in the middle of its body', async () => {
		const waiting = new AbortController();
		const silent = standIn(() => {});
		const pending = pinnedGet(silent.connect, '95.217.10.20', URL_STATUS, init({}, waiting.signal));
		await new Promise((r) => setTimeout(r, 20));
		waiting.abort();
		await expect(pending).rejects.toThrow();
		expect(silent.seen.closed).toBe(true);

		const streaming = new AbortController();
		const slow = standIn((send) => send('HTTP/1.1 200 OK\r\n\r\nfirst line\n'));
		const answer = await pinnedGet(slow.connect, '95.217.10.20', URL_STATUS, init({}, streaming.signal));
		const reader = answer.body!.getReader();
		expect(new TextDecoder().decode((await reader.read()).value)).toBe('first line\n');
		streaming.abort();
		// Cut off, not ended: the app must not take a cut-off answer for a whole one.
		await expect(reader.read()).rejects.toThrow(/gave up/);
		expect(slow.seen.closed).toBe(true);
	});
});
