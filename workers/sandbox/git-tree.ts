/** Reading git tree objects, for the fakes that keep real git objects (the GitHub fake and the simulated server). */

export interface TreeEntry {
	mode: string;
	name: string;
	oid: string;
}

/** The entries of a tree object's body (mode, name, object id), in their stored order. */
export function treeEntries(body: Uint8Array): TreeEntry[] {
	const out: TreeEntry[] = [];
	let i = 0;
	while (i < body.length) {
		const space = body.indexOf(0x20, i);
		const nul = body.indexOf(0, space);
		const mode = new TextDecoder().decode(body.subarray(i, space));
		const name = new TextDecoder().decode(body.subarray(space + 1, nul));
		const oid = Buffer.from(body.subarray(nul + 1, nul + 21)).toString('hex');
		out.push({ mode, name, oid });
		i = nul + 21;
	}
	return out;
}
