/**
 * A real PowerDNS Authoritative server (Debian's pdns-server with the gsqlite3 backend) on
 * loopback, for the PowerDNS adapter's tests: a temporary config dir and database, the HTTP
 * API on a free port, DNS on another free port, in the foreground (no daemon, no guardian).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCHEMAS = [
	'/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql',
	'/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql'
];

export function powerDnsAvailable(): boolean {
	return (
		existsSync('/usr/sbin/pdns_server') && SCHEMAS.some(existsSync) && spawnSync('sqlite3', ['-version']).status === 0
	);
}

function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const s = createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const port = (s.address() as { port: number }).port;
			s.close(() => resolve(port));
		});
	});
}

export interface RunningPowerDns {
	apiUrl: string;
	apiKey: string;
	dnsPort: number;
	stop(): Promise<void>;
	/** Creates a zone through the API (setup, not the adapter under test). */
	createZone(name: string): Promise<void>;
}

export async function startPowerDns(): Promise<RunningPowerDns> {
	const dir = mkdtempSync(join(tmpdir(), 'nassella-pdns-'));
	const db = join(dir, 'pdns.sqlite3');
	const schema = SCHEMAS.find(existsSync)!;
	const made = spawnSync('sqlite3', [db, `.read ${schema}`]);
	if (made.status !== 0) throw new Error(`sqlite3 failed: ${made.stderr}`);
	const apiKey = 'pdns-test-key-' + crypto.randomUUID();
	let lastError = '';
	for (let attempt = 0; attempt < 3; attempt++) {
		const [webPort, dnsPort] = [await freePort(), await freePort()];
		writeFileSync(
			join(dir, 'pdns.conf'),
			[
				'launch=gsqlite3',
				`gsqlite3-database=${db}`,
				'api=yes',
				`api-key=${apiKey}`,
				'webserver=yes',
				'webserver-address=127.0.0.1',
				`webserver-port=${webPort}`,
				'webserver-allow-from=127.0.0.1',
				`local-address=127.0.0.1:${dnsPort}`,
				'daemon=no',
				'guardian=no',
				`socket-dir=${dir}`,
				'disable-syslog=yes',
				'loglevel=4',
				'default-soa-content=ns1.@ hostmaster.@ 0 10800 3600 604800 3600',
				''
			].join('\n')
		);
		const child: ChildProcess = spawn('/usr/sbin/pdns_server', [`--config-dir=${dir}`], {
			stdio: ['ignore', 'ignore', 'pipe']
		});
		let stderr = '';
		child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
		const apiUrl = `http://127.0.0.1:${webPort}`;
		const up = await waitUp(apiUrl, apiKey, child);
		if (up) {
			return {
				apiUrl,
				apiKey,
				dnsPort,
				async createZone(name) {
					const r = await fetch(`${apiUrl}/api/v1/servers/localhost/zones`, {
						method: 'POST',
						headers: { 'x-api-key': apiKey, 'content-type': 'application/json' },
						body: JSON.stringify({ name: name + '.', kind: 'Native', nameservers: [`ns1.${name}.`] })
					});
					if (r.status !== 201) throw new Error(`zone ${name}: ${r.status} ${await r.text()}`);
				},
				stop: () =>
					new Promise<void>((resolve) => {
						child.once('exit', () => {
							rmSync(dir, { recursive: true, force: true });
							resolve();
						});
						child.kill('SIGTERM');
						setTimeout(() => child.kill('SIGKILL'), 3000).unref();
					})
			};
		}
		child.kill('SIGKILL');
		lastError = stderr.slice(-2000);
	}
	rmSync(dir, { recursive: true, force: true });
	throw new Error(`pdns_server did not start: ${lastError}`);
}

async function waitUp(apiUrl: string, apiKey: string, child: ChildProcess): Promise<boolean> {
	for (let i = 0; i < 100; i++) {
		if (child.exitCode !== null) return false;
		try {
			const r = await fetch(`${apiUrl}/api/v1/servers/localhost`, { headers: { 'x-api-key': apiKey } });
			if (r.ok) return true;
		} catch {
			// not listening yet
		}
		await new Promise((r) => setTimeout(r, 100));
	}
	return false;
}

/** `dig @127.0.0.1 -p <port> <name> <type> +short` */
export function dig(port: number, name: string, type: string): string[] {
	const r = spawnSync('dig', [`@127.0.0.1`, '-p', String(port), name, type, '+short', '+tries=1', '+time=2'], {
		encoding: 'utf8'
	});
	if (r.status !== 0) throw new Error(`dig failed: ${r.stderr}`);
	return r.stdout
		.split('\n')
		.map((l) => l.trim())
		.filter(Boolean);
}
