/** Hetzner's label selector grammar, as the fake evaluates it (docs.hetzner.cloud, "Label Selector"). */
export type LabelMap = Record<string, string>;

function splitTopLevel(selector: string): string[] {
	const parts: string[] = [];
	let depth = 0;
	let cur = '';
	for (const ch of selector) {
		if (ch === '(') depth++;
		if (ch === ')') depth--;
		if (ch === ',' && depth === 0) {
			parts.push(cur);
			cur = '';
		} else cur += ch;
	}
	if (cur.trim()) parts.push(cur);
	return parts.map((p) => p.trim()).filter(Boolean);
}

/** True when `labels` satisfy every expression; throws on a malformed selector. */
export function matchesSelector(labels: LabelMap, selector: string): boolean {
	return splitTopLevel(selector).every((expr) => {
		let m: RegExpExecArray | null;
		if ((m = /^([\w./-]+)\s*(==|=|!=)\s*([\w./-]*)$/.exec(expr))) {
			const [, k, op, v] = m;
			return op === '!=' ? labels[k!] !== v : labels[k!] === v;
		}
		if ((m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(expr))) {
			const values = m[3]!.split(',').map((s) => s.trim());
			const has = labels[m[1]!] !== undefined && values.includes(labels[m[1]!]!);
			return m[2] === 'in' ? has : !has;
		}
		if ((m = /^!([\w./-]+)$/.exec(expr))) return labels[m[1]!] === undefined;
		if ((m = /^([\w./-]+)$/.exec(expr))) return labels[m[1]!] !== undefined;
		throw new Error(`invalid label selector: ${expr}`);
	});
}
