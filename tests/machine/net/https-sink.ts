/**
 * A recording HTTPS server: the stand-in for ntfy.sh (see PLAN.md), or any service that is
 * only told things. Certificate from the test CA for the given names (and 127.0.0.1).
 * Answers 200 with a small JSON body unless told otherwise (`respond`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { issueCert, type Ca } from '../lib/ca.ts';
import { Recorder, startNodeChild } from './proc.ts';

export interface SinkRequest {
	method: string;
	path: string;
	headers: Record<string, string | string[] | undefined>;
	body: string;
}

export interface Sink {
	port: number;
	/** Every request received, in order. */
	requests: SinkRequest[];
	/** The first request (already received or still to come) that `pred` accepts. */
	waitFor(pred: (r: SinkRequest) => boolean, timeoutMs?: number): Promise<SinkRequest>;
	/** How to answer from now on (e.g. `{ status: 503 }` for a service that is down). */
	respond(answer: { status?: number; body?: string; contentType?: string }): Promise<void>;
	log(): string;
	stop(): Promise<void>;
}

export async function startSink(opts: { ca: Ca; names: string[]; workDir?: string }): Promise<Sink> {
	const own = opts.workDir ? undefined : mkdtempSync(join(tmpdir(), 'nassella-sink-'));
	const dir = opts.workDir ? join(opts.workDir, `sink-${opts.names[0] ?? 'x'}`) : own!;
	const tls = issueCert(opts.ca, dir, 'sink', opts.names, ['127.0.0.1']);
	const rec = new Recorder<SinkRequest>();
	const { child, ready } = await startNodeChild<{ port: number }, SinkRequest>(
		join(import.meta.dirname, 'servers/sink-server.ts'),
		{ cert: tls.cert, key: tls.key },
		(e) => rec.push(e),
		{ logFile: join(dir, 'sink.log') }
	);
	return {
		port: ready.port,
		requests: rec.items,
		waitFor: (pred, timeoutMs = 60_000) => rec.waitFor(pred, timeoutMs, `a request to ${opts.names.join(', ')}`),
		respond: (answer) => child.send({ respond: answer }),
		log: child.log,
		async stop() {
			await child.stop();
			if (own) rmSync(own, { recursive: true, force: true });
		}
	};
}
