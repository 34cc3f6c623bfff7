import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { toYaml } from './yaml.ts';

const TRICKY = [
	'',
	' ',
	'plain',
	'true',
	'True',
	'no',
	'yes',
	'on',
	'null',
	'~',
	'1',
	'-1',
	'+1',
	'1.5',
	'.5',
	'1e3',
	'0x1F',
	'0o17',
	'0755',
	'.inf',
	'-.inf',
	'.nan',
	'-',
	'- a',
	'-q',
	'--flag=value',
	'? x',
	'?x',
	': x',
	':x',
	'a: b',
	'a:b',
	'80:80',
	'443:443/udp',
	'1:2:3',
	'x:',
	'a #b',
	'a#b',
	'#x',
	'&a',
	'*a',
	'!tag',
	'|',
	'>',
	"'",
	'"',
	'say "hi"',
	`it's "both"`,
	'%x',
	'@x',
	'`x',
	'{a}',
	'[a]',
	'["matrix.org"]',
	'a, b',
	',',
	'a\nb',
	'a\n',
	'a\tb',
	'\u0000',
	'\u0007bell',
	'\u0085',
	'\u2028',
	'é',
	'日本語',
	'emoji 😀',
	'${VAR}',
	'$${HOME}',
	'  lead',
	'trail ',
	'\\',
	'C:\\path',
	'<script>alert(1)</script>'
];

describe('toYaml', () => {
	it('writes every tricky string, as a value and as a key, so that a YAML reader gives it back', () => {
		for (const s of TRICKY) {
			const doc = { [s]: s, list: [s, { [s]: [s] }] };
			expect(parse(toYaml(doc)), JSON.stringify(s)).toEqual(doc);
		}
	});

	it('keeps numbers, booleans, null and empty collections', () => {
		const doc = { n: 3, f: 1.25, neg: -7, t: true, f2: false, z: null, a: [], o: {}, nested: [[1, [2]], [], {}] };
		expect(parse(toYaml(doc))).toEqual(doc);
	});

	it('lays out maps and sequences as the yaml library does', () => {
		const doc = {
			name: 'nassella',
			services: {
				app: {
					image: 'example/app:1.2',
					ports: ['80:80'],
					command: ['sh', '-c', 'echo "hi" && exit 0'],
					environment: { A: '1', B: 'x y', C: '["a"]' },
					healthcheck: { test: ['CMD', 'wget', '-q'], retries: 3 },
					deploy: { resources: { limits: { memory: '256M' } } }
				}
			},
			list: [{ a: 1, b: [1, 2] }, [1, 2], 'x']
		};
		expect(toYaml(doc)).toBe(stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false }));
	});

	it('refuses what YAML cannot say', () => {
		expect(() => toYaml({ n: Number.NaN })).toThrow(/finite/);
		expect(() => toYaml({ f: () => 1 })).toThrow(/function/);
	});
});
