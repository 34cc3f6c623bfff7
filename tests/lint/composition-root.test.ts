/**
 * The composition-root rule (lint/composition-root.js, used by eslint.config.js) must bite:
 * each case is a flow written into src/lib/main, linted as if it lived there; the same code
 * in a service, and plain wiring in main, pass. Then every file of src/lib/main passes today.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { MAIN_MAX_LINES } from '../../lint/composition-root.js';

const eslint = new ESLint({ cwd: process.cwd() });
const RULES = new Set(['nassella/only-wires', 'max-lines']);

async function flowFindings(filePath: string, code: string): Promise<string[]> {
	const [result] = await eslint.lintText(code, { filePath });
	return (result?.messages ?? []).filter((m) => m.ruleId && RULES.has(m.ruleId)).map((m) => m.message);
}

const flows: [string, string][] = [
	[
		'a loop over work',
		'export async function f(xs: string[], g: (x: string) => Promise<void>) { for (const x of xs) await g(x); }'
	],
	['a while loop', 'export function f(n: number) { let i = 0; while (i < n) i++; return i; }'],
	[
		'recovering from a failure',
		'export async function f(g: () => Promise<void>) { try { await g(); } catch { return; } }'
	],
	[
		'writing a DNS record',
		"export async function f(dns: { upsert(z: string, r: object): Promise<void> }) { await dns.upsert('z', { name: 'a' }); }"
	],
	[
		'moving a deployment’s state machine',
		"import { transition } from '../core/deploy/machine.ts';\nexport const f = (s: never) => transition(s, { type: 'cancel', at: 0 } as never);"
	],
	[
		'a wiring file grown too long',
		Array.from({ length: MAIN_MAX_LINES + 1 }, (_, i) => `export const v${i} = ${i};`).join('\n')
	]
];

describe('the composition root only wires', () => {
	it.each(flows)('rejects %s in src/lib/main', async (_name, code) => {
		expect(await flowFindings('src/lib/main/fixture.ts', code)).not.toEqual([]);
	});

	it.each(flows)('allows %s in src/lib/services', async (_name, code) => {
		expect(await flowFindings('src/lib/services/fixture.ts', code)).toEqual([]);
	});

	it('allows wiring: adapters picked for ports and handed to a service', async () => {
		const code = [
			"import { DeployController } from '../services/deploy/controller.ts';",
			'export async function controller(pick: (id: string) => Promise<never>, id: string) {',
			"\tconst [cloud, dns] = await Promise.all([pick('cloud'), pick('dns')]);",
			'\treturn new DeployController({ cloud, dns } as never, id);',
			'}'
		].join('\n');
		expect(await flowFindings('src/lib/main/fixture.ts', code)).toEqual([]);
	});

	it('holds for every file of src/lib/main today', async () => {
		const dir = 'src/lib/main';
		for (const name of readdirSync(dir).filter((n) => n.endsWith('.ts') && !n.endsWith('.d.ts'))) {
			const path = `${dir}/${name}`;
			expect(await flowFindings(path, readFileSync(path, 'utf8')), path).toEqual([]);
		}
	});
});
