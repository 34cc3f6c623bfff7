/** What the Ignition config carries, and the blank-volume rule run for real on disk images. */
import { describe, expect, it } from 'vitest';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { catalog, fixture, goldenEncrypt, ignitionFile, run, type IgnitionDoc } from './helpers.ts';
import { renderServer } from '../../src/lib/core/server/render.ts';
import { compactShell, renderIgnition } from '../../src/lib/core/server/ignition.ts';
import { validateDeployment } from '../../src/lib/core/model/config.ts';
import { SCRIPTS } from '../../src/lib/core/server/scripts.gen.ts';
import { checkManifest } from '../../src/lib/core/server/manifest.ts';

async function ignitionOf(input: unknown): Promise<IgnitionDoc> {
	return JSON.parse((await renderServer(input, catalog(), { encrypt: goldenEncrypt })).ignition);
}

describe('Ignition contents', () => {
	it('carries keys, update policy, journald, the compose sysext, signers and the sync units', async () => {
		const input = fixture('one-app');
		const ign = await ignitionOf(input);
		const cfg = input.config as Record<string, unknown>;
		expect(ign.passwd?.users[0]).toEqual({ name: 'core', sshAuthorizedKeys: cfg.sshKeys });
		expect(ignitionFile(ign, '/etc/flatcar/update.conf')).toBe(
			'REBOOT_STRATEGY=reboot\nLOCKSMITHD_REBOOT_WINDOW_START="04:00"\nLOCKSMITHD_REBOOT_WINDOW_LENGTH=1h\n'
		);
		expect(JSON.parse(ignitionFile(ign, '/etc/docker/daemon.json'))).toEqual({ 'log-driver': 'journald' });
		// Ignition downloads nothing (a failed download there would stop the boot): every file is inline,
		// and nassella-fetch installs the Docker Compose extension and age on the booted server.
		for (const f of ign.storage.files) expect(f.contents.source, f.path).toMatch(/^data:/);
		expect(ign.storage.links.some((l) => l.path.startsWith('/etc/extensions/'))).toBe(false);
		const conf = ignitionFile(ign, '/etc/nassella/sync.conf');
		const pin = (cfg.composeSysext as { sha256: string }).sha256;
		expect(conf).toContain("COMPOSE_FILE='docker-compose-2.34.0-x86-64.raw'\n");
		expect(conf).toContain(
			"COMPOSE_URL='https://extensions.flatcar.org/extensions/docker-compose-2.34.0-x86-64.raw'\n"
		);
		expect(conf).toContain(`COMPOSE_SHA256=${pin}\n`);
		expect(conf).toContain(
			"AGE_URL='https://github.com/FiloSottile/age/releases/download/v1.2.1/age-v1.2.1-linux-amd64.tar.gz'\n"
		);
		expect(conf).toContain('AGE_SHA256=7df45a6cc87d4da11cc03a539a7470c15b1041ab2b396af088fe9990f7c79d50\n');
		expect(ignitionFile(ign, '/opt/nassella/bin/nassella-fetch')).toMatch(/^#!\/bin\/bash\n/);
		expect(ign.storage.links).toContainEqual(
			expect.objectContaining({ path: '/etc/localtime', target: '/usr/share/zoneinfo/Europe/Berlin' })
		);
		const signer = (cfg.commitSigners as unknown as string[])[0]!.split(' ').slice(0, 2).join(' ');
		expect(ignitionFile(ign, '/etc/nassella/allowed_signers')).toBe(`nassella-signer-1 namespaces="git" ${signer}\n`);
		expect(ignitionFile(ign, '/etc/nassella/known_hosts')).toMatch(/^github\.com ssh-ed25519 AAAA\S+\n$/);
		const mode = (p: string) => ign.storage.files.find((f) => f.path === p)!.mode;
		expect(mode('/etc/nassella/deploy_key')).toBe(0o600);
		expect(mode('/etc/nassella/age-identity')).toBe(0o400);
		expect(mode('/opt/nassella/bin/nassella-sync')).toBe(0o755);
		expect(mode('/opt/nassella/bin/nassella-fetch')).toBe(0o755);
		const units = Object.fromEntries(ign.systemd.units.map((u) => [u.name, u]));
		expect(units['docker.service']?.enabled).toBe(true);
		expect(units['var-lib-nassella.mount']?.contents).toContain('What=/dev/disk/by-id/scsi-0HC_Volume_12345678');
		expect(units['nassella-metadata-firewall.service']?.contents).toContain(
			'DOCKER-USER -d 169.254.169.254/32 -j DROP'
		);
		expect(units['nassella-sync.service']?.contents).toContain(
			'Requires=docker.service nassella-metadata-firewall.service'
		);
		expect(units['nassella-sync.timer']?.enabled).toBe(true);
		// The downloads run before every sync until they succeed; sync still runs (and reports) when they fail.
		expect(units['nassella-fetch.service']?.contents).toContain('ExecStart=/bin/bash /opt/nassella/bin/nassella-fetch');
		expect(units['nassella-sync.service']?.contents).toMatch(/^Wants=.*\bnassella-fetch\.service\b/m);
		expect(units['nassella-sync.service']?.contents).toMatch(/^After=.*\bnassella-fetch\.service\b/m);
		expect(units['nassella-sync.service']?.contents).not.toMatch(/^(Requires|BindsTo)=.*nassella-fetch/m);
		expect(units['nassella-backup.timer']?.contents).toContain('OnCalendar=*-*-* 02:30:00');
		// The monthly restore drill, an hour before the backup on the 1st.
		expect(units['nassella-drill.timer']?.enabled).toBe(true);
		expect(units['nassella-drill.timer']?.contents).toContain('OnCalendar=*-*-01 01:30:00');
		expect(units['nassella-drill.service']?.contents).toContain(
			'ExecStart=/bin/bash /var/lib/nassella/current/bin/drill.sh'
		);
		// The server's identity: the age key pair, private part 0400, public part reported in status.json.
		const recipient = run('age-keygen', ['-y'], {
			input: ignitionFile(ign, '/etc/nassella/age-identity')
		}).stdout.trim();
		expect(ignitionFile(ign, '/etc/nassella/age-recipient')).toBe(`${recipient}\n`);
		// The scripts travel gzip-compressed (Ignition unpacks them), without comments or indentation
		// (scripts.test.ts checks that bash reads the same program).
		for (const [path, name] of [
			['/opt/nassella/bin/nassella-sync', 'nassella-sync.sh'],
			['/opt/nassella/bin/nassella-fetch', 'fetch.sh'],
			['/opt/nassella/bin/nassella-format-data', 'format-data.sh']
		] as const) {
			expect(ign.storage.files.find((f) => f.path === path)!.contents.compression, path).toBe('gzip');
			expect(ignitionFile(ign, path)).toBe(compactShell(SCRIPTS[name]!));
		}
		expect(ign.storage.files.some((f) => f.path === '/etc/nassella/restore-from-backup')).toBe(false);
		expect(units['systemd-journal-gatewayd.socket']?.dropins?.[0]?.contents).toContain(
			'ListenStream=/run/nassella/gateway/journal.sock'
		);
		// No secret of the bundle's apps is in Ignition, and the backup keys are not either.
		const text = JSON.stringify(ign);
		const secrets = input.secrets as { apps: Record<string, Record<string, string>>; backup: Record<string, string> };
		for (const v of Object.values(secrets.apps.miniflux!)) expect(text).not.toContain(v);
		expect(text).not.toContain(secrets.backup.secretAccessKey);
	});

	it('restores from backup with the same identity: the newest snapshot by default, or the one chosen', async () => {
		const input = fixture('one-app');
		const plain = await ignitionOf(input);
		input.config.restoreFromBackup = true;
		const latest = await ignitionOf(input);
		expect(ignitionFile(latest, '/etc/nassella/restore-from-backup')).toMatch(/^SNAPSHOT=latest$/m);
		input.config.restoreSnapshot = '0123abcd';
		const chosen = await ignitionOf(input);
		expect(ignitionFile(chosen, '/etc/nassella/restore-from-backup')).toMatch(/^SNAPSHOT=0123abcd$/m);
		for (const p of ['/etc/nassella/age-identity', '/etc/nassella/age-recipient'])
			expect(ignitionFile(chosen, p)).toBe(ignitionFile(plain, p));
		const path = join(mkdtempSync(join(tmpdir(), 'nassella-ign-')), 'ignition.json');
		writeFileSync(path, JSON.stringify(chosen));
		const res = run('ignition-validate', [path]);
		expect(res.stdout + res.stderr).toBe('');
		expect(res.code).toBe(0);
	});

	it("downloads from a mirror when the config names one, checked with the config's hash", async () => {
		const input = fixture('one-app');
		const c = input.config as Record<string, unknown>;
		c.composeSysext = {
			version: '2.35.1',
			sha256: 'a'.repeat(64),
			url: 'https://mirror.example.org/flatcar/docker-compose-2.35.1-x86-64.raw'
		};
		c.age = { version: '1.2.1', url: 'https://mirror.example.org/age/age-v1.2.1-linux-amd64.tar.gz' };
		const conf = ignitionFile(await ignitionOf(input), '/etc/nassella/sync.conf');
		expect(conf).toContain("COMPOSE_FILE='docker-compose-2.35.1-x86-64.raw'\n");
		expect(conf).toContain("COMPOSE_URL='https://mirror.example.org/flatcar/docker-compose-2.35.1-x86-64.raw'\n");
		expect(conf).toContain(`COMPOSE_SHA256=${'a'.repeat(64)}\n`);
		expect(conf).toContain("AGE_URL='https://mirror.example.org/age/age-v1.2.1-linux-amd64.tar.gz'\n");
		expect(conf).toContain('AGE_SHA256=7df45a6cc87d4da11cc03a539a7470c15b1041ab2b396af088fe9990f7c79d50\n');
	});

	it('picks the arm64 builds for an arm64 server', async () => {
		const input = fixture('one-app');
		input.config.architecture = 'arm64';
		const conf = ignitionFile(await ignitionOf(input), '/etc/nassella/sync.conf');
		expect(conf).toContain("COMPOSE_FILE='docker-compose-2.34.0-arm64.raw'\n");
		expect(conf).toContain(
			"AGE_URL='https://github.com/FiloSottile/age/releases/download/v1.2.1/age-v1.2.1-linux-arm64.tar.gz'\n"
		);
		expect(conf).toContain('AGE_SHA256=57fd79a7ece5fe501f351b9dd51a82fbee1ea8db65a8839db17f5c080245e99f\n');
	});

	it('has no SSH login without keys, and refuses a config over 32 KiB with a clear message', async () => {
		const input = fixture('one-app');
		delete (input.config as Record<string, unknown>).sshKeys;
		expect((await ignitionOf(input)).passwd).toBeUndefined();
		const signer = (input.config as { commitSigners: string[] }).commitSigners[0]!;
		(input.config as Record<string, unknown>).commitSigners = Array.from(
			{ length: 200 },
			(_, i) => `${signer.split(' ').slice(0, 2).join(' ')} key-${i}`
		);
		expect(() => renderIgnition(validateDeployment(input))).toThrow(/KiB; providers accept at most 32 KiB/);
	});
});

describe('bundle files for requests and notifications', () => {
	it('renders requests.json (listed in the signed manifest) only when the config asks for something', async () => {
		const input = fixture('one-app');
		const none = await renderServer(input, catalog(), { encrypt: goldenEncrypt });
		expect(none.files.some((f) => f.path === 'requests.json')).toBe(false);
		input.config.requests = { drill: 'drill-7', backup: 'backup-7' };
		const r = await renderServer(input, catalog(), { encrypt: goldenEncrypt });
		const req = r.files.find((f) => f.path === 'requests.json')!;
		expect(req.contents).toBe('{"backup":"backup-7","drill":"drill-7"}\n');
		const manifest = r.files.find((f) => f.path === 'MANIFEST.sha256')!.contents;
		expect(manifest).toContain(`${createHash('sha256').update(req.contents).digest('hex')}  requests.json\n`);
		expect(checkManifest(manifest, r.files)).toEqual([]);
	});

	it('carries the ntfy topic encrypted to the server, for every script that posts (not only the backup)', async () => {
		const input = fixture('one-app');
		const plain: string[] = [];
		const r = await renderServer(input, catalog(), {
			encrypt: async (text, recipient) => {
				plain.push(text);
				return goldenEncrypt(text, recipient);
			}
		});
		expect(r.files.some((f) => f.path === 'env/notify.env.age')).toBe(true);
		expect(plain).toContain('NTFY_TOPIC=https://ntfy.sh/nassella-fixture-3f9a7c1e\n');
		expect(plain.filter((t) => t.includes('NTFY_TOPIC'))).toHaveLength(1);
		for (const f of r.files) expect(f.contents).not.toContain('nassella-fixture-3f9a7c1e');
		delete (input.config as Record<string, unknown>).ntfyTopic;
		const without = await renderServer(input, catalog(), { encrypt: goldenEncrypt });
		expect(without.files.some((f) => f.path === 'env/notify.env.age')).toBe(false);
	});
});

describe('nassella-format-data (real blkid, wipefs, mkfs.ext4 on disk images)', () => {
	const dir = mkdtempSync(join(tmpdir(), 'nassella-format-'));
	const script = join(dir, 'format-data');
	const env = { ...process.env, PATH: `/usr/sbin:/sbin:${process.env.PATH}` };
	const hash = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
	const image = (name: string, fill?: (p: string) => void) => {
		const p = join(dir, name);
		run('truncate', ['-s', '16M', p]);
		fill?.(p);
		return p;
	};

	it('formats a blank volume as ext4 labelled nassella-data', async () => {
		writeFileSync(script, ignitionFile(await ignitionOf(fixture('one-app')), '/opt/nassella/bin/nassella-format-data'));
		const blank = image('blank.img');
		const r = run('bash', [script, blank, 'nassella-data'], { env });
		expect(r.code, r.stderr).toBe(0);
		expect(r.stdout).toContain('is blank');
		expect(run('blkid', ['-p', '-o', 'value', '-s', 'LABEL', blank], { env }).stdout.trim()).toBe('nassella-data');
		// Second boot: the volume now has data and is left alone.
		const before = hash(blank);
		const again = run('bash', [script, blank, 'nassella-data'], { env });
		expect(again.stdout).toContain('already holds data');
		expect(hash(blank)).toBe(before);
	});

	it('never touches a volume with another filesystem, a partition table, or bytes without any signature', () => {
		const xfsOrExt = image('other.img', (p) => run('mkfs.ext2', ['-q', '-L', 'someone-else', p], { env }));
		// An MBR partition table with one Linux partition (what a partitioning tool writes first).
		const parted = image('parted.img', (p) => {
			const mbr = Buffer.alloc(512);
			mbr[446] = 0x00;
			mbr[446 + 4] = 0x83;
			mbr.writeUInt32LE(2048, 446 + 8);
			mbr.writeUInt32LE(30000, 446 + 12);
			mbr[510] = 0x55;
			mbr[511] = 0xaa;
			const fd = openSync(p, 'r+');
			writeSync(fd, mbr, 0, 512, 0);
			closeSync(fd);
		});
		const noise = image('noise.img', (p) =>
			run('bash', ['-c', `printf 'precious data' | dd of="${p}" bs=1 seek=4096 conv=notrunc status=none`])
		);
		for (const p of [xfsOrExt, parted, noise]) {
			const before = hash(p);
			const r = run('bash', [script, p, 'nassella-data'], { env });
			expect(r.code, r.stderr).toBe(0);
			expect(r.stdout, p).toContain('already holds data');
			expect(hash(p), p).toBe(before);
		}
	});
});
