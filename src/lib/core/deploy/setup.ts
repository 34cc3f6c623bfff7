/**
 * Pure helpers of the setup wizard: does a server size fit the chosen apps, how big the
 * data disk should be, which web addresses the apps get, what it all costs per month,
 * and fresh ids and passwords from random bytes the caller supplies.
 */
import { BASE_OVERHEAD, resourcesFor } from '../catalog/fit.ts';
import type { Category, InputSpec, LighterResources } from '../catalog/types.ts';
import type { PlanInput } from './plan.ts';

/** What the wizard needs to know about an app (a catalog app satisfies it). */
export interface AppChoice {
	id: string;
	name: string;
	tagline: string;
	entrypoints: { id: string; subdomain: string }[];
	resources: { ramMinMiB: number; ramRecommendedMiB: number; diskMiB: number; lighter?: LighterResources };
	firstLogin: string;
	/** Values the person gives when adding the app. */
	inputs?: InputSpec[];
	/** For finding it in a long list. */
	category?: Category;
	description?: string;
}

/** A server size as the wizard offers it (the cloud port's Size adds its architecture). */
export interface SizeChoice {
	id: string;
	name: string;
	vcpus: number;
	memoryMiB: number;
	diskGiB: number;
	/** Price per month in the provider's currency, as the provider states it. */
	monthlyPrice: number;
	currency: string;
	regions: string[];
}

/** Memory the operating system, Docker, Caddy and the sync service use on their own (catalog/fit.ts). */
export const SYSTEM_MEMORY_MIB = BASE_OVERHEAD.ramMinMiB;

export type Fit = { fits: true; tight: boolean } | { fits: false; reason: string };

/** `values`: the person's input values per app id, so an app in its lighter variant counts as such. */
export function sizeFit(
	apps: readonly AppChoice[],
	size: SizeChoice,
	values: Record<string, Record<string, string>> = {}
): Fit {
	const figures = apps.map((a) => resourcesFor(a, values[a.id]));
	const min = BASE_OVERHEAD.ramMinMiB + figures.reduce((n, r) => n + r.ramMinMiB, 0);
	const recommended = BASE_OVERHEAD.ramRecommendedMiB + figures.reduce((n, r) => n + r.ramRecommendedMiB, 0);
	if (size.memoryMiB < min) {
		return {
			fits: false,
			reason: `Too small: your apps need at least ${formatMiB(min)} of memory together (this size has ${formatMiB(size.memoryMiB)}).`
		};
	}
	return { fits: true, tight: size.memoryMiB < recommended };
}

export function formatMiB(mib: number): string {
	return mib >= 1024 ? `${Math.round((mib / 1024) * 10) / 10} GB` : `${mib} MB`;
}

/** The data disk: what the apps say they need, doubled for growth, at least 10 GiB. */
export function volumeGiB(apps: readonly AppChoice[]): number {
	const mib = apps.reduce((n, a) => n + a.resources.diskMiB, 0);
	return Math.max(10, Math.ceil((mib * 2) / 1024));
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export const DEDYN_SUFFIX = 'dedyn.io';

/** A free name under dedyn.io: one label of plain letters, digits and dashes (the whole name is a domain as `domainProblem` in core/model/domain.ts judges it). */
export function dedynProblem(name: string): string | undefined {
	const n = name.trim().toLowerCase();
	if (!LABEL.test(n) || n.length < 3) return 'Choose a name of at least 3 letters, digits or dashes.';
	return undefined;
}

/** The free dedyn.io name that holds `fqdn` (`photos.my-home.dedyn.io` → `my-home.dedyn.io`), if any. */
export function dedynZoneOf(fqdn: string): string | undefined {
	const labels = fqdn.toLowerCase().replace(/\.$/, '').split('.');
	const suffix = DEDYN_SUFFIX.split('.');
	if (labels.length <= suffix.length) return undefined;
	if (labels.slice(-suffix.length).join('.') !== DEDYN_SUFFIX) return undefined;
	return labels.slice(-(suffix.length + 1)).join('.');
}

/** The address each app answers on: its default subdomain under the domain. */
export function hostsFor(apps: readonly AppChoice[], domain: string): PlanInput['hosts'] {
	return apps.flatMap((a) => a.entrypoints.map((e) => ({ app: a.id, fqdn: `${e.subdomain}.${domain}` })));
}

/** The address that opens the app: its first entrypoint's host (and path) under the domain. */
export function appAddress(
	app: { entrypoints: readonly { subdomain: string; path?: string }[] },
	domain: string
): string | undefined {
	const ep = app.entrypoints[0];
	if (!ep) return undefined;
	const path = ep.path && ep.path !== '/' ? ep.path.replace(/\/+$/, '') + '/' : '/';
	return `https://${ep.subdomain}.${domain}${path}`;
}

/** The server's own address for its status and logs (behind a password), as the generator names it. */
export const ADMIN_HOST_LABEL = 'nassella';

export function adminHostFor(domain: string): string {
	return `${ADMIN_HOST_LABEL}.${domain}`;
}

/** Every name the deployment points at the server: the apps' addresses and the admin host. */
export function deploymentHosts(apps: readonly AppChoice[], domain: string): PlanInput['hosts'] {
	return [...hostsFor(apps, domain), { app: ADMIN_HOST_LABEL, fqdn: adminHostFor(domain) }];
}

/** The parts of a setup record (`SetupRecord`) a deployment's plan is made from. */
export interface PlannedSetup {
	deploymentId: string;
	domain: string;
	dns: { provider: string };
	cloud: { provider: string; region: string; size: string };
	sshPublicKey?: string;
	git: { host: string };
}

/** The plan input of a setup, for its chosen apps (the catalog entries of `setup.apps`). */
export function setupPlanInput(setup: PlannedSetup, apps: readonly AppChoice[]): PlanInput {
	return {
		deploymentId: setup.deploymentId,
		cloud: { provider: setup.cloud.provider, region: setup.cloud.region, size: setup.cloud.size },
		volumeGiB: volumeGiB(apps),
		...(setup.sshPublicKey ? { sshPublicKey: setup.sshPublicKey } : {}),
		dns: { provider: setup.dns.provider },
		git: { host: setup.git.host },
		hosts: deploymentHosts(apps, setup.domain)
	};
}

export interface CostLine {
	what: string;
	monthly?: number;
	currency?: string;
	note?: string;
}

/** A storage price per GiB and month (from the provider, or its published price list). */
export interface StoragePrice {
	monthlyPerGiB: number;
	currency: string;
	note?: string;
}

const cents = (n: number) => Math.round(n * 100) / 100;

/**
 * What the server and its data disk cost per month. The disk is priced when the provider's
 * volume price is known; `diskPriced` says whether the total includes it.
 */
export function monthlyCost(
	size: SizeChoice | undefined,
	disk?: { giB: number; price?: StoragePrice }
): { lines: CostLine[]; total?: number; currency?: string; diskPriced: boolean } {
	if (!size) return { lines: [], diskPriced: false };
	const giB = disk?.giB;
	const price = disk?.price;
	const diskLine: CostLine =
		giB !== undefined && price && Number.isFinite(price.monthlyPerGiB) && price.monthlyPerGiB >= 0
			? {
					what: `Data disk (${giB} GB)`,
					monthly: cents(giB * price.monthlyPerGiB),
					currency: price.currency,
					...(price.note ? { note: price.note } : {})
				}
			: {
					what: giB !== undefined ? `Data disk (${giB} GB)` : 'Data disk',
					note: 'charged by size by the cloud provider (a few cents per GB)'
				};
	// Added to the total only in the server's currency: no exchange rates are guessed.
	const diskPriced = diskLine.monthly !== undefined && diskLine.currency === size.currency;
	return {
		lines: [
			{ what: `Server (${size.name})`, monthly: size.monthlyPrice, currency: size.currency },
			diskLine,
			{ what: 'Git repository, DNS records', monthly: 0, currency: size.currency }
		],
		total: cents(size.monthlyPrice + (diskPriced ? diskLine.monthly! : 0)),
		currency: size.currency,
		diskPriced
	};
}

export function formatMoney(amount: number, currency: string): string {
	try {
		return new Intl.NumberFormat('en', { style: 'currency', currency }).format(amount);
	} catch {
		return `${amount.toFixed(2)} ${currency}`;
	}
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A deployment id (12 lowercase letters/digits) from random bytes. */
export function deploymentIdFrom(bytes: Uint8Array): string {
	if (bytes.length < 12) throw new Error('Need 12 random bytes.');
	let out = '';
	for (let i = 0; i < 12; i++) out += ID_ALPHABET[bytes[i]! % ID_ALPHABET.length];
	// Starts with a letter, so it reads as a name.
	return 'n' + out.slice(1);
}

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';

/** A long random password (for restic) from random bytes, without bias. */
export function passwordFrom(bytes: Uint8Array, length = 32): string {
	let out = '';
	const limit = 256 - (256 % PASSWORD_ALPHABET.length);
	for (const b of bytes) {
		if (b >= limit) continue;
		out += PASSWORD_ALPHABET[b % PASSWORD_ALPHABET.length];
		if (out.length === length) return out;
	}
	throw new Error('Not enough random bytes for a password.');
}

/** S3-compatible backup target as the person enters it. */
export interface BackupTarget {
	endpoint: string;
	bucket: string;
	accessKeyId: string;
	secretAccessKey: string;
}

export function backupProblem(t: BackupTarget): string | undefined {
	let url: URL;
	try {
		url = new URL(t.endpoint.trim());
	} catch {
		return 'The endpoint is a web address, like https://s3.eu-central-1.amazonaws.com.';
	}
	if (url.protocol !== 'https:') return 'The endpoint must start with https://.';
	if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(t.bucket.trim()))
		return 'A bucket name is 3 to 63 lowercase letters, digits, dots or dashes.';
	if (!t.accessKeyId.trim() || !t.secretAccessKey.trim()) return 'Enter both keys of the storage account.';
	return undefined;
}

const SSH_KEY =
	/^(ssh-ed25519|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521|ssh-rsa|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/]+={0,3}( [\x21-\x7e][\x20-\x7e]{0,99})?$/;

/** An optional OpenSSH public key: empty is fine (no SSH at all). */
export function sshKeyProblem(key: string): string | undefined {
	const k = key.trim();
	if (!k) return undefined;
	if (!SSH_KEY.test(k))
		return 'That does not look like an SSH public key (one line starting with ssh-ed25519 or similar).';
	return undefined;
}
