import { describe, expect, it } from 'vitest';
import base from '../../../../tests/fixtures/configs/one-app.json' with { type: 'json' };
import { ConfigError, parseGitSshUrl, validateDeployment } from './config.ts';
import { KNOWN_SHA256, resolveDownload } from './downloads.ts';

const clone = () =>
	structuredClone(base) as unknown as { config: Record<string, unknown>; secrets: Record<string, unknown> };

function issues(mut: (d: ReturnType<typeof clone>) => void): string[] {
	const d = clone();
	mut(d);
	try {
		validateDeployment(d);
		return [];
	} catch (e) {
		expect(e).toBeInstanceOf(ConfigError);
		return (e as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
	}
}

describe('validateDeployment', () => {
	it('accepts the fixture and normalises domains to punycode', () => {
		const d = clone();
		d.config.domain = 'Bücher.Example';
		d.config.apps = [{ id: 'miniflux', hosts: { main: 'Nachrichten.Bücher.Example' } }];
		const out = validateDeployment(d);
		expect(out.config.domain).toBe('xn--bcher-kva.example');
		expect(out.config.apps[0]!.hosts).toEqual({ main: 'nachrichten.xn--bcher-kva.example' });
	});

	it('lists every problem with its field, and never a secret value', () => {
		const found = issues((d) => {
			d.config.domain = '192.168.1.1';
			d.config.rebootWindow = { start: '25:00', length: '1d', timezone: 'Mars/Olympus' };
			d.config.dataDevice = '/dev/sdb';
			d.config.git = { url: 'https://github.com/a/b', branch: 'main', hostKeys: [] };
			(d.config.admin as Record<string, string>).passwordHash = 'plain-password';
			(d.secrets as Record<string, unknown>).ageIdentity = 'AGE-SECRET-KEY-not-really-SECRETVALUE';
		});
		const text = found.join('\n');
		expect(text).toContain('config.domain: "192.168.1.1" is an IP address');
		expect(text).toContain('config.rebootWindow.start');
		expect(text).toContain('config.rebootWindow.length');
		expect(text).toContain('config.rebootWindow.timezone');
		expect(text).toContain('config.dataDevice');
		expect(text).toContain('config.git.url');
		expect(text).toContain('config.git.hostKeys');
		expect(text).toContain('config.admin.passwordHash');
		expect(text).toContain('secrets.ageIdentity');
		expect(text).not.toContain('SECRETVALUE');
		expect(text).not.toContain('plain-password');
	});

	it('needs backup keys for a backup target, and a target to restore from', () => {
		expect(issues((d) => delete (d.secrets as Record<string, unknown>).backup).join()).toContain('secrets.backup');
		expect(
			issues((d) => {
				delete d.config.backup;
				delete (d.secrets as Record<string, unknown>).backup;
				d.config.restoreFromBackup = true;
			}).join()
		).toContain('config.restoreFromBackup');
	});

	it('takes one-off requests with plain ids, and refuses anything else', () => {
		const d = clone();
		d.config.requests = { backup: 'b-2026-11-25.1', drill: 'Drill_7' };
		expect(validateDeployment(d).config.requests).toEqual({ backup: 'b-2026-11-25.1', drill: 'Drill_7' });
		const empty = clone();
		empty.config.requests = {};
		expect(validateDeployment(empty).config.requests).toBeUndefined();
		const found = issues((x) => {
			x.config.requests = { backup: '$(reboot)', drill: 'x'.repeat(65), restore: 'a' };
		}).join('\n');
		expect(found).toContain('config.requests.backup: must be 1 to 64 letters');
		expect(found).toContain('config.requests.drill: must be 1 to 64 letters');
		expect(found).toContain('"restore" is not a request the server knows');
		expect(issues((x) => (x.config.requests = ['backup'])).join()).toContain('config.requests');
		expect(issues((x) => (x.config.requests = { backup: 7 })).join()).toContain('config.requests.backup');
		expect(
			issues((x) => {
				delete x.config.backup;
				delete (x.secrets as Record<string, unknown>).backup;
				x.config.requests = { drill: 'd-1' };
			}).join()
		).toContain('config.requests: a backup or a restore drill needs a backup target.');
	});

	it('restores a chosen snapshot only with restoreFromBackup, and only by a hex id', () => {
		const d = clone();
		d.config.restoreFromBackup = true;
		d.config.restoreSnapshot = '0123abcd';
		expect(validateDeployment(d).config.restoreSnapshot).toBe('0123abcd');
		expect(issues((x) => (x.config.restoreSnapshot = '0123abcd')).join()).toContain(
			'config.restoreSnapshot: is only used with restoreFromBackup'
		);
		for (const bad of ['latest', '0123ABCD', '0123', '--target=/etc'])
			expect(
				issues((x) => {
					x.config.restoreFromBackup = true;
					x.config.restoreSnapshot = bad;
				}).join(),
				bad
			).toContain('config.restoreSnapshot: must be a snapshot id');
	});

	it('takes an ntfy topic only as an https URL with a plain host and topic name', () => {
		for (const bad of [
			'http://ntfy.sh/topic',
			'https://ntfy.sh/topic?x=1',
			'https://user:pw@ntfy.sh/topic',
			'https://127.0.0.1/topic',
			'https://ntfy.sh/a/b',
			'https://ntfy.sh/topic name',
			"https://ntfy.sh/to'pic"
		])
			expect(issues((x) => (x.config.ntfyTopic = bad)).join(), bad).toContain('config.ntfyTopic');
	});

	describe('pinned downloads (Docker Compose extension, age)', () => {
		const sha = 'b'.repeat(64);

		it('takes a version, a sha256 and a mirror address for each', () => {
			const d = clone();
			d.config.composeSysext = {
				version: '2.35.1',
				sha256: sha,
				url: 'https://mirror.example.org/sysext/docker-compose-2.35.1-x86-64.raw'
			};
			d.config.age = { version: '1.2.1', url: 'https://mirror.example.org/age-v1.2.1-linux-amd64.tar.gz' };
			const out = validateDeployment(d).config;
			expect(out.composeSysext).toEqual(d.config.composeSysext);
			expect(out.age).toEqual(d.config.age);
			// A mirror of a version nassella knows serves the same bytes: the known hash still applies.
			expect(resolveDownload('age', out.age, 'amd64').sha256).toBe(KNOWN_SHA256.age['1.2.1']!.amd64);
		});

		it('uses age 1.2.1 with its checked hash when the config names none', () => {
			const d = clone();
			delete d.config.age;
			const out = validateDeployment(d).config;
			expect(out.age).toBeUndefined();
			expect(resolveDownload('age', out.age, 'arm64')).toEqual({
				version: '1.2.1',
				sha256: '57fd79a7ece5fe501f351b9dd51a82fbee1ea8db65a8839db17f5c080245e99f',
				url: 'https://github.com/FiloSottile/age/releases/download/v1.2.1/age-v1.2.1-linux-arm64.tar.gz',
				file: 'age-v1.2.1-linux-arm64.tar.gz'
			});
		});

		it('refuses a version without a hash nassella knows and without its own sha256', () => {
			expect(issues((x) => (x.config.age = { version: '1.9.0' })).join('\n')).toContain(
				'config.age.sha256: is needed: nassella knows no checked hash for age 1.9.0 (amd64)'
			);
			expect(
				issues((x) => {
					x.config.architecture = 'arm64';
					x.config.age = { version: '1.9.1' };
				}).join('\n')
			).toContain('config.age.sha256: is needed: nassella knows no checked hash for age 1.9.1 (arm64)');
		});

		it('takes the Docker Compose extension unpinned while nassella knows no hash for it, never age', () => {
			expect(Object.keys(KNOWN_SHA256.composeSysext)).toEqual([]);
			expect(issues((x) => delete x.config.composeSysext).join('\n')).not.toContain('config.composeSysext');
			expect(issues((x) => (x.config.age = { version: '1.3.0' })).join('\n')).toContain('config.age.sha256: is needed');
		});

		it('refuses a bad address, a plain http:// one, and a bad sha256', () => {
			for (const [field, value, expected] of [
				['url', 'http://mirror.example.org/docker-compose.raw', 'must use https://'],
				['url', 'ftp://mirror.example.org/docker-compose.raw', 'must use https://'],
				['url', 'not a url', 'is not a download address'],
				['url', 'https://user:pw@mirror.example.org/a.raw', 'is not a download address'],
				['url', "https://mirror.example.org/a'b.raw", 'is not a download address'],
				['url', 'https://mirror.example.org/a b.raw', 'is not a download address'],
				['url', 'https://mirror.example.org/$(reboot)', 'is not a download address'],
				['url', 'https://192.0.2.1/a.raw', 'is not a download address'],
				['url', 'https://mirror.example.org/a.raw#x', 'is not a download address'],
				['sha256', 'B'.repeat(64), 'must be 64 lowercase hex digits'],
				['sha256', 'b'.repeat(63), 'must be 64 lowercase hex digits'],
				['sha256', `sha256-${'b'.repeat(64)}`, 'must be 64 lowercase hex digits'],
				['version', 'latest', 'must be a version such as']
			] as const)
				for (const kind of ['composeSysext', 'age'] as const) {
					const found = issues((x) => {
						x.config[kind] = { version: '1.2.1', sha256: sha, [field]: value };
					}).join('\n');
					expect(found, `${kind}.${field} = ${value}`).toContain(`config.${kind}.${field}: ${expected}`);
				}
			expect(issues((x) => (x.config.age = 'v1.2.1')).join()).toContain('config.age: must be an object');
		});
	});

	it('refuses an unknown shape outright', () => {
		expect(() => validateDeployment(null)).toThrow(ConfigError);
		expect(() => validateDeployment({ config: {} })).toThrow(/"config" and "secrets"/);
	});
});

describe('parseGitSshUrl', () => {
	it('reads scp-like and ssh:// remotes, and nothing else', () => {
		expect(parseGitSshUrl('git@github.com:me/repo.git')).toEqual({
			user: 'git',
			host: 'github.com',
			port: 22,
			path: 'me/repo.git'
		});
		expect(parseGitSshUrl('ssh://git@codeberg.org:2222/me/repo.git')).toMatchObject({ port: 2222 });
		for (const bad of [
			'https://github.com/me/repo',
			'git@github.com:me/repo;rm -rf',
			"git@host:'x'",
			'ext::sh -c x',
			'-oProxyCommand=x@h:p'
		])
			expect(parseGitSshUrl(bad), bad).toBeUndefined();
	});
});
