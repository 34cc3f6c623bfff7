/**
 * Child process of net/s3.ts: s3rver (@20minutes/s3rver, a maintained fork of s3rver) over TLS.
 * Every request must carry an AWS SigV4 signature by the one access key, checked here before
 * s3rver sees it (./sigv4.ts): s3rver lets unsigned requests through, takes only its own
 * S3RVER key, and rebuilds the signed path wrongly for `/bucket/?location` (which restic asks
 * first). s3rver knows the key id only, with its own signature check off.
 * Options (argv[2], JSON): { port, directory, cert, key, accessKeyId, secretAccessKey, buckets }.
 * Prints {"ready": {port}}, then one event per answered request.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { createRequire } from 'node:module';
import { childMain, emitEvent } from '../proc.ts';
import { checkSigV4 } from './sigv4.ts';

interface Options {
	port: number;
	directory: string;
	cert: string;
	key: string;
	accessKeyId: string;
	secretAccessKey: string;
	buckets: string[];
}

const require = createRequire(import.meta.url);

async function start(o: Options) {
	const S3rver = require('@20minutes/s3rver');
	const AWSAccount = require('@20minutes/s3rver/lib/models/account.js');
	AWSAccount.DUMMY_ACCOUNT.revokeAccessKey('S3RVER');
	AWSAccount.DUMMY_ACCOUNT.createKeyPair(o.accessKeyId, o.secretAccessKey);
	const s3 = new S3rver({
		directory: o.directory,
		silent: true,
		// s3.<region>.backblazeb2.com is the service, <bucket>.s3.<region>.backblazeb2.com a bucket.
		serviceEndpoint: 'backblazeb2.com',
		vhostBuckets: false,
		allowMismatchedSignatures: true, // checked by checkSigV4 first
		configureBuckets: o.buckets.map((name) => ({ name }))
	});
	await s3.configureBuckets();
	const handle = s3.callback();
	const server = createServer({ cert: readFileSync(o.cert), key: readFileSync(o.key) }, (req, res) => {
		res.on('close', () =>
			emitEvent({ method: req.method, path: req.url, host: req.headers.host, status: res.statusCode })
		);
		const check = checkSigV4(req, o);
		if (!check.ok) {
			res.writeHead(check.status, { 'Content-Type': 'application/xml' });
			res.end(
				`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${check.code}</Code><Message>${check.message}</Message></Error>`
			);
			req.resume();
			return;
		}
		handle(req, res);
	});
	const port = await new Promise<number>((resolve, reject) => {
		server.once('error', reject);
		server.listen(o.port, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
	});
	return { port };
}

if (import.meta.main) childMain(start as (o: never) => Promise<unknown>);
