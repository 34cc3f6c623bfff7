/**
 * The S3 service of the stand-in internet (s3.eu-central-003.backblazeb2.com and its
 * subdomains, see PLAN.md): s3rver (npm @20minutes/s3rver, the maintained fork of s3rver) over
 * TLS with a certificate from the test CA, storing objects as files under the work folder,
 * answering only requests signed (AWS SigV4/V2) with the one access key configured. Bucket
 * names come path-style (`s3.<region>.backblazeb2.com/<bucket>/…`, what restic's S3 client uses
 * for hosts other than AWS's) or virtual-host style (`<bucket>.s3.<region>.backblazeb2.com`).
 *
 * Faults: `pause()` stops the server process (SIGSTOP: connections are accepted by the kernel and
 * never answered, as a hung service), `resume()` lets it go on; `stop()` ends it (connections
 * refused), `start()` starts it again on the same port with the same storage.
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { issueCert, type Ca } from '../lib/ca.ts';
import { Recorder, startNodeChild, tail, type NodeChild } from './proc.ts';

export const S3_NAMES = ['s3.eu-central-003.backblazeb2.com', '*.s3.eu-central-003.backblazeb2.com'];

export interface S3Request {
	method: string;
	path: string;
	host: string;
	status: number;
}

export interface S3 {
	port: number;
	/** Every request answered (method, path with query, Host, status), in order. */
	requests: S3Request[];
	/** The first request (already answered or still to come) that `pred` accepts. */
	waitFor(pred: (r: S3Request) => boolean, timeoutMs?: number): Promise<S3Request>;
	/** Objects stored in the bucket, key and size, sorted by key (read from the storage folder). */
	listObjects(bucket: string): { key: string; size: number }[];
	pause(): void;
	resume(): void;
	log(): string;
	/** Ends the server: connections are refused until `start()`. */
	stop(): Promise<void>;
	/** Starts it again on the same port, with the objects stored so far. */
	start(): Promise<void>;
}

const OBJECT_SUFFIX = '._S3rver_object';

export async function startS3(opts: {
	workDir: string;
	ca: Ca;
	accessKeyId: string;
	secretAccessKey: string;
	/** Buckets that exist from the start (restic also makes a missing one on `init`). */
	buckets?: string[];
	/** Extra names for the certificate. */
	names?: string[];
}): Promise<S3> {
	const dir = resolve(opts.workDir, 's3');
	const directory = join(dir, 'data');
	mkdirSync(directory, { recursive: true });
	const tls = issueCert(opts.ca, dir, 's3', [...S3_NAMES, ...(opts.names ?? [])], ['127.0.0.1']);
	const rec = new Recorder<S3Request>();
	let port = 0;
	let child: NodeChild<S3Request> | undefined;
	const launch = async () => {
		const r = await startNodeChild<{ port: number }, S3Request>(
			join(import.meta.dirname, 'servers/s3-server.ts'),
			{
				port,
				directory,
				cert: tls.cert,
				key: tls.key,
				accessKeyId: opts.accessKeyId,
				secretAccessKey: opts.secretAccessKey,
				buckets: opts.buckets ?? []
			},
			(e) => rec.push(e),
			{ logFile: join(dir, 's3rver.log') }
		);
		child = r.child;
		port = r.ready.port;
	};
	await launch();
	const signal = (s: NodeJS.Signals) => {
		if (!child || child.proc.exitCode !== null) throw new Error('the S3 stand-in is not running');
		child.proc.kill(s);
	};
	return {
		port,
		requests: rec.items,
		waitFor: (pred, timeoutMs = 60_000) => rec.waitFor(pred, timeoutMs, 'an S3 request'),
		listObjects(bucket: string) {
			const root = join(directory, bucket);
			const out: { key: string; size: number }[] = [];
			const walk = (d: string) => {
				for (const e of readdirSync(d, { withFileTypes: true })) {
					const p = join(d, e.name);
					if (e.isDirectory()) walk(p);
					else if (e.name.endsWith(OBJECT_SUFFIX))
						out.push({ key: relative(root, p).slice(0, -OBJECT_SUFFIX.length), size: statSync(p).size });
				}
			};
			if (existsSync(root)) walk(root);
			return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
		},
		pause: () => signal('SIGSTOP'),
		resume: () => signal('SIGCONT'),
		log: () => tail(join(dir, 's3rver.log')),
		async stop() {
			await child?.stop();
			child = undefined;
		},
		async start() {
			if (!child) await launch();
		}
	};
}
