/**
 * The ACME certificate authority of the stand-in internet (acme-v02.api.letsencrypt.org and
 * acme.zerossl.com, see PLAN.md): Debian's pebble behind a TLS front with a certificate from the
 * test CA, so Caddy's default issuer URL `https://acme-v02.api.letsencrypt.org/directory` works
 * unchanged. The front forwards every request to pebble's HTTPS listener, `/directory` (and
 * ZeroSSL's `/v2/DV90`) as pebble's `/dir`, with the Host header kept so the URLs in the
 * directory point back through the front.
 *
 * pebble validates for real: it resolves every name through a tiny DNS responder that answers
 * 127.0.0.1 (A) and nothing else, and connects to the given ports there: the VM's host
 * forwards for guest ports 80 (http-01) and 443 (tls-alpn-01).
 */
import { request } from 'node:https';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { issueCert, type Ca } from '../lib/ca.ts';
import { freePort, spawnManaged, startNodeChild, waitUntil, type Managed } from './proc.ts';

export const ACME_NAMES = ['acme-v02.api.letsencrypt.org', 'acme.zerossl.com'];

export interface AcmeEvent {
	dns?: string;
	type?: number;
	via?: string;
	method?: string;
	path?: string;
	host?: string;
}

export interface Acme {
	/** The TLS front: the port the guest's 10.0.2.102:443 is forwarded to. */
	port: number;
	/** pebble's issuing root (management port, /roots/0), to verify the certificates it issued. */
	pebbleRoots(): Promise<string>;
	/** DNS questions pebble asked and requests through the front, in order. */
	events: AcmeEvent[];
	log(): string;
	stop(): Promise<void>;
}

function get(port: number, path: string, ca: Buffer): Promise<{ status: number; body: string }> {
	return new Promise((resolve, reject) => {
		const req = request({ host: '127.0.0.1', port, path, ca, timeout: 10_000 }, (res) => {
			let body = '';
			res.on('data', (c) => (body += c));
			res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
		});
		req.on('timeout', () => req.destroy(new Error('timeout')));
		req.on('error', reject);
		req.end();
	});
}

export async function startAcme(opts: {
	workDir: string;
	ca: Ca;
	/** Where pebble connects for http-01: the host port forwarded to the guest's port 80. */
	validationHttpPort: number;
	/** Where pebble connects for tls-alpn-01: the host port forwarded to the guest's port 443. */
	validationTlsPort: number;
	/** More pebble settings by environment (PEBBLE_*), e.g. PEBBLE_AUTHZREUSE. */
	env?: Record<string, string>;
}): Promise<Acme> {
	const dir = resolve(opts.workDir, 'acme');
	mkdirSync(dir, { recursive: true });
	const caPem = readFileSync(opts.ca.cert);
	const front = issueCert(opts.ca, dir, 'acme-front', ACME_NAMES, ['127.0.0.1']);
	const pebbleCert = issueCert(opts.ca, dir, 'pebble', ['localhost'], ['127.0.0.1']);
	const events: AcmeEvent[] = [];

	const procs: Managed[] = [];
	const stop = async () => {
		await Promise.all(procs.map((p) => p.stop()));
	};
	try {
		for (let attempt = 0; ; attempt++) {
			const [pebblePort, mgmtPort] = [await freePort(), await freePort()];
			const { child, ready } = await startNodeChild<{ dnsPort: number; frontPort: number }, AcmeEvent>(
				join(import.meta.dirname, 'servers/acme-front.ts'),
				{ cert: front.cert, key: front.key, ca: opts.ca.cert, pebblePort },
				(e) => events.push(e),
				{ logFile: join(dir, 'front.log') }
			);
			procs.push(child);
			const config = join(dir, 'pebble.json');
			writeFileSync(
				config,
				JSON.stringify({
					pebble: {
						listenAddress: `127.0.0.1:${pebblePort}`,
						managementListenAddress: `127.0.0.1:${mgmtPort}`,
						certificate: pebbleCert.cert,
						privateKey: pebbleCert.key,
						httpPort: opts.validationHttpPort,
						tlsPort: opts.validationTlsPort,
						ocspResponderURL: '',
						externalAccountBindingRequired: false
					}
				})
			);
			const pebble = spawnManaged('pebble', ['-config', config, '-dnsserver', `127.0.0.1:${ready.dnsPort}`], {
				env: { ...process.env, PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', ...opts.env },
				cwd: dir,
				logFile: join(dir, 'pebble.log')
			});
			procs.push(pebble);
			const log = () => `${pebble.log()}\n${child.log()}`;
			const up = await waitUntil(
				'pebble answers through the front',
				async () => {
					if (pebble.proc.exitCode !== null) return false;
					const r = await get(ready.frontPort, '/directory', caPem);
					if (r.status !== 200 || !r.body.includes('newNonce')) throw new Error(`directory: ${r.status}`);
					const m = await get(mgmtPort, '/roots/0', caPem);
					if (!m.body.includes('BEGIN CERTIFICATE')) throw new Error(`roots: ${m.status}`);
					return true;
				},
				60_000,
				log
			);
			if (!up) {
				if (attempt < 4 && /address already in use/i.test(pebble.log())) {
					await stop();
					procs.length = 0;
					continue;
				}
				throw new Error(`pebble did not start:\n${log()}`);
			}
			return {
				port: ready.frontPort,
				async pebbleRoots() {
					const r = await get(mgmtPort, '/roots/0', caPem);
					if (r.status !== 200) throw new Error(`pebble /roots/0: ${r.status}`);
					return r.body;
				},
				events,
				log,
				stop
			};
		}
	} catch (e) {
		await stop();
		throw e;
	}
}
