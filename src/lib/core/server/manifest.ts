/** MANIFEST.sha256: `sha256sum` format, sorted by path; the sync script checks it with `sha256sum -c`. */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { RenderError } from './app.ts';

export const MANIFEST_PATH = 'MANIFEST.sha256';
export const BUNDLE_PATH = /^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*$/;

/** The SHA-256 of the text's UTF-8 bytes in lowercase hex, as `sha256sum` prints it (synchronous, so rendering stays pure). */
export function sha256Hex(text: string): string {
	return bytesToHex(sha256(utf8ToBytes(text)));
}

export interface BundleFile {
	path: string;
	contents: string;
	/** Executable scripts get 0755 in the tree. */
	executable?: boolean;
}

export function renderManifest(files: readonly BundleFile[], hash: (text: string) => string = sha256Hex): string {
	const paths = new Set<string>();
	for (const f of files) {
		if (!BUNDLE_PATH.test(f.path) || f.path.split('/').some((p) => p === '.' || p === '..'))
			throw new RenderError(`"${f.path.slice(0, 60)}" is not a bundle path.`);
		if (f.path === MANIFEST_PATH || paths.has(f.path)) throw new RenderError(`${f.path} appears twice in the bundle.`);
		paths.add(f.path);
	}
	return [...files]
		.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
		.map((f) => `${hash(f.contents)}  ${f.path}\n`)
		.join('');
}

/** Checks files against a manifest; returns the problems (empty when all match). */
export function checkManifest(
	manifest: string,
	files: readonly BundleFile[],
	hash: (text: string) => string = sha256Hex
): string[] {
	const problems: string[] = [];
	const listed = new Map<string, string>();
	for (const line of manifest.split('\n')) {
		if (line === '') continue;
		const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
		if (!m) {
			problems.push(`malformed manifest line: ${line.slice(0, 60)}`);
			continue;
		}
		listed.set(m[2]!, m[1]!);
	}
	for (const f of files) {
		if (f.path === MANIFEST_PATH) continue;
		const want = listed.get(f.path);
		if (!want) problems.push(`${f.path} is not in the manifest`);
		else if (want !== hash(f.contents)) problems.push(`${f.path} does not match its hash`);
		listed.delete(f.path);
	}
	for (const p of listed.keys()) problems.push(`${p} is listed but missing`);
	return problems;
}
