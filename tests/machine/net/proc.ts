/**
 * Processes of the stand-in internet: each server runs in a process of its own, never in the
 * test's own event loop (a test that blocks in spawnSync while the VM talks to a stand-in must
 * not stall it). Every process is started through util-linux's `setpriv --pdeathsig KILL`, so
 * the kernel ends it when the test process goes away however it ends, and is killed on the
 * test process's 'exit' as well. Their output goes to log files, never to a pipe that a busy
 * test would leave unread (a full pipe stops the writer).
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import {
	appendFileSync,
	closeSync,
	existsSync,
	fstatSync,
	mkdtempSync,
	openSync,
	readSync,
	rmSync,
	watch
} from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = join(import.meta.dirname, '../../..');

/** Node 24 (it runs .ts directly): the project's own, whatever node runs the tests. */
export const NODE = existsSync(join(ROOT, 'node_modules/node/bin/node'))
	? join(ROOT, 'node_modules/node/bin/node')
	: process.execPath;

const live = new Set<ChildProcess>();
let logDir: string | undefined;
let logCount = 0;
process.on('exit', () => {
	for (const p of live) {
		try {
			p.kill('SIGKILL');
		} catch {
			// already gone
		}
	}
	if (logDir && !process.env.NASSELLA_MACHINE_KEEP) rmSync(logDir, { recursive: true, force: true });
});

/** A log file for a process started without one: in a folder of this test process, removed at its exit. */
function defaultLogFile(cmd: string): string {
	logDir ??= mkdtempSync(join(tmpdir(), 'nassella-standin-logs-'));
	return join(logDir, `${basename(cmd)}-${++logCount}.log`);
}

/** The last `max` bytes of a file, as text ('' when it cannot be read). */
export function tail(file: string, max = 200_000): string {
	let fd: number | undefined;
	try {
		fd = openSync(file, 'r');
		const size = fstatSync(fd).size;
		const len = Math.min(size, max);
		const buf = Buffer.alloc(len);
		readSync(fd, buf, 0, len, size - len);
		return buf.toString('utf8');
	} catch {
		return '';
	} finally {
		if (fd !== undefined) closeSync(fd);
	}
}

export interface Managed {
	proc: ChildProcess;
	pid: number;
	/** Its log file: what it wrote to stderr (and stdout, unless read as events). */
	logFile: string;
	/** The last 200 kB of the log file. */
	log(): string;
	exited: Promise<number | null>;
	/** SIGTERM, then SIGKILL after `graceMs`; resolves once it is gone. */
	stop(graceMs?: number): Promise<void>;
}

/** Starts a process that dies with the test process. */
export function spawnManaged(
	cmd: string,
	args: string[],
	opts: SpawnOptions & { stdin?: 'pipe' | 'ignore'; onLine?: (line: string) => void; logFile?: string } = {}
): Managed {
	const { stdin = 'ignore', onLine, logFile = defaultLogFile(cmd), ...spawnOpts } = opts;
	// stdout read as lines also goes to a file: a write to a full pipe would stop the process
	// while the test is busy (Node writes to pipes synchronously on Linux).
	const linesFile = onLine ? `${logFile}.out` : undefined;
	const fd = openSync(logFile, 'a');
	const outFd = linesFile ? openSync(linesFile, 'w') : fd;
	let proc: ChildProcess;
	try {
		proc = spawn('setpriv', ['--pdeathsig', 'KILL', '--', cmd, ...args], {
			...spawnOpts,
			stdio: [stdin, outFd, fd]
		});
	} finally {
		closeSync(fd);
		if (outFd !== fd) closeSync(outFd);
	}
	live.add(proc);
	const follower = linesFile && onLine ? followLines(linesFile, onLine) : undefined;
	const exited = new Promise<number | null>((resolve) => {
		proc.once('exit', (code, signal) => {
			live.delete(proc);
			follower?.close();
			resolve(code ?? (signal ? -1 : null));
		});
		proc.once('error', (e) => {
			appendFileSync(logFile, `spawn error: ${e.message}\n`);
			live.delete(proc);
			follower?.close();
			resolve(-1);
		});
	});
	return {
		proc,
		pid: proc.pid ?? -1,
		logFile,
		log: () => tail(logFile),
		exited,
		async stop(graceMs = 5000) {
			if (proc.exitCode !== null || proc.signalCode !== null) return;
			try {
				proc.kill('SIGCONT'); // a paused process cannot act on SIGTERM
				proc.kill('SIGTERM');
			} catch {
				// already gone
			}
			const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
			await exited;
			clearTimeout(timer);
		}
	};
}

/** Calls `onLine` for each line appended to `file` (inotify, and a slow poll besides); `close` reads the rest. */
function followLines(file: string, onLine: (line: string) => void): { close(): void } {
	const fd = openSync(file, 'r');
	let offset = 0;
	let partial = '';
	let closed = false;
	const buf = Buffer.alloc(64 * 1024);
	const read = () => {
		if (closed) return;
		for (;;) {
			const n = readSync(fd, buf, 0, buf.length, offset);
			if (n <= 0) break;
			offset += n;
			partial += buf.subarray(0, n).toString('utf8');
			const lines = partial.split('\n');
			partial = lines.pop()!;
			for (const line of lines) onLine(line);
		}
	};
	const watcher = watch(file, read);
	watcher.unref();
	const poll = setInterval(read, 250);
	poll.unref();
	return {
		close() {
			if (closed) return;
			read();
			closed = true;
			watcher.close();
			clearInterval(poll);
			closeSync(fd);
		}
	};
}

/** A free TCP port on 127.0.0.1 (the kernel's choice; a caller retries if it is taken meanwhile). */
export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const port = (s.address() as { port: number }).port;
			s.close(() => resolve(port));
		});
	});
}

/** Calls `fn` until it returns without throwing, with short growing pauses, up to `timeoutMs`. */
export async function waitUntil<T>(
	what: string,
	fn: () => Promise<T> | T,
	timeoutMs = 60_000,
	context: () => string = () => ''
): Promise<T> {
	const end = Date.now() + timeoutMs;
	let last: unknown;
	let pause = 20;
	for (;;) {
		try {
			return await fn();
		} catch (e) {
			last = e;
		}
		if (Date.now() >= end) break;
		await new Promise((r) => setTimeout(r, pause));
		pause = Math.min(pause * 2, 500);
	}
	throw new Error(`${what}: not within ${timeoutMs / 1000}s: ${(last as Error)?.message ?? last}\n${context()}`);
}

/** Resolves with the first bytes a TCP server on 127.0.0.1:port sends, or rejects. */
export function tcpGreeting(port: number, timeoutMs = 5000): Promise<string> {
	return new Promise((resolve, reject) => {
		const s = connect({ host: '127.0.0.1', port });
		const timer = setTimeout(() => {
			s.destroy();
			reject(new Error('no greeting'));
		}, timeoutMs);
		s.once('data', (d) => {
			clearTimeout(timer);
			s.destroy();
			resolve(String(d));
		});
		s.once('error', (e) => {
			clearTimeout(timer);
			reject(e);
		});
	});
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export function tcpOpen(port: number, timeoutMs = 5000): Promise<void> {
	return new Promise((resolve, reject) => {
		const s = connect({ host: '127.0.0.1', port });
		const timer = setTimeout(() => {
			s.destroy();
			reject(new Error('connect timed out'));
		}, timeoutMs);
		s.once('connect', () => {
			clearTimeout(timer);
			s.destroy();
			resolve();
		});
		s.once('error', (e) => {
			clearTimeout(timer);
			reject(e);
		});
	});
}

export interface NodeChild<E> extends Managed {
	/** Sends a command (one JSON line on the child's stdin); resolves once the child has acted on it. */
	send(cmd: Record<string, unknown>): Promise<void>;
	/** Type marker for the child's events. */
	readonly _events?: E;
}

/**
 * Runs a Node stand-in (`net/servers/*.ts`) in its own process. It talks JSON lines: it prints
 * `{"ready": {...}}` once it listens, then events; it reads commands from stdin and exits when
 * stdin closes. Resolves with the child and its ready message.
 */
export async function startNodeChild<R, E = unknown>(
	script: string,
	options: unknown,
	onEvent: (e: E) => void = () => {},
	opts: { timeoutMs?: number; logFile?: string } = {}
): Promise<{ child: NodeChild<E>; ready: R }> {
	const timeoutMs = opts.timeoutMs ?? 60_000;
	let gotReady: (r: R) => void = () => {};
	const ready = new Promise<R>((r) => (gotReady = r));
	const acks = new Map<number, () => void>();
	let nextId = 1;
	const m = spawnManaged(NODE, [script, JSON.stringify(options)], {
		stdin: 'pipe',
		...(opts.logFile ? { logFile: opts.logFile } : {}),
		onLine(line) {
			if (!line.startsWith('{')) return;
			let msg: { ready?: R; event?: E; ack?: number };
			try {
				msg = JSON.parse(line);
			} catch {
				return;
			}
			if (msg.ready) gotReady(msg.ready);
			else if (msg.ack !== undefined) {
				acks.get(msg.ack)?.();
				acks.delete(msg.ack);
			} else if (msg.event) onEvent(msg.event);
		}
	});
	const child: NodeChild<E> = {
		...m,
		send(cmd: Record<string, unknown>) {
			const id = nextId++;
			return new Promise<void>((resolve, reject) => {
				if (m.proc.exitCode !== null || !m.proc.stdin?.writable) {
					reject(new Error(`${script} is not running`));
					return;
				}
				acks.set(id, resolve);
				m.proc.stdin.write(JSON.stringify({ ...cmd, id }) + '\n');
				m.exited.then(() => {
					if (acks.delete(id)) reject(new Error(`${script} exited before it acted on ${JSON.stringify(cmd)}`));
				});
			});
		},
		async stop(graceMs?: number) {
			m.proc.stdin?.end();
			await m.stop(graceMs);
		}
	};
	let timer: NodeJS.Timeout | undefined;
	const r = await Promise.race([
		ready,
		m.exited.then((code) => {
			throw new Error(`${script} exited (${code}) before it was ready:\n${m.log()}`);
		}),
		new Promise<never>((_, reject) => {
			timer = setTimeout(
				() => reject(new Error(`${script} not ready in ${timeoutMs / 1000}s:\n${m.log()}`)),
				timeoutMs
			);
		})
	]).finally(() => clearTimeout(timer));
	return { child, ready: r };
}

/** For the child side: prints a JSON line and keeps the process alive until stdin closes. */
export function childMain(start: (options: never) => Promise<unknown>, onCommand?: (cmd: never) => void): void {
	const emit = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
	const opts = JSON.parse(process.argv[2] ?? '{}') as never;
	start(opts).then(
		(ready) => emit({ ready: ready ?? {} }),
		(e: Error) => {
			process.stderr.write(`${e.stack ?? e}\n`);
			process.exit(1);
		}
	);
	const rl = createInterface({ input: process.stdin });
	rl.on('line', (line) => {
		if (!line.trim()) return;
		const cmd = JSON.parse(line) as { id?: number };
		onCommand?.(cmd as never);
		emit({ ack: cmd.id });
	});
	rl.on('close', () => process.exit(0));
	process.on('SIGTERM', () => process.exit(0));
}

export function emitEvent(event: unknown): void {
	process.stdout.write(JSON.stringify({ event }) + '\n');
}

/** A list that grows as a stand-in reports, with a wait for an entry that matches. */
export class Recorder<T> {
	readonly items: T[] = [];
	private waiters = new Set<() => void>();

	push(item: T): void {
		this.items.push(item);
		for (const w of [...this.waiters]) w();
	}

	/** The first entry (already there or still to come) for which `pred` holds. */
	waitFor(pred: (item: T) => boolean, timeoutMs = 60_000, what = 'a matching request'): Promise<T> {
		const found = this.items.find(pred);
		if (found !== undefined) return Promise.resolve(found);
		return new Promise<T>((resolve, reject) => {
			let seen = this.items.length;
			const check = () => {
				for (; seen < this.items.length; seen++) {
					if (pred(this.items[seen]!)) {
						this.waiters.delete(check);
						clearTimeout(timer);
						resolve(this.items[seen]!);
						return;
					}
				}
			};
			const timer = setTimeout(() => {
				this.waiters.delete(check);
				reject(new Error(`${what}: none within ${timeoutMs / 1000}s (${this.items.length} seen)`));
			}, timeoutMs);
			this.waiters.add(check);
		});
	}
}
