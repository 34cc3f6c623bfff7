/**
 * The catalog's PostgreSQL dump and restore commands, run for real against Debian's
 * PostgreSQL server (the apps' own images cannot run here; the commands are the same argv
 * `docker compose exec -T` runs in them). A dump made by the app's dump command comes back
 * with its restore command; a damaged dump stops the restore at its first error and leaves
 * the database as it was (one transaction), so a partial restore never looks like success.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCatalog } from '../../catalog/load.ts';
import { resolveCommands } from '../../src/lib/core/catalog/placeholders.ts';
import { contextFor } from './helpers.ts';

const PG = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort().at(-1) : undefined;
const BIN = PG ? `/usr/lib/postgresql/${PG}/bin` : '';
const root = process.getuid?.() === 0;
const dir = mkdtempSync(join(tmpdir(), 'nassella-pg-'));
const PORT = String(20000 + (process.pid % 20000));
const env = { ...process.env, PGHOST: dir, PGPORT: PORT, PATH: `${BIN}:${process.env.PATH}` };

function asPostgres(cmd: string, args: string[]) {
	const r = spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8', env, timeout: 120_000 });
	if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
	return r.stdout;
}
/** Runs an app's command as `docker compose exec -T` would, with stdin when given. */
function exec(argv: string[], input?: string) {
	const [cmd, ...args] = argv;
	return spawnSync(cmd!, args, { encoding: 'utf8', env, input, timeout: 120_000, maxBuffer: 64 * 1024 * 1024 });
}
const sql = (db: string, query: string) =>
	asPostgres(`${BIN}/psql`, ['-U', 'postgres', '-d', db, '-Atc', query]).trim();

// Debian's PostgreSQL server (tests/debian-packages.sh installs it); it runs as its own user, so the test needs root.
describe.runIf(PG && root)('database dumps and restores of the catalog (real PostgreSQL)', () => {
	beforeAll(() => {
		chownSync(dir, Number(asUid('postgres')), Number(asUid('postgres', '-g')));
		asPostgres(`${BIN}/initdb`, ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres']);
		asPostgres(`${BIN}/pg_ctl`, [
			'-D',
			join(dir, 'data'),
			'-w',
			'-t',
			'120',
			'-o',
			`-k ${dir} -p ${PORT} -c listen_addresses=''`,
			'-l',
			join(dir, 'log'),
			'start'
		]);
	}, 180_000);
	afterAll(() => {
		spawnSync('runuser', ['-u', 'postgres', '--', `${BIN}/pg_ctl`, '-D', join(dir, 'data'), '-m', 'fast', 'stop'], {
			env
		});
		rmSync(dir, { recursive: true, force: true });
	});

	it('Immich: the dump comes back with upstream’s search_path step, and a damaged dump changes nothing', () => {
		const immich = loadCatalog().apps.find((a) => a.id === 'immich')!;
		const ctx = contextFor(immich);
		const [dump] = resolveCommands(immich, 'dumps', ctx);
		const [restore] = resolveCommands(immich, 'restore', ctx);
		sql('postgres', 'CREATE DATABASE immich');
		sql('immich', "CREATE TABLE assets (id int PRIMARY KEY, name text); INSERT INTO assets VALUES (1, 'beach.jpg')");
		const dumped = exec(dump!.command);
		expect(dumped.status, dumped.stderr).toBe(0);
		expect(dumped.stdout).toContain("SELECT pg_catalog.set_config('search_path', '', false);");

		// Onto a new server's empty database, as a restore on a new machine does.
		sql('postgres', 'DROP DATABASE immich');
		sql('postgres', 'CREATE DATABASE immich');
		const restored = exec(restore!.command, dumped.stdout);
		expect(restored.status, restored.stderr).toBe(0);
		expect(sql('immich', 'SELECT name FROM assets')).toBe('beach.jpg');
		// The search_path line was rewritten as upstream says (the restore echoes each set_config result).
		expect(restored.stdout).toMatch(/^ public, pg_catalog$/m);

		// A damaged dump: the first error stops it, and what ran before it is undone.
		sql('immich', "INSERT INTO assets VALUES (2, 'mountain.jpg')");
		const damaged = dumped.stdout.replace('CREATE TABLE public.assets', 'CREATE TABLE public.assets broken');
		const failed = exec(restore!.command, damaged);
		expect(failed.status).not.toBe(0);
		expect(failed.stderr).toMatch(/syntax error/);
		expect(sql('immich', 'SELECT count(*) FROM assets')).toBe('2');
	});
});

function asUid(user: string, flag = '-u'): string {
	return spawnSync('id', [flag, user], { encoding: 'utf8' }).stdout.trim();
}
