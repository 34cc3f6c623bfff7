import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
	addSignatureHeader,
	buildTree,
	checkRepoPath,
	commitPayload,
	flattenFiles,
	formatTimezone,
	normalizeMessage,
	sortTreeEntries
} from './objects.ts';

const oid = (c: string) => c.repeat(40);
const who = { name: 'nassella', email: 'n@example.org', timestamp: 1_700_000_000, timezoneOffset: 0 };

describe('commit objects', () => {
	it('lays out the payload exactly as git does', () => {
		expect(
			commitPayload({
				tree: oid('a'),
				parents: [oid('b')],
				author: who,
				committer: { ...who, timezoneOffset: -330 },
				message: 'Hi\n\n'
			})
		).toBe(
			`tree ${oid('a')}\nparent ${oid('b')}\nauthor nassella <n@example.org> 1700000000 +0000\ncommitter nassella <n@example.org> 1700000000 -0530\n\nHi\n`
		);
		expect(formatTimezone(60)).toBe('+0100');
	});

	it('refuses header injection through names, emails and ids', () => {
		const base = { tree: oid('a'), parents: [], author: who, committer: who, message: 'm' };
		expect(() => commitPayload({ ...base, author: { ...who, name: 'x\nparent ' + oid('c') } })).toThrow();
		expect(() => commitPayload({ ...base, author: { ...who, email: 'a> b' } })).toThrow();
		expect(() => commitPayload({ ...base, tree: 'HEAD' })).toThrow();
		expect(() => normalizeMessage('  \n')).toThrow();
	});

	it('inserts the signature as an indented gpgsig header before the message', () => {
		const payload = `tree ${oid('a')}\nauthor x\ncommitter x\n\nmsg\n`;
		const signed = addSignatureHeader(payload, '-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n');
		expect(signed).toBe(
			`tree ${oid('a')}\nauthor x\ncommitter x\ngpgsig -----BEGIN SSH SIGNATURE-----\n AAAA\n -----END SSH SIGNATURE-----\n\nmsg\n`
		);
	});
});

describe('bundle trees', () => {
	it('nests directories and keeps modes', () => {
		const tree = buildTree([
			{ path: 'a/b/c.txt', content: 'x' },
			{ path: 'a/run.sh', content: 'y', executable: true }
		]);
		expect(tree.dirs.get('a')?.files.get('run.sh')?.mode).toBe('100755');
		expect(tree.dirs.get('a')?.dirs.get('b')?.files.get('c.txt')?.mode).toBe('100644');
	});

	it('refuses escaping, hidden-git, duplicate and clashing paths', () => {
		for (const bad of ['../x', '/etc/passwd', 'a//b', '.git/config', 'a/.GIT/x', 'a/./b', 'a\\b', 'a\nb', ''])
			expect(() => checkRepoPath(bad), bad).toThrow();
		expect(() =>
			buildTree([
				{ path: 'a', content: '' },
				{ path: 'a', content: '' }
			])
		).toThrow(/twice/);
		expect(() =>
			buildTree([
				{ path: 'a', content: '' },
				{ path: 'a/b', content: '' }
			])
		).toThrow(/clashes/);
		expect(() => buildTree([])).toThrow();
	});

	it('sorts tree entries in git order (directories as if followed by "/")', () => {
		const sorted = sortTreeEntries([
			{ mode: '40000', name: 'a', oid: oid('1') },
			{ mode: '100644', name: 'a.txt', oid: oid('2') },
			{ mode: '100644', name: 'a-b', oid: oid('3') }
		]);
		expect(sorted.map((e) => e.name)).toEqual(['a-b', 'a.txt', 'a']);
	});

	it('flattens any valid bundle to a sorted list of the same files', () => {
		const segment = fc.stringMatching(/^[a-z][a-z0-9._-]{0,8}$/);
		fc.assert(
			fc.property(
				fc.uniqueArray(
					fc.array(segment, { minLength: 1, maxLength: 3 }).map((s) => s.join('/')),
					{ minLength: 1, maxLength: 20 }
				),
				(paths) => {
					const clash = paths.some((p) => paths.some((q) => q.startsWith(p + '/')));
					fc.pre(!clash);
					const flat = flattenFiles(paths.map((path) => ({ path, content: path })));
					expect(flat.map((f) => f.path)).toEqual([...paths].sort());
				}
			)
		);
	});
});
