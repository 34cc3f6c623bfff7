/**
 * Reads a bundle out of the sandbox git host's object store, the way the server's sync
 * would after `git fetch`: the commit, its SSH signature (checked against the server's
 * allowed signers, as `git verify-commit` does), and every file of its tree.
 */
import { createHash, verify as verifySignature, createPublicKey } from 'node:crypto';
import { sshsigSignedData, parseSshsig, GIT_NAMESPACE } from '../../../src/lib/core/git/sshsig.ts';
import { parseOpenSshPublicKey } from '../../../src/lib/core/git/openssh.ts';
import { treeEntries } from '../git-tree.ts';

export interface GitObject {
	type: 'blob' | 'tree' | 'commit';
	body: Uint8Array;
}

export type ObjectStore = Map<string, GitObject>;

export interface CommitInfo {
	tree: string;
	parents: string[];
	/** The armored SSH signature, when the commit carries one. */
	signature?: string;
	/** The commit as it was signed (without its gpgsig header). */
	payload: string;
	message: string;
}

export function readCommit(objects: ObjectStore, oid: string): CommitInfo {
	const o = objects.get(oid);
	if (!o || o.type !== 'commit') throw new Error(`commit ${oid.slice(0, 7)} is missing`);
	const text = new TextDecoder().decode(o.body);
	const split = text.indexOf('\n\n');
	const head = split === -1 ? text : text.slice(0, split);
	const message = split === -1 ? '' : text.slice(split + 2);
	const kept: string[] = [];
	let signature: string[] | undefined;
	let inSig = false;
	for (const line of head.split('\n')) {
		if (line.startsWith('gpgsig ')) {
			signature = [line.slice(7)];
			inSig = true;
		} else if (inSig && line.startsWith(' ')) signature!.push(line.slice(1));
		else {
			inSig = false;
			kept.push(line);
		}
	}
	const tree = kept.find((l) => l.startsWith('tree '))?.slice(5) ?? '';
	const parents = kept.filter((l) => l.startsWith('parent ')).map((l) => l.slice(7));
	return {
		tree,
		parents,
		signature: signature?.join('\n'),
		payload: `${kept.join('\n')}\n\n${message}`,
		message
	};
}

/** Whether the commit is signed (namespace "git") by one of the allowed signers' keys. */
export function signedByAllowed(commit: CommitInfo, allowedSigners: string): boolean {
	if (!commit.signature) return false;
	let sig;
	try {
		sig = parseSshsig(commit.signature);
	} catch {
		return false;
	}
	if (sig.namespace !== GIT_NAMESPACE || sig.hashAlgorithm !== 'sha512') return false;
	const allowed = allowedSigners
		.split('\n')
		.map((line) => /namespaces="git"\s+(ssh-ed25519\s+\S+)/.exec(line)?.[1])
		.filter((k): k is string => k !== undefined)
		.map((k) => Buffer.from(parseOpenSshPublicKey(k).key).toString('hex'));
	if (!allowed.includes(Buffer.from(sig.publicKey).toString('hex'))) return false;
	const digest = createHash('sha512').update(commit.payload).digest();
	const key = createPublicKey({
		key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(sig.publicKey).toString('base64url') },
		format: 'jwk'
	});
	return verifySignature(null, sshsigSignedData(new Uint8Array(digest)), key, sig.signature);
}

/** Every file of a tree, path → text. */
export function readTree(objects: ObjectStore, treeOid: string, prefix = '', out = new Map<string, string>()) {
	const o = objects.get(treeOid);
	if (!o || o.type !== 'tree') throw new Error(`tree ${treeOid.slice(0, 7)} is missing`);
	for (const { mode, name, oid } of treeEntries(o.body)) {
		const path = prefix ? `${prefix}/${name}` : name;
		if (mode === '40000') readTree(objects, oid, path, out);
		else {
			const blob = objects.get(oid);
			if (!blob || blob.type !== 'blob') throw new Error(`${path} is missing`);
			out.set(path, new TextDecoder().decode(blob.body));
		}
	}
	return out;
}
