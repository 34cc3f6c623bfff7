import { describe, expect, it } from 'vitest';
import { loadCatalog } from '../../../../catalog/load.ts';
import oneApp from '../../../../tests/fixtures/configs/one-app.json' with { type: 'json' };
import { renderServer } from '../server/render.ts';
import { completeAppSecrets, toDeployment, type DeploymentKeys } from './config.ts';

// Key material in the right formats, taken from the server generator's fixtures.
const fixture = oneApp;
const catalog = loadCatalog().apps;

/** Stands in for bcrypt (the pure core has none): a value of the right form. */
const fakeBcrypt = (_kind: 'bcrypt', value: string) => `$2b$10$${value.padEnd(53, '.').slice(0, 53)}`;

function keys(apps: string[]): DeploymentKeys {
	let n = 0;
	return {
		age: { identity: fixture.secrets.ageIdentity, recipient: fixture.config.ageRecipient },
		deployKeyFile: fixture.secrets.deployKey,
		commitSigners: fixture.config.commitSigners,
		admin: fixture.config.admin,
		appSecrets: completeAppSecrets(catalog, apps, {}, (b) => b.map(() => n++ % 251), fakeBcrypt)
	};
}

describe('setup choices → deployment model', () => {
	it('renders a bundle and an Ignition config the server generator accepts', async () => {
		const apps = ['vaultwarden', 'uptime-kuma'];
		const deployment = toDeployment({
			choices: {
				deploymentId: 'n1234abcd567',
				domain: 'example.org',
				apps,
				sshPublicKey: fixture.config.sshKeys[0],
				backups: {
					endpoint: 'https://s3.example.com',
					bucket: 'my-backups',
					accessKeyId: 'AKIA',
					secretAccessKey: 'secret',
					resticPassword: 'restic-password'
				}
			},
			catalog,
			keys: keys(apps),
			repo: {
				sshUrl: 'git@github.com:someone/nassella-n1234abcd567-config.git',
				branch: 'main',
				hostKeys: ['github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl']
			},
			dataDevice: '/dev/disk/by-id/scsi-0HC_Volume_42',
			appOrigin: 'http://127.0.0.1:4173',
			// nassella knows no checked hash for the Docker Compose extension yet: the deployment pins it.
			downloads: { composeSysext: fixture.config.composeSysext }
		});
		expect(deployment.config.git.hostKeys).toEqual([
			'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl'
		]);
		expect(deployment.config.backup?.endpoint).toBe('s3.example.com');
		expect(deployment.config.sshKeys).toEqual([fixture.config.sshKeys[0]]);
		const encrypt = async (text: string) => `encrypted(${text.length})`;
		const { files, ignition } = await renderServer(deployment, catalog, { encrypt });
		expect(files.map((f) => f.path)).toContain('docker-compose.yml');
		expect(ignition.length).toBeLessThan(32 * 1024);
		expect(ignition).toContain('scsi-0HC_Volume_42');
		expect(deployment.config.composeSysext).toEqual(fixture.config.composeSysext);
		// Secrets never reach the committed files in clear.
		const committed = files.map((f) => f.contents).join('\n');
		expect(committed).not.toContain('restic-password');
		expect(committed).not.toContain(fixture.secrets.ageIdentity);
	});

	it('takes the chosen reboot window into the bundle (update.conf) and the Ignition config alike', async () => {
		const rebootWindow = { start: 'Wed 02:00', length: '3h', timezone: 'Europe/Berlin' };
		const base = { deploymentId: 'n1234abcd567', domain: 'example.org', apps: ['vaultwarden'] };
		const render = (choices: typeof base & { rebootWindow?: typeof rebootWindow }) =>
			renderServer(
				toDeployment({
					choices,
					catalog,
					keys: keys(['vaultwarden']),
					repo: {
						sshUrl: 'git@github.com:someone/x.git',
						branch: 'main',
						hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl']
					},
					dataDevice: '/dev/disk/by-id/scsi-0HC_Volume_42',
					appOrigin: 'http://127.0.0.1:4173',
					downloads: { composeSysext: fixture.config.composeSysext }
				}),
				catalog,
				{ encrypt: async (t) => t }
			);
		const chosen = await render({ ...base, rebootWindow });
		const conf = chosen.files.find((f) => f.path === 'update.conf')?.contents;
		expect(conf).toBe(
			'REBOOT_STRATEGY=reboot\nLOCKSMITHD_REBOOT_WINDOW_START="Wed 02:00"\nLOCKSMITHD_REBOOT_WINDOW_LENGTH=3h\n'
		);
		const ign = JSON.parse(chosen.ignition) as {
			storage: { files: { path: string; contents: { source: string } }[]; links: { path: string; target: string }[] };
		};
		const written = ign.storage.files.find((f) => f.path === '/etc/flatcar/update.conf')!.contents.source;
		expect(decodeURIComponent(written.replace(/^data:,/, ''))).toBe(conf);
		expect(ign.storage.links.find((l) => l.path === '/etc/localtime')?.target).toBe(
			'/usr/share/zoneinfo/Europe/Berlin'
		);
		const fallback = await render(base);
		expect(fallback.files.find((f) => f.path === 'update.conf')?.contents).toContain('"Sun 04:00"');
	});

	it('renders without a Docker Compose pin while nassella knows no hash for it (HTTPS alone on the server)', async () => {
		const deployment = toDeployment({
			choices: { deploymentId: 'n1234abcd567', domain: 'example.org', apps: ['vaultwarden'] },
			catalog,
			keys: keys(['vaultwarden']),
			repo: {
				sshUrl: 'git@github.com:someone/nassella-n1234abcd567-config.git',
				branch: 'main',
				hostKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl']
			},
			dataDevice: '/dev/disk/by-id/scsi-0HC_Volume_42',
			appOrigin: 'http://127.0.0.1:4173'
		});
		const { ignition } = await renderServer(deployment, catalog, { encrypt: async (t) => t });
		expect(ignition).toContain('COMPOSE_SHA256=%0A');
	});

	it('keeps generated secrets stable and paths per provider', () => {
		const first = completeAppSecrets(catalog, ['vaultwarden'], {}, (b) => b.fill(7));
		const again = completeAppSecrets(catalog, ['vaultwarden'], first, () => {
			throw new Error('no new randomness needed');
		});
		expect(again).toEqual(first);
	});
});
