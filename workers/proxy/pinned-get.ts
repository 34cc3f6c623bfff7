/**
 * One HTTPS GET to an address the Workers entry has already checked, over a Workers TCP
 * socket (`connect()` from `cloudflare:sockets`) upgraded to TLS for the host name. A
 * Worker's fetch() takes only a name and resolves it again itself, so between the check
 * and the connection a name could change its answer (DNS rebinding); here the connection
 * goes to exactly the checked address, and TLS still verifies the certificate against
 * the host name: what the Node entry does with its pinned lookup.
 *
 * Only what the `server` route needs: GET without a body, HTTP/1.1 with
 * `Connection: close` and no content coding, an answer framed by `Transfer-Encoding:
 * chunked`, `Content-Length` or the end of the connection, and streamed as it comes (the
 * journal's follow mode). No imports: the socket is passed in, so the Worker bundle needs
 * nothing more and the tests can hand in a socket of their own.
 */

/** The part of a Workers `Socket` used here. */
export interface PinnedSocket {
	readonly readable: ReadableStream<Uint8Array>;
	readonly writable: WritableStream<Uint8Array>;
	readonly opened: Promise<unknown>;
	readonly closed: Promise<void>;
	close(): Promise<void>;
	startTls(options: { expectedServerHostname: string }): PinnedSocket;
}

/** `connect()` from `cloudflare:sockets`, as used here. */
export type Connect = (
	address: { hostname: string; port: number },
	options: { secureTransport: 'starttls' }
) => PinnedSocket;

export interface PinnedGetInit {
	method: string;
	headers: Headers;
	signal: AbortSignal;
}

const MAX_HEAD = 32 * 1024;
const MAX_LINE = 1024;
const MAX_TRAILERS = 32;
const MAX_INTERIM = 8;
const PIECE = 64 * 1024;
const CRLF = Uint8Array.of(13, 10);
const CRLFCRLF = Uint8Array.of(13, 10, 13, 10);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const OWN_HEADERS = ['host', 'connection', 'accept-encoding', 'content-length', 'transfer-encoding'];

class AnswerError extends Error {}
const closedEarly = () => new AnswerError('The connection closed before the answer was complete.');

/**
 * Sends `GET url` to `address` (an IPv4 or IPv6 literal that has passed isPublicAddress),
 * port 443, with TLS for `url.hostname`, and resolves to the answer as a Response whose
 * body streams from the socket. Rejects when the answer is not well-formed HTTP/1.1.
 */
export async function pinnedGet(connect: Connect, address: string, url: URL, init: PinnedGetInit): Promise<Response> {
	if (init.method !== 'GET') throw new Error('Only GET goes to a pinned address.');
	if (url.protocol !== 'https:' || url.port !== '' || url.username !== '' || url.password !== '')
		throw new Error('Only plain https addresses go to a pinned address.');
	const target = url.pathname + url.search;
	if (!/^\/[\x21-\x7e]*$/.test(target)) throw new Error('The path cannot be sent as is.');
	const lines = [`GET ${target} HTTP/1.1`, `host: ${url.host}`];
	for (const [name, value] of init.headers) {
		if (!TOKEN.test(name) || OWN_HEADERS.includes(name) || !/^[\t\x20-\x7e]*$/.test(value))
			throw new Error('A header cannot be sent as is.');
		lines.push(`${name}: ${value}`);
	}
	lines.push('accept-encoding: identity', 'connection: close', '', '');
	const request = Uint8Array.from(lines.join('\r\n'), (c) => c.charCodeAt(0));

	init.signal.throwIfAborted();
	const plain = connect(
		{ hostname: address.includes(':') ? `[${address}]` : address, port: 443 },
		{ secureTransport: 'starttls' }
	);
	const socket = plain.startTls({ expectedServerHostname: url.hostname });
	for (const s of [plain, socket]) {
		s.opened.catch(() => {});
		s.closed.catch(() => {});
	}
	const input = new Input(socket.readable.getReader());
	let finished = false;
	const finish = () => {
		if (finished) return;
		finished = true;
		init.signal.removeEventListener('abort', finish);
		input.cancel();
		socket.close().catch(() => {});
	};
	init.signal.addEventListener('abort', finish, { once: true });

	try {
		const writer = socket.writable.getWriter();
		await writer.write(request);
		// The writing side stays open: a server may take a closed one for a client gone away.
		writer.releaseLock();
		let head = parseHead(await input.until(CRLFCRLF, MAX_HEAD));
		for (let interim = 0; head.status < 200; interim++) {
			// 1xx answers (103 Early Hints) come before the real one; 101 was never asked for.
			if (head.status === 101) throw new AnswerError('The server switched protocols.');
			if (interim === MAX_INTERIM) throw new AnswerError('The server sent too many interim answers.');
			head = parseHead(await input.until(CRLFCRLF, MAX_HEAD));
		}
		const body = bodyOf(head, input, init.signal, finish);
		if (body === null) finish();
		return new Response(body, { status: head.status, headers: head.headers });
	} catch (error) {
		finish();
		throw error;
	}
}

interface Head {
	status: number;
	headers: Headers;
}

function latin1(bytes: Uint8Array): string {
	let text = '';
	for (const b of bytes) text += String.fromCharCode(b);
	return text;
}

function parseHead(bytes: Uint8Array): Head {
	const [statusLine = '', ...fields] = latin1(bytes).split('\r\n');
	const status = /^HTTP\/1\.[01] ([1-5][0-9]{2})(?: [^\r\n\0]*)?$/.exec(statusLine);
	if (!status) throw new AnswerError('The server did not answer in HTTP/1.1.');
	const headers = new Headers();
	for (const field of fields) {
		// No obsolete line folding, no space before the colon, nothing but a token for a name.
		const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+):[\t ]*([^\r\n\0]*?)[\t ]*$/.exec(field);
		if (!m) throw new AnswerError('The server answered with a malformed header.');
		headers.append(m[1]!, m[2]!);
	}
	return { status: Number(status[1]), headers };
}

/** The answer's body as a stream (null when it has none), read from the socket as it is pulled. */
function bodyOf(head: Head, input: Input, signal: AbortSignal, finish: () => void): ReadableStream<Uint8Array> | null {
	const { status, headers } = head;
	if (status === 204 || status === 304) return null;
	const coding = headers.get('content-encoding');
	if (coding !== null && coding.trim().toLowerCase() !== 'identity')
		throw new AnswerError('The server encoded its answer although asked not to.');
	const transfer = headers.get('transfer-encoding');
	const length = headers.get('content-length');
	let next: () => Promise<Uint8Array | undefined>;
	if (transfer !== null) {
		if (transfer.trim().toLowerCase() !== 'chunked')
			throw new AnswerError('The server answered with a transfer coding other than chunked.');
		// Chunked framing wins over a length, which then says nothing about the body.
		headers.delete('content-length');
		next = chunked(input);
	} else if (length !== null) {
		if (!/^[0-9]{1,15}$/.test(length)) throw new AnswerError('The server answered with a malformed length.');
		let left = Number(length);
		next = async () => {
			if (left === 0) return undefined;
			const piece = await input.some(Math.min(left, PIECE));
			if (!piece) throw closedEarly();
			left -= piece.length;
			return piece;
		};
	} else next = () => input.some(PIECE);
	headers.delete('transfer-encoding');
	headers.delete('connection');

	return new ReadableStream<Uint8Array>({
		async pull(controller) {
			try {
				const piece = await next();
				// Cut off by the relay's deadline: an error, not a body that ended early.
				if (signal.aborted) throw new AnswerError('The relay gave up waiting.');
				if (piece === undefined) {
					finish();
					controller.close();
				} else controller.enqueue(piece);
			} catch (error) {
				finish();
				controller.error(error);
			}
		},
		cancel: finish
	});
}

/** Reads a chunked body: each call gives the next piece of data, undefined after the last chunk. */
function chunked(input: Input): () => Promise<Uint8Array | undefined> {
	let left = 0;
	let afterData = false;
	let ended = false;
	return async () => {
		if (ended) return undefined;
		if (left === 0) {
			if (afterData && (await input.until(CRLF, 1)).length !== 0)
				throw new AnswerError('The server answered with a malformed chunk.');
			afterData = false;
			const size = /^([0-9A-Fa-f]{1,8})(?:[\t ]*;[^\r\n]*)?$/.exec(latin1(await input.until(CRLF, MAX_LINE)));
			if (!size) throw new AnswerError('The server answered with a malformed chunk.');
			left = parseInt(size[1]!, 16);
			if (left === 0) {
				// Trailer fields up to the empty line, passed on to nobody.
				for (let n = 0; (await input.until(CRLF, MAX_LINE)).length > 0; n++)
					if (n === MAX_TRAILERS) throw new AnswerError('The server answered with too many trailers.');
				ended = true;
				return undefined;
			}
		}
		const piece = await input.some(Math.min(left, PIECE));
		if (!piece) throw closedEarly();
		left -= piece.length;
		afterData = left === 0;
		return piece;
	};
}

function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number): number {
	outer: for (let i = from; i + needle.length <= haystack.length; i++) {
		for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
		return i;
	}
	return -1;
}

/** The socket's readable side, with what has been read but not yet taken. */
class Input {
	// What has been read and not taken is store[start, end); the store grows by doubling.
	private store = new Uint8Array(0);
	private start = 0;
	private end = 0;
	private ended = false;
	private readonly reader: ReadableStreamDefaultReader<Uint8Array>;

	constructor(reader: ReadableStreamDefaultReader<Uint8Array>) {
		this.reader = reader;
	}

	/** The next piece from the socket; undefined at its end. */
	private async read(): Promise<Uint8Array | undefined> {
		if (this.ended) return undefined;
		const { done, value } = await this.reader.read();
		if (done) this.ended = true;
		return done ? undefined : value;
	}

	private keep(piece: Uint8Array): void {
		const held = this.end - this.start;
		if (this.end + piece.length > this.store.length) {
			const store =
				held + piece.length > this.store.length
					? new Uint8Array(Math.max(2 * this.store.length, held + piece.length, 4096))
					: this.store;
			store.set(this.store.subarray(this.start, this.end));
			this.store = store;
			this.start = 0;
			this.end = held;
		}
		this.store.set(piece, this.end);
		this.end += piece.length;
	}

	private take(length: number): Uint8Array {
		const taken = this.store.slice(this.start, this.start + length);
		this.start += length;
		return taken;
	}

	/** The bytes before the next `end`, taken with it; an error beyond `max` bytes or at the end. */
	async until(end: Uint8Array, max: number): Promise<Uint8Array> {
		for (let from = this.start; ;) {
			const at = indexOf(this.store.subarray(0, this.end), end, from);
			if (at !== -1) {
				const found = this.take(at - this.start);
				this.start += end.length;
				return found;
			}
			if (this.end - this.start > max) throw new AnswerError('The server answered with too long a line.');
			from = Math.max(this.start, this.end - end.length + 1) - this.start;
			const piece = await this.read();
			if (!piece) throw closedEarly();
			this.keep(piece);
			from += this.start;
		}
	}

	/** Up to `max` bytes as soon as there are any; undefined at the end. */
	async some(max: number): Promise<Uint8Array | undefined> {
		while (this.start === this.end) {
			const piece = await this.read();
			if (!piece) return undefined;
			if (piece.length > 0 && piece.length <= max) return piece;
			this.keep(piece);
		}
		return this.take(Math.min(max, this.end - this.start));
	}

	cancel(): void {
		this.reader.cancel().catch(() => {});
	}
}
