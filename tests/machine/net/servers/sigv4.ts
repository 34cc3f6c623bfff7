/**
 * AWS Signature Version 4 check of an S3 request, as the service does it (the only kind
 * Backblaze B2's S3 API takes): the canonical request is rebuilt from the request as received
 * (path and query encoded the S3 way, the signed headers) and signed with the one secret key.
 * Checks the key id, the signature and the clock (15 minutes either way). The payload hash is
 * taken as the client states it (x-amz-content-sha256), not recomputed from the body.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export type SigV4Result = { ok: true } | { ok: false; status: number; code: string; message: string };

/** RFC 3986 encoding: everything but A-Z a-z 0-9 - _ . ~ (and '/' in paths). */
function enc(s: string, keepSlash = false): string {
	let out = '';
	for (const b of Buffer.from(s, 'utf8')) {
		const c = String.fromCharCode(b);
		if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
		else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
	}
	return out;
}

function dec(s: string): string {
	try {
		return decodeURIComponent(s);
	} catch {
		return s;
	}
}

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();
const sha256hex = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');

function parseAmzDate(s: string | undefined): Date | undefined {
	const m = s?.match(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/);
	return m ? new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!)) : undefined;
}

const deny = (status: number, code: string, message: string): SigV4Result => ({ ok: false, status, code, message });

export function checkSigV4(
	req: IncomingMessage,
	keys: { accessKeyId: string; secretAccessKey: string },
	now = new Date()
): SigV4Result {
	const raw = req.url ?? '/';
	const q = raw.indexOf('?');
	const rawPath = q < 0 ? raw : raw.slice(0, q);
	const rawQuery = q < 0 ? '' : raw.slice(q + 1);
	const params = rawQuery
		.split('&')
		.filter(Boolean)
		.map((p) => {
			const i = p.indexOf('=');
			return i < 0 ? [dec(p), ''] : [dec(p.slice(0, i)), dec(p.slice(i + 1).replace(/\+/g, '%20'))];
		}) as [string, string][];
	const param = (name: string) => params.find(([k]) => k === name)?.[1];
	const auth = req.headers.authorization;

	let keyId: string, scope: string[], signedHeaders: string[], signature: string, amzDate: string | undefined;
	let payload: string;
	let presigned = false;
	if (auth) {
		const m = auth.match(
			/^AWS4-HMAC-SHA256\s+Credential=([^,\s]+)\s*,\s*SignedHeaders=([^,\s]+)\s*,\s*Signature=([0-9a-f]{64})\s*$/
		);
		if (!m) {
			if (/^AWS /.test(auth))
				return deny(400, 'InvalidRequest', 'The authorization mechanism you have provided is not supported.');
			return deny(400, 'AuthorizationHeaderMalformed', 'The authorization header is malformed.');
		}
		[keyId, ...scope] = m[1]!.split('/') as [string, ...string[]];
		signedHeaders = m[2]!.split(';');
		signature = m[3]!;
		amzDate = (req.headers['x-amz-date'] as string | undefined) ?? undefined;
		payload = (req.headers['x-amz-content-sha256'] as string | undefined) ?? '';
		if (!payload) return deny(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
	} else if (param('X-Amz-Algorithm') === 'AWS4-HMAC-SHA256') {
		presigned = true;
		[keyId, ...scope] = (param('X-Amz-Credential') ?? '').split('/') as [string, ...string[]];
		signedHeaders = (param('X-Amz-SignedHeaders') ?? '').split(';');
		signature = param('X-Amz-Signature') ?? '';
		amzDate = param('X-Amz-Date');
		payload = 'UNSIGNED-PAYLOAD';
		const expires = Number(param('X-Amz-Expires') ?? '0');
		const at = parseAmzDate(amzDate);
		if (at && now.getTime() > at.getTime() + expires * 1000) return deny(403, 'AccessDenied', 'Request has expired');
	} else if (param('Signature') !== undefined) {
		return deny(400, 'InvalidRequest', 'The authorization mechanism you have provided is not supported.');
	} else return deny(403, 'AccessDenied', 'Access Denied');

	if (keyId !== keys.accessKeyId)
		return deny(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
	if (scope.length !== 4 || scope[3] !== 'aws4_request' || scope[2] !== 's3')
		return deny(400, 'AuthorizationHeaderMalformed', 'The credential scope is malformed.');
	const at = parseAmzDate(amzDate);
	if (!at) return deny(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
	if (!presigned && Math.abs(now.getTime() - at.getTime()) > 15 * 60 * 1000)
		return deny(
			403,
			'RequestTimeTooSkewed',
			'The difference between the request time and the server time is too large.'
		);
	if (amzDate!.slice(0, 8) !== scope[0])
		return deny(403, 'SignatureDoesNotMatch', 'The credential date does not match the request date.');
	if (!signedHeaders.includes('host')) return deny(403, 'SignatureDoesNotMatch', 'The host header must be signed.');

	const canonicalQuery = params
		.filter(([k]) => !(presigned && k === 'X-Amz-Signature'))
		.map(([k, v]) => [enc(k), enc(v)] as const)
		.sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
		.map(([k, v]) => `${k}=${v}`)
		.join('&');
	const headerValue = (h: string) => {
		const v = req.headers[h];
		return (Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ');
	};
	const canonicalHeaders = signedHeaders.map((h) => `${h}:${headerValue(h)}\n`).join('');
	const key = [scope[0]!, scope[1]!, scope[2]!, 'aws4_request'].reduce<Buffer | string>(
		(k, part) => hmac(k, part),
		`AWS4${keys.secretAccessKey}`
	);
	// S3 signs the path encoded once; clients differ in how they send it, so both readings count.
	const paths = new Set([enc(dec(rawPath), true), rawPath]);
	for (const path of paths) {
		const canonical = [req.method, path, canonicalQuery, canonicalHeaders, signedHeaders.join(';'), payload].join('\n');
		const toSign = ['AWS4-HMAC-SHA256', amzDate, scope.join('/'), sha256hex(canonical)].join('\n');
		const expected = createHmac('sha256', key).update(toSign, 'utf8').digest();
		const given = Buffer.from(signature, 'hex');
		if (given.length === expected.length && timingSafeEqual(given, expected)) return { ok: true };
	}
	return deny(
		403,
		'SignatureDoesNotMatch',
		'The request signature we calculated does not match the signature you provided. Check your key and signing method.'
	);
}
