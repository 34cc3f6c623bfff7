/**
 * The download mirror of the stand-in internet (mirror.nassella.test, see PLAN.md): a static
 * HTTPS file server for one folder (the Docker Compose sysext image, the age tarball), with a
 * certificate from the test CA, a log of requests, and faults on demand for a path or for all
 * ("*"): `not-found` (404), `server-error` (500), `wrong-bytes` (200, the right length, other
 * bytes), `truncated` (200, half the bytes, then the connection ends), `hang` (never answers).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { issueCert, type Ca } from '../lib/ca.ts';
import { Recorder, startNodeChild } from './proc.ts';
import type { MirrorFault } from './servers/mirror-server.ts';

export type { MirrorFault };
export const MIRROR_NAMES = ['mirror.nassella.test'];

export interface MirrorRequest {
	method: string;
	path: string;
	/** 0 for a request left unanswered (`hang`). */
	status: number;
	bytes: number;
	fault: MirrorFault | null;
}

export interface Mirror {
	port: number;
	requests: MirrorRequest[];
	waitFor(pred: (r: MirrorRequest) => boolean, timeoutMs?: number): Promise<MirrorRequest>;
	/** Sets (or with null clears) the fault for a path such as `/age/age-v1.2.1-linux-amd64.tar.gz`, or "*". */
	fault(path: string, kind: MirrorFault | null): Promise<void>;
	/** Serves `file` at `/<name>` (default: its own name) through a link in the folder; returns the path. */
	addFile(file: string, name?: string): string;
	log(): string;
	stop(): Promise<void>;
}

export async function startMirror(opts: { ca: Ca; dir: string; names?: string[]; workDir?: string }): Promise<Mirror> {
	const names = opts.names ?? MIRROR_NAMES;
	const own = opts.workDir ? undefined : mkdtempSync(join(tmpdir(), 'nassella-mirror-'));
	const certDir = opts.workDir ? join(opts.workDir, 'mirror-tls') : own!;
	const tls = issueCert(opts.ca, certDir, 'mirror', names, ['127.0.0.1']);
	const dir = resolve(opts.dir);
	mkdirSync(dir, { recursive: true });
	const rec = new Recorder<MirrorRequest>();
	const { child, ready } = await startNodeChild<{ port: number }, MirrorRequest>(
		join(import.meta.dirname, 'servers/mirror-server.ts'),
		{ cert: tls.cert, key: tls.key, dir },
		(e) => rec.push(e),
		{ logFile: join(certDir, 'mirror.log') }
	);
	return {
		port: ready.port,
		requests: rec.items,
		waitFor: (pred, timeoutMs = 60_000) => rec.waitFor(pred, timeoutMs, `a request to ${names.join(', ')}`),
		fault: (path, kind) => child.send({ fault: { path, kind } }),
		addFile(file: string, name = basename(file)) {
			if (!/^[A-Za-z0-9._-]+$/.test(name) || name.startsWith('.')) throw new Error(`not a plain file name: ${name}`);
			const link = join(dir, name);
			rmSync(link, { force: true });
			symlinkSync(resolve(file), link);
			return `/${name}`;
		},
		log: child.log,
		async stop() {
			await child.stop();
			if (own) rmSync(own, { recursive: true, force: true });
		}
	};
}
