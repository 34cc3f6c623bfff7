/**
 * git objects as git itself writes them: the commit payload that gets signed, the same
 * commit with its `gpgsig` header, the tree layout of a bundle, and the raw encodings of
 * blobs, trees and commits (so anything that stores objects computes real git ids).
 * Pure: hashing is left to the caller.
 */
import { concatBytes, fromHex, utf8 } from './bytes.ts';

export interface GitIdentity {
	name: string;
	email: string;
}

export interface GitSignatureLine extends GitIdentity {
	/** Seconds since the epoch. */
	timestamp: number;
	/** Minutes east of UTC (git's "+0100" is 60). */
	timezoneOffset: number;
}

export interface CommitFields {
	tree: string;
	parents: readonly string[];
	author: GitSignatureLine;
	committer: GitSignatureLine;
	message: string;
}

const OID = /^[0-9a-f]{40}$/;

function assertOid(oid: string, what: string): void {
	if (!OID.test(oid)) throw new Error(`${what} must be a 40-character lowercase git object id.`);
}

function assertIdentity(who: GitIdentity): void {
	if (!who.name || /[<>\n\0]/.test(who.name))
		throw new Error('A git name must not be empty or contain <, >, or newlines.');
	if (!who.email || /[<>\s\0]/.test(who.email))
		throw new Error('A git email must not be empty or contain <, > or spaces.');
}

export function formatTimezone(offsetMinutes: number): string {
	const sign = offsetMinutes < 0 ? '-' : '+';
	const abs = Math.abs(offsetMinutes);
	return `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}${String(abs % 60).padStart(2, '0')}`;
}

function personLine(who: GitSignatureLine): string {
	assertIdentity(who);
	if (!Number.isInteger(who.timestamp) || who.timestamp < 0) throw new Error('A git timestamp is whole seconds.');
	return `${who.name} <${who.email}> ${who.timestamp} ${formatTimezone(who.timezoneOffset)}`;
}

/** A commit message the way git stores it: no trailing blanks, exactly one final newline. */
export function normalizeMessage(message: string): string {
	const trimmed = message.replace(/\r\n?/g, '\n').replace(/\s+$/, '');
	if (!trimmed) throw new Error('A commit needs a message.');
	if (trimmed.includes('\0')) throw new Error('A commit message cannot contain NUL characters.');
	return trimmed + '\n';
}

/** The commit object's text without signature: exactly the bytes git signs. */
export function commitPayload(fields: CommitFields): string {
	assertOid(fields.tree, 'The tree');
	fields.parents.forEach((p) => assertOid(p, 'A parent'));
	const lines = [`tree ${fields.tree}`, ...fields.parents.map((p) => `parent ${p}`)];
	lines.push(`author ${personLine(fields.author)}`, `committer ${personLine(fields.committer)}`);
	return `${lines.join('\n')}\n\n${normalizeMessage(fields.message)}`;
}

/**
 * Inserts the armored signature as a `gpgsig` header at the end of the header block,
 * each continuation line indented by one space (git's add_header_signature).
 */
export function addSignatureHeader(payload: string, armoredSignature: string): string {
	const end = payload.indexOf('\n\n');
	if (end < 0) throw new Error('A commit payload has a header block followed by a blank line.');
	const sig = armoredSignature.endsWith('\n') ? armoredSignature : armoredSignature + '\n';
	const header = 'gpgsig' + sig.replace(/^/gm, ' ').replace(/ $/, '');
	return payload.slice(0, end + 1) + header + payload.slice(end + 1);
}

/** A commit time stamp in UTC, as GitHub and git both understand it. */
export function signatureLineAt(who: GitIdentity, date: Date): GitSignatureLine {
	return { ...who, timestamp: Math.floor(date.getTime() / 1000), timezoneOffset: 0 };
}

// ---------------------------------------------------------------------------------------
// Trees

export const MODE_FILE = '100644' as const;
export const MODE_EXECUTABLE = '100755' as const;
export const MODE_TREE = '40000';

export interface TreeFile {
	path: string;
	content: string | Uint8Array;
	executable?: boolean;
}

export interface TreeNode {
	files: Map<string, { content: Uint8Array; mode: typeof MODE_FILE | typeof MODE_EXECUTABLE }>;
	dirs: Map<string, TreeNode>;
}

const SEGMENT = /^[A-Za-z0-9._@+=,-][A-Za-z0-9 ._@+=,-]{0,254}$/;

/** Refuses paths that could escape the repo or confuse git: absolute, `..`, `.git`, odd characters. */
export function checkRepoPath(path: string): string[] {
	const segments = path.split('/');
	for (const segment of segments) {
		if (!SEGMENT.test(segment) || segment === '.' || segment === '..' || segment.toLowerCase() === '.git')
			throw new Error(`The file path "${path.slice(0, 200)}" is not allowed in the config repo.`);
	}
	if (path.length > 1024) throw new Error('A file path in the config repo is at most 1024 characters.');
	return segments;
}

/** Lays the bundle out as nested directories; refuses duplicates and file/directory clashes. */
export function buildTree(files: readonly TreeFile[]): TreeNode {
	const root: TreeNode = { files: new Map(), dirs: new Map() };
	if (files.length === 0) throw new Error('A bundle has at least one file.');
	for (const file of files) {
		const segments = checkRepoPath(file.path);
		const name = segments.pop() as string;
		let node = root;
		for (const segment of segments) {
			if (node.files.has(segment)) throw new Error(`"${file.path}" clashes with a file of the same name.`);
			let next = node.dirs.get(segment);
			if (!next) node.dirs.set(segment, (next = { files: new Map(), dirs: new Map() }));
			node = next;
		}
		if (node.files.has(name) || node.dirs.has(name)) throw new Error(`"${file.path}" appears twice in the bundle.`);
		const content = typeof file.content === 'string' ? utf8(file.content) : file.content;
		node.files.set(name, { content, mode: file.executable ? MODE_EXECUTABLE : MODE_FILE });
	}
	return root;
}

/** The flat list of files with their git modes, sorted by path (the order GitHub's tree API takes). */
export function flattenFiles(
	files: readonly TreeFile[]
): { path: string; mode: typeof MODE_FILE | typeof MODE_EXECUTABLE; content: Uint8Array }[] {
	buildTree(files); // validates
	return files
		.map((f) => ({
			path: f.path,
			mode: f.executable ? (MODE_EXECUTABLE as typeof MODE_EXECUTABLE) : (MODE_FILE as typeof MODE_FILE),
			content: typeof f.content === 'string' ? utf8(f.content) : f.content
		}))
		.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

export interface TreeEntry {
	mode: string;
	name: string;
	oid: string;
}

/** git's tree order: byte order of names, directories compared as if they ended in "/". */
export function sortTreeEntries(entries: readonly TreeEntry[]): TreeEntry[] {
	const key = (e: TreeEntry) => (e.mode === MODE_TREE ? e.name + '/' : e.name);
	return [...entries].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** `<type> <length>\0<body>`: hash this with SHA-1 for the object id. */
export function encodeObject(type: 'blob' | 'tree' | 'commit', body: Uint8Array): Uint8Array<ArrayBuffer> {
	return concatBytes([utf8(`${type} ${body.length}\0`), body]);
}

/** The body of a tree object. */
export function encodeTreeBody(entries: readonly TreeEntry[]): Uint8Array<ArrayBuffer> {
	const parts: Uint8Array[] = [];
	for (const entry of sortTreeEntries(entries)) {
		assertOid(entry.oid, 'A tree entry');
		parts.push(utf8(`${entry.mode} ${entry.name}\0`), fromHex(entry.oid));
	}
	return concatBytes(parts);
}
