/**
 * From the wizard's choices to the server generator's deployment model: which apps, which
 * addresses, backups, the repo the server pulls from, and the keys it trusts. Pure: keys
 * and generated secrets are made elsewhere (once) and passed in.
 */
import type { AppManifest } from '../catalog/types.ts';
import { SETUP_PASSWORD, SETUP_PREDATES_GATE, hasSetupGate, inputSpecs } from '../catalog/first-start.ts';
import { ensureSecrets, type DeriveSecret, type RandomBytes } from '../catalog/secrets.ts';
import { CONFIG_VERSION, type Deployment, type DeploymentConfig, type RebootWindow } from '../model/config.ts';
import { DEFAULT_REBOOT_WINDOW } from './reboot-window.ts';

export interface SetupChoices {
	deploymentId: string;
	domain: string;
	apps: string[];
	/** Values the person typed per app input (passwords among them go to the secrets). */
	inputs?: Record<string, Record<string, string>>;
	/** An emergency SSH key for the `core` user; none means no SSH login. */
	sshPublicKey?: string;
	backups?: { endpoint: string; bucket: string; accessKeyId: string; secretAccessKey: string; resticPassword: string };
	/** When the server may restart for updates; `DEFAULT_REBOOT_WINDOW` when not chosen. */
	rebootWindow?: RebootWindow;
}

export interface DeploymentKeys {
	/** The server's age identity and its recipient. */
	age: { identity: string; recipient: string };
	/** The read-only deploy key as an OpenSSH private key file. */
	deployKeyFile: string;
	/** Public keys (OpenSSH) whose commit signatures the server accepts. */
	commitSigners: string[];
	admin: { user: string; passwordHash: string };
	/** Generated app secrets, kept so every render gives the same values. */
	appSecrets: Record<string, Record<string, string>>;
}

export interface RepoFacts {
	sshUrl: string;
	branch: string;
	/** known_hosts lines (`host key-type base64`) or bare keys (`key-type base64`). */
	hostKeys: string[];
}

/**
 * Secrets the catalog asks for that are not generated yet; existing ones are kept. Derived
 * ones (bcrypt hashes) are made with `derive`. An app that was already set up before it had a
 * setup gate (it has secrets, but no setup password) is marked so, and gets no gate.
 */
export function completeAppSecrets(
	catalog: readonly AppManifest[],
	apps: readonly string[],
	existing: Record<string, Record<string, string>>,
	random: RandomBytes,
	derive?: DeriveSecret
): Record<string, Record<string, string>> {
	const out: Record<string, Record<string, string>> = {};
	for (const id of apps) {
		const manifest = catalog.find((a) => a.id === id);
		if (!manifest) continue;
		const before = existing[id];
		out[id] = ensureSecrets(manifest, before ?? {}, random, derive);
		if (before && hasSetupGate(manifest) && before[SETUP_PASSWORD] === undefined) out[id][SETUP_PREDATES_GATE] = 'true';
	}
	return out;
}

function bareHostKey(line: string): string {
	const parts = line.trim().split(/\s+/);
	// known_hosts form carries the host name first; the server model wants the key only.
	return (
		parts.length >= 3 && !parts[0]!.startsWith('ssh-') && !parts[0]!.startsWith('ecdsa-')
			? parts.slice(1, 3)
			: parts.slice(0, 2)
	).join(' ');
}

export function toDeployment(input: {
	choices: SetupChoices;
	catalog: readonly AppManifest[];
	keys: DeploymentKeys;
	repo: RepoFacts;
	dataDevice: string;
	appOrigin: string;
	/**
	 * Pinned downloads for the server (config.composeSysext, config.age). The Docker Compose
	 * extension must be given with its sha256 while nassella knows no checked hash for it
	 * (model/downloads.ts); age defaults to a version whose hash nassella knows.
	 */
	downloads?: Pick<DeploymentConfig, 'composeSysext' | 'age'>;
}): Deployment {
	const { choices, catalog, keys, repo } = input;
	const appSecrets: Record<string, Record<string, string>> = {};
	const apps = choices.apps.map((id) => {
		const manifest = catalog.find((a) => a.id === id);
		const typed = choices.inputs?.[id] ?? {};
		const passwords = new Set((manifest?.inputs ?? []).filter((i) => i.type === 'password').map((i) => i.id));
		const plain: Record<string, string> = {};
		const secret: Record<string, string> = { ...(keys.appSecrets[id] ?? {}) };
		for (const spec of manifest ? inputSpecs(manifest) : []) {
			const value = typed[spec.id] ?? spec.default;
			if (value === undefined || value === '') continue;
			if (passwords.has(spec.id)) secret[spec.id] = value;
			else plain[spec.id] = value;
		}
		appSecrets[id] = secret;
		return { id, inputs: plain };
	});
	const backup = choices.backups;
	let endpointHost = '';
	if (backup) {
		try {
			endpointHost = new URL(backup.endpoint).host;
		} catch {
			endpointHost = backup.endpoint;
		}
	}
	return {
		config: {
			version: CONFIG_VERSION,
			id: choices.deploymentId,
			domain: choices.domain,
			appOrigin: input.appOrigin,
			apps,
			rebootWindow: { ...(choices.rebootWindow ?? DEFAULT_REBOOT_WINDOW) },
			...(choices.sshPublicKey ? { sshKeys: [choices.sshPublicKey] } : {}),
			dataDevice: input.dataDevice,
			...(backup
				? { backup: { endpoint: endpointHost, bucket: backup.bucket, keepDaily: 7, keepWeekly: 4, keepMonthly: 6 } }
				: {}),
			git: { url: repo.sshUrl, branch: repo.branch, hostKeys: repo.hostKeys.map(bareHostKey) },
			commitSigners: keys.commitSigners,
			ageRecipient: keys.age.recipient,
			admin: keys.admin,
			...(input.downloads?.composeSysext ? { composeSysext: input.downloads.composeSysext } : {}),
			...(input.downloads?.age ? { age: input.downloads.age } : {})
		},
		secrets: {
			ageIdentity: keys.age.identity,
			deployKey: keys.deployKeyFile,
			...(backup
				? {
						backup: {
							accessKeyId: backup.accessKeyId,
							secretAccessKey: backup.secretAccessKey,
							resticPassword: backup.resticPassword
						}
					}
				: {}),
			apps: appSecrets
		}
	};
}
