/**
 * The Ignition 3.3.0 config (flatcar-server.md §1, §9): the newest spec both Flatcar and
 * Debian's ignition-validate accept. It carries only what the server needs before it can
 * fetch the signed bundle: keys, the sync script, units and update policy. Apps, Caddy
 * and secrets for apps come from the bundle.
 *
 * Ignition downloads nothing: a failed download there stops the boot in the initramfs and
 * the server never says why. The Docker Compose extension and age are downloaded on the
 * booted server by nassella-fetch, checked against the sha256 written into sync.conf.
 */
import { gzipSync } from 'fflate';
import type { Deployment, RebootWindow } from '../model/config.ts';
import { parseGitSshUrl } from '../model/config.ts';
import { MAY_BE_UNPINNED, resolveDownload, type DownloadKind } from '../model/downloads.ts';
import { RenderError } from './app.ts';
import { toBase64 } from '../base64.ts';
import { SCRIPTS } from './scripts.gen.ts';
import { renderUnits } from './units.ts';
import { BIN_DIR, COMPOSE_PROJECT, ETC_DIR, ROOT, RUN_DIR } from './paths.ts';

export const IGNITION_VERSION = '3.3.0';
/** Hetzner's user-data limit, the smallest of the providers nassella targets for Flatcar. */
export const IGNITION_MAX_BYTES = 32 * 1024;

interface IgnFile {
	path: string;
	mode: number;
	overwrite?: boolean;
	contents: { source: string; compression?: 'gzip'; verification?: { hash: string } };
}

/** Bytes that stand for themselves in a percent-encoded data URL (all else is %XX; a space is %20). */
const URL_SAFE = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()/:;=?@")
	URL_SAFE[c.charCodeAt(0)] = 1;
const HEX = '0123456789ABCDEF';

/** ASCII bytes as text, in slices small enough to pass as arguments (as toBase64 does). */
function ascii(bytes: Uint8Array, from: number, to: number): string {
	let text = '';
	for (let i = from; i < to; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, Math.min(i + 0x8000, to)));
	return text;
}

/** Results kept by their input text, for the embedded scripts that are the same in every render. */
function remember<T>(cache: Map<string, T>, text: string, make: () => T): T {
	const known = cache.get(text);
	if (known !== undefined) return known;
	const made = make();
	if (cache.size >= 16) cache.clear();
	cache.set(text, made);
	return made;
}

/** The shorter of a percent-encoded and a base64 data URL, deterministically. */
export function dataUrl(text: string): string {
	const bytes = new TextEncoder().encode(text);
	let escaped = 0;
	for (let i = 0; i < bytes.length; i++) if (!URL_SAFE[bytes[i]!]) escaped++;
	// base64 is 4 characters per 3 bytes; percent-encoding 3 per escaped byte, 1 per other.
	const pctLength = 'data:,'.length + bytes.length + 2 * escaped;
	const b64Length = 'data:;base64,'.length + 4 * Math.ceil(bytes.length / 3);
	if (pctLength > b64Length) return `data:;base64,${toBase64(bytes)}`;
	const parts: string[] = [];
	let from = 0;
	for (let i = 0; i < bytes.length; i++) {
		const b = bytes[i]!;
		if (URL_SAFE[b]) continue;
		if (from < i) parts.push(ascii(bytes, from, i));
		parts.push(`%${HEX[b >> 4]}${HEX[b & 15]}`);
		from = i + 1;
	}
	if (from < bytes.length) parts.push(ascii(bytes, from, bytes.length));
	return `data:,${parts.join('')}`;
}

function file(path: string, text: string, mode = 0o644): IgnFile {
	return { path, mode, overwrite: true, contents: { source: dataUrl(text) } };
}

const packed = new Map<string, { source: string; compression?: 'gzip' }>();

/** A gzip data URL (Ignition unpacks it) when that is shorter; for the large scripts. */
export function gzipDataUrl(text: string): { source: string; compression?: 'gzip' } {
	const out = remember(packed, text, () => {
		// mtime 0: no time stamp in the gzip header, so the same text gives the same bytes.
		const gz = `data:;base64,${toBase64(gzipSync(new TextEncoder().encode(text), { level: 9, mtime: 0 }))}`;
		const plain = dataUrl(text);
		return gz.length < plain.length ? { source: gz, compression: 'gzip' as const } : { source: plain };
	});
	return { ...out };
}

function packedFile(path: string, text: string, mode: number): IgnFile {
	return { path, mode, overwrite: true, contents: gzipDataUrl(text) };
}

/**
 * Where bash is at the end of a line: a stack of contexts (a command substitution with its
 * open parentheses, a single- or double-quoted string); empty at plain command level.
 */
type ShellContext = ({ kind: 'sub'; depth: number } | { kind: "'" } | { kind: '"' })[];

function contextAfter(line: string, stack: ShellContext): ShellContext {
	const st = stack.map((c) => ({ ...c }));
	for (let i = 0; i < line.length; i++) {
		const c = line[i]!;
		const top = st.at(-1);
		if (top?.kind === "'") {
			if (c === "'") st.pop();
		} else if (c === '\\') i++;
		else if (c === '$' && line[i + 1] === '(') {
			st.push({ kind: 'sub', depth: 0 });
			i++;
		} else if (top?.kind === '"') {
			if (c === '"') st.pop();
		} else if (c === "'" || c === '"') st.push({ kind: c });
		else if (c === '(' && top?.kind === 'sub') top.depth++;
		else if (c === ')' && top?.kind === 'sub') {
			if (top.depth === 0) st.pop();
			else top.depth--;
		} else if (c === '#' && (i === 0 || /[\s;(|&]/.test(line[i - 1]!))) break;
	}
	return st;
}

const compacted = new Map<string, string>();

/**
 * A bash script without what bash ignores: comment lines, blank lines and indentation, to
 * keep the Ignition config small. Lines that begin inside a quoted string spanning lines are
 * kept as they are; the first line (#!) and shellcheck directives stay. Here-documents are refused (their bodies
 * would change). tests/server/scripts.test.ts checks that bash parses both to one program.
 */
export function compactShell(text: string): string {
	return remember(compacted, text, () => compactOnce(text));
}

function compactOnce(text: string): string {
	if (/<<-?[ \t]*['"]?[A-Za-z_]/.test(text.replace(/<<</g, '')))
		throw new RenderError('compactShell does not handle here-documents.');
	const out: string[] = [];
	let stack: ShellContext = [];
	text.split('\n').forEach((raw, i) => {
		let line = raw;
		if (i === 0 && line.startsWith('#!')) {
			out.push(line);
			return;
		}
		const inString = stack.some((c) => c.kind !== 'sub');
		if (!inString) {
			line = line.replace(/^[ \t]+/, '');
			// shellcheck directives stay: the shipped scripts are checked too.
			if (line === '' || (line.startsWith('#') && !line.startsWith('# shellcheck '))) return;
		}
		stack = contextAfter(line, stack);
		out.push(line);
	});
	return `${out.join('\n')}\n`;
}

function shellSingleQuote(v: string): string {
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f']/.test(v))
		throw new RenderError('A value for the sync settings contains a quote or control character.');
	return `'${v}'`;
}

export function knownHostsLines(url: string, hostKeys: readonly string[]): string {
	const remote = parseGitSshUrl(url);
	if (!remote) throw new RenderError('The git remote is not an SSH URL.');
	const hostField = remote.port === 22 ? remote.host : `[${remote.host}]:${remote.port}`;
	return hostKeys.map((k) => `${hostField} ${k}\n`).join('');
}

export function allowedSigners(signers: readonly string[]): string {
	return signers
		.map((k, i) => {
			const [type, key] = k.split(' ');
			return `nassella-signer-${i + 1} namespaces="git" ${type} ${key}\n`;
		})
		.join('');
}

/** The Docker Compose extension and age as nassella-fetch downloads them: address and checked sha256. */
function pinnedDownload(d: Deployment, kind: DownloadKind) {
	const r = resolveDownload(kind, d.config[kind], d.config.architecture ?? 'amd64');
	// validateDeployment refuses a download without a hash unless it may go unpinned; this guards direct callers.
	if (!r.sha256 && !MAY_BE_UNPINNED[kind])
		throw new RenderError(`No sha256 is known for ${kind} ${r.version}: give config.${kind}.sha256.`);
	return { ...r, sha256: r.sha256 ?? '' };
}

/**
 * /etc/flatcar/update.conf: reboot for updates, inside the reboot window (locksmithd). Ignition
 * writes it at first boot; the bundle carries the same file (`update.conf`), which the sync
 * service puts in place after each run, so a changed window arrives with a signed commit.
 */
export function renderUpdateConf(w: RebootWindow): string {
	return `REBOOT_STRATEGY=reboot\nLOCKSMITHD_REBOOT_WINDOW_START="${w.start}"\nLOCKSMITHD_REBOOT_WINDOW_LENGTH=${w.length}\n`;
}

export function renderIgnitionObject(d: Deployment): Record<string, unknown> {
	const { config, secrets } = d;
	const compose = pinnedDownload(d, 'composeSysext');
	const age = pinnedDownload(d, 'age');
	const files: IgnFile[] = [
		file('/etc/flatcar/update.conf', renderUpdateConf(config.rebootWindow)),
		file('/etc/docker/daemon.json', '{"log-driver":"journald"}\n'),
		file('/etc/systemd/journald.conf.d/size.conf', '[Journal]\nSystemMaxUse=1G\n'),
		file(
			`${ETC_DIR}/sync.conf`,
			[
				'# Read by nassella-sync and nassella-fetch.',
				`REMOTE_URL=${shellSingleQuote(config.git.url)}`,
				`BRANCH=${shellSingleQuote(config.git.branch)}`,
				`ROOT=${ROOT}`,
				`ETC=${ETC_DIR}`,
				`RUN=${RUN_DIR}`,
				`PROJECT=${COMPOSE_PROJECT}`,
				`DATA_DEVICE=${shellSingleQuote(config.dataDevice)}`,
				`COMPOSE_FILE=${shellSingleQuote(compose.file)}`,
				`COMPOSE_URL=${shellSingleQuote(compose.url)}`,
				`COMPOSE_SHA256=${compose.sha256}`,
				`AGE_URL=${shellSingleQuote(age.url)}`,
				`AGE_SHA256=${age.sha256}`,
				''
			].join('\n'),
			0o600
		),
		file(
			`${ETC_DIR}/deploy_key`,
			secrets.deployKey.endsWith('\n') ? secrets.deployKey : `${secrets.deployKey}\n`,
			0o600
		),
		file(`${ETC_DIR}/known_hosts`, knownHostsLines(config.git.url, config.git.hostKeys)),
		file(`${ETC_DIR}/allowed_signers`, allowedSigners(config.commitSigners)),
		file(`${ETC_DIR}/age-identity`, `${secrets.ageIdentity}\n`, 0o400),
		// The matching public key, reported as the server's identity in status.json.
		file(`${ETC_DIR}/age-recipient`, `${config.ageRecipient}\n`),
		packedFile(`${BIN_DIR}/nassella-sync`, compactShell(SCRIPTS['nassella-sync.sh']!), 0o755),
		packedFile(`${BIN_DIR}/nassella-fetch`, compactShell(SCRIPTS['fetch.sh']!), 0o755),
		packedFile(`${BIN_DIR}/nassella-format-data`, compactShell(SCRIPTS['format-data.sh']!), 0o755)
	];
	if (config.restoreFromBackup)
		files.push(
			file(
				`${ETC_DIR}/restore-from-backup`,
				`# Restore this snapshot before the apps first start (latest: the newest).\nSNAPSHOT=${config.restoreSnapshot ?? 'latest'}\n`
			)
		);
	const units = renderUnits(config);
	const ign: Record<string, unknown> = {
		ignition: { version: IGNITION_VERSION },
		...(config.sshKeys?.length ? { passwd: { users: [{ name: 'core', sshAuthorizedKeys: config.sshKeys }] } } : {}),
		storage: {
			files,
			links: [
				{
					path: '/etc/localtime',
					target: `/usr/share/zoneinfo/${config.rebootWindow.timezone}`,
					hard: false,
					overwrite: true
				}
			]
		},
		systemd: { units }
	};
	return ign;
}

export function renderIgnition(d: Deployment): string {
	const text = JSON.stringify(renderIgnitionObject(d));
	const size = new TextEncoder().encode(text).length;
	if (size > IGNITION_MAX_BYTES)
		throw new RenderError(
			`The server's start-up configuration is ${Math.ceil(size / 1024)} KiB; providers accept at most 32 KiB. Remove SSH keys or commit signers you do not need.`
		);
	return text;
}
