/**
 * The two programs a server downloads beyond Flatcar, each pinned by sha256: the Docker
 * Compose extension (a systemd-sysext image from Flatcar's sysext bakery) and age (the
 * official release tarball, which holds `age/age`; it decrypts the bundle's env files).
 * The server's nassella-fetch unit downloads them, checks the hash and installs them; a
 * download whose hash is not known is never used.
 *
 * KNOWN_SHA256 lists the hashes nassella has checked against published sources. A config
 * may name another version (or a mirror) and must then give the file's sha256 itself.
 */

export type Architecture = 'amd64' | 'arm64';
export type DownloadKind = 'composeSysext' | 'age';

/** What a config may say about one download (`config.composeSysext`, `config.age`). */
export interface DownloadPin {
	/** Upstream version, such as 2.34.0. */
	version: string;
	/** sha256 of the downloaded file (the .raw image, or the .tar.gz); needed when KNOWN_SHA256 has none. */
	sha256?: string;
	/** Full https:// address to download from (a mirror); the upstream address by default. */
	url?: string;
}

/** A download as the server gets it. `sha256` is undefined when neither the table nor the config has one. */
export interface ResolvedDownload {
	version: string;
	sha256: string | undefined;
	url: string;
	/** File name of the upstream download (the sysext is installed under this name). */
	file: string;
}

export const DEFAULT_VERSIONS: Readonly<Record<DownloadKind, string>> = {
	composeSysext: '2.34.0',
	age: '1.2.1'
};

/**
 * Checked hashes, per version and architecture.
 *
 * age v1.2.1: the release tarballs of github.com/FiloSottile/age; the same hashes are
 * pinned by independent projects (cashapp/hermit-packages `age.hcl`, and install scripts
 * and lock files that check the download with sha256sum).
 *
 * Docker Compose extension: none yet. The bakery publishes a SHA256SUMS file with each
 * release (github.com/flatcar/sysext-bakery, release `docker-compose-<version>`); add the
 * line for `docker-compose-<version>-x86-64.raw` and `-arm64.raw` here once checked. Until
 * then a config gives `composeSysext: {version, sha256}` itself.
 */
export const KNOWN_SHA256: Readonly<
	Record<DownloadKind, Readonly<Record<string, Readonly<Partial<Record<Architecture, string>>>>>>
> = {
	composeSysext: {},
	age: {
		'1.2.1': {
			amd64: '7df45a6cc87d4da11cc03a539a7470c15b1041ab2b396af088fe9990f7c79d50',
			arm64: '57fd79a7ece5fe501f351b9dd51a82fbee1ea8db65a8839db17f5c080245e99f'
		}
	}
};

/**
 * Downloads the server may take without a hash, checked by HTTPS alone, while nassella knows no
 * checked hash for them. The Docker Compose extension: its published SHA256SUMS could not be
 * read when this was written; once its line is in KNOWN_SHA256, the pin applies by itself.
 * age: never (its hashes are known).
 */
export const MAY_BE_UNPINNED: Readonly<Record<DownloadKind, boolean>> = { composeSysext: true, age: false };

/** How each download is named where it is published. */
export function downloadFile(kind: DownloadKind, version: string, arch: Architecture): string {
	return kind === 'composeSysext'
		? `docker-compose-${version}-${arch === 'arm64' ? 'arm64' : 'x86-64'}.raw`
		: `age-v${version}-linux-${arch}.tar.gz`;
}

export function upstreamUrl(kind: DownloadKind, version: string, arch: Architecture): string {
	const file = downloadFile(kind, version, arch);
	return kind === 'composeSysext'
		? `https://extensions.flatcar.org/extensions/${file}`
		: `https://github.com/FiloSottile/age/releases/download/v${version}/${file}`;
}

export function knownSha256(kind: DownloadKind, version: string, arch: Architecture): string | undefined {
	return KNOWN_SHA256[kind][version]?.[arch];
}

/** The config's pin (or the default version) with the table's hash and the upstream address filled in. */
export function resolveDownload(
	kind: DownloadKind,
	pin: DownloadPin | undefined,
	arch: Architecture = 'amd64'
): ResolvedDownload {
	const version = pin?.version ?? DEFAULT_VERSIONS[kind];
	return {
		version,
		sha256: pin?.sha256 ?? knownSha256(kind, version, arch),
		url: pin?.url ?? upstreamUrl(kind, version, arch),
		file: downloadFile(kind, version, arch)
	};
}

/** What the person reads when a download has no hash: the thing, the version and what to give. */
export const DOWNLOAD_NAMES: Readonly<Record<DownloadKind, string>> = {
	composeSysext: 'the Docker Compose extension',
	age: 'age'
};

/**
 * A download address a config may name: https only, a host name (no user, no IP address),
 * and only characters that need no quoting anywhere the server uses it.
 */
export const DOWNLOAD_URL = /^https:\/\/[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?\/[A-Za-z0-9._~%/+=&?-]{0,900}$/;
