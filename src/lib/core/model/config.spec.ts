import { describe, expect, it } from 'vitest';
import base from '../../../../tests/fixtures/configs/one-app.json' with { type: 'json' };
import { ConfigError, parseGitSshUrl, validateDeployment } from './config.ts';

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
