/**
 * The test certificate authority of the stand-in internet: made once with openssl and kept in
 * the machine cache, so the VM image and the container images built from it trust the same root.
 * Server certificates for the stand-in services are issued from it at test time.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export function cacheRoot(): string {
	return process.env.NASSELLA_MACHINE_CACHE ?? join(homedir(), '.cache', 'nassella-machine');
}

export interface Ca {
	dir: string;
	cert: string;
	key: string;
	/** sha256 of the certificate, part of every cache key that bakes it in. */
	hash: string;
}

export function ensureCa(): Ca {
	const dir = join(cacheRoot(), 'ca');
	if (!existsSync(join(dir, 'ca.crt'))) {
		mkdirSync(cacheRoot(), { recursive: true });
		const tmp = mkdtempSync(join(cacheRoot(), 'ca.tmp-'));
		execFileSync(
			'openssl',
			[
				'req',
				'-x509',
				'-newkey',
				'ec',
				'-pkeyopt',
				'ec_paramgen_curve:prime256v1',
				'-nodes',
				'-keyout',
				join(tmp, 'ca.key'),
				'-out',
				join(tmp, 'ca.crt'),
				'-days',
				'3650',
				'-subj',
				'/CN=nassella stand-in internet test CA',
				'-addext',
				'basicConstraints=critical,CA:TRUE',
				'-addext',
				'keyUsage=critical,keyCertSign,cRLSign'
			],
			{ stdio: 'pipe' }
		);
		try {
			renameSync(tmp, dir);
		} catch {
			rmSync(tmp, { recursive: true, force: true }); // another process made it first
		}
	}
	const cert = join(dir, 'ca.crt');
	return { dir, cert, key: join(dir, 'ca.key'), hash: createHash('sha256').update(readFileSync(cert)).digest('hex') };
}

/** A server certificate for the given DNS names and IP addresses, signed by the test CA. */
export function issueCert(
	ca: Ca,
	outDir: string,
	name: string,
	dnsNames: string[],
	ips: string[] = []
): { cert: string; key: string } {
	mkdirSync(outDir, { recursive: true });
	const key = join(outDir, `${name}.key`);
	const csr = join(outDir, `${name}.csr`);
	const cert = join(outDir, `${name}.crt`);
	const ext = join(outDir, `${name}.ext`);
	const san = [...dnsNames.map((d) => `DNS:${d}`), ...ips.map((i) => `IP:${i}`)].join(',');
	writeFileSync(ext, `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n`);
	execFileSync(
		'openssl',
		[
			'req',
			'-newkey',
			'ec',
			'-pkeyopt',
			'ec_paramgen_curve:prime256v1',
			'-nodes',
			'-keyout',
			key,
			'-out',
			csr,
			'-subj',
			`/CN=${dnsNames[0] ?? name}`
		],
		{ stdio: 'pipe' }
	);
	execFileSync(
		'openssl',
		[
			'x509',
			'-req',
			'-in',
			csr,
			'-CA',
			ca.cert,
			'-CAkey',
			ca.key,
			'-CAcreateserial',
			'-out',
			cert,
			'-days',
			'30',
			'-extfile',
			ext
		],
		{ stdio: 'pipe' }
	);
	return { cert, key };
}
