/**
 * Every file the generator writes is checked by the real tool that will read it:
 * ignition-validate and the Ignition 3.3.0 JSON Schema, the Compose JSON Schema, Debian's
 * caddy (2.6) `validate`, `systemd-analyze verify` and shellcheck.
 *
 * One stand-in is unavoidable: `docker.service` ships with Flatcar, not with this machine,
 * so the unit check writes a minimal docker.service next to the generated units (named a
 * stand-in in its Description). The journal gateway socket drop-in is checked against the
 * socket unit Debian's systemd-journal-remote installs.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync, readdirSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { FIXTURES, fixture, renderTo, run, ignitionFile, type IgnitionDoc } from './helpers.ts';
import { caddyCheckEnv, checkRequests, validators, validateOutput } from '../../src/cli/validate.ts';
import { IGNITION_MAX_BYTES } from '../../src/lib/core/server/ignition.ts';

type Rendered = Awaited<ReturnType<typeof renderTo>>;
const rendered = new Map<string, Rendered>();

beforeAll(async () => {
	for (const name of FIXTURES) rendered.set(name, await renderTo(fixture(name)));
});

describe.each(FIXTURES)('fixture %s', (name) => {
	const r = () => rendered.get(name)!;
	const ign = () => JSON.parse(r().ignition) as IgnitionDoc;

	it('Ignition: ignition-validate accepts it, the 3.3.0 schema accepts it, and it fits in 32 KiB', () => {
		const res = run('ignition-validate', [r().ignitionPath]);
		expect(res.stderr + res.stdout).toBe('');
		expect(res.code).toBe(0);
		const v = validators().ignition;
		expect(v(ign()), JSON.stringify(v.errors)).toBe(true);
		expect(ign().ignition.version).toBe('3.3.0');
		expect(Buffer.byteLength(r().ignition)).toBeLessThanOrEqual(IGNITION_MAX_BYTES);
	});

	it('Compose: the file parses and the compose-spec schema accepts it', () => {
		const doc = parse(readFileSync(join(r().bundle, 'docker-compose.yml'), 'utf8'));
		const v = validators().compose;
		expect(v(doc), JSON.stringify(v.errors)).toBe(true);
		for (const [svc, def] of Object.entries(doc.services as Record<string, Record<string, unknown>>)) {
			expect(def.restart, svc).toBe('unless-stopped');
			expect(def.network_mode, svc).toBeUndefined();
			expect(def.privileged, svc).toBeUndefined();
			if (svc !== 'caddy') expect(def.ports, svc).toBeUndefined();
		}
	});

	it('Caddy 2.6: `caddy validate` accepts the Caddyfile', () => {
		// The setup gates read their hash and cookie value from the server's caddy.env: stand-ins here.
		const gates = caddyCheckEnv(readFileSync(join(r().bundle, 'Caddyfile'), 'utf8'));
		const res = run('caddy', ['validate', '--config', join(r().bundle, 'Caddyfile')], {
			env: { ...process.env, HOME: r().dir, XDG_DATA_HOME: r().dir, XDG_CONFIG_HOME: r().dir, ...gates }
		});
		expect(res.stdout).toContain('Valid configuration');
		expect(res.code).toBe(0);
	});

	it('systemd: `systemd-analyze verify` accepts every unit and drop-in without a warning', () => {
		const dir = join(r().dir, 'units');
		mkdirSync(dir, { recursive: true });
		writeFileSync(
			join(dir, 'docker.service'),
			'[Unit]\nDescription=stand-in for the docker.service Flatcar ships\n\n[Service]\nExecStart=/bin/true\n'
		);
		const names: string[] = [];
		for (const u of ign().systemd.units) {
			if (u.contents) {
				writeFileSync(join(dir, u.name), u.contents);
				names.push(u.name);
			}
			if (u.dropins) {
				const system = `/usr/lib/systemd/system/${u.name}`;
				expect(existsSync(system), `${system} (the unit the drop-in extends)`).toBe(true);
				copyFileSync(system, join(dir, u.name));
				mkdirSync(join(dir, `${u.name}.d`), { recursive: true });
				for (const d of u.dropins) writeFileSync(join(dir, `${u.name}.d`, d.name), d.contents);
				names.push(u.name);
			}
		}
		expect(names.length).toBeGreaterThanOrEqual(7);
		const res = run('systemd-analyze', ['verify', '--man=no', ...names.map((n) => `./${n}`)], { cwd: dir });
		expect(res.stderr).toBe('');
		expect(res.code).toBe(0);
	});

	it('shellcheck: every script, shipped in Ignition or in the bundle, passes', () => {
		const dir = join(r().dir, 'ignition-scripts');
		mkdirSync(dir, { recursive: true });
		const scripts: string[] = [];
		const shipped = ign()
			.storage.files.map((f) => f.path)
			.filter((p) => p.startsWith('/opt/nassella/bin/'));
		expect(shipped.sort()).toEqual([
			'/opt/nassella/bin/nassella-fetch',
			'/opt/nassella/bin/nassella-format-data',
			'/opt/nassella/bin/nassella-sync'
		]);
		for (const p of shipped) {
			const file = join(dir, p.split('/').pop()!);
			writeFileSync(file, ignitionFile(ign(), p));
			scripts.push(file);
		}
		for (const sub of ['bin', 'hooks'])
			for (const f of readdirSync(join(r().bundle, sub))) scripts.push(join(r().bundle, sub, f));
		const res = run('shellcheck', ['--shell=bash', '--severity=style', ...scripts]);
		expect(res.stdout + res.stderr).toBe('');
		expect(res.code).toBe(0);
	});

	it('`nassella validate` accepts the rendered directory (Caddy included)', () => {
		const notes: string[] = [];
		expect(validateOutput(r().dir, {}, notes)).toEqual([]);
		expect(notes).toEqual([]);
	});
});

describe('international and edge-case domains', () => {
	it('are written as punycode that Caddy accepts', async () => {
		const input = fixture('five-apps');
		input.config.domain = 'Bücher.Beispiel.DE.';
		input.config.apps = [{ id: 'miniflux', inputs: {}, hosts: { main: 'nachrichten.bücher.beispiel.de' } }];
		const r = await renderTo(input);
		const caddy = readFileSync(join(r.bundle, 'Caddyfile'), 'utf8');
		expect(caddy).toContain('nachrichten.xn--bcher-kva.beispiel.de {');
		expect(caddy).toContain('nassella.xn--bcher-kva.beispiel.de {');
		const res = run('caddy', ['validate', '--config', join(r.bundle, 'Caddyfile')], {
			env: { ...process.env, HOME: r.dir, XDG_DATA_HOME: r.dir, XDG_CONFIG_HOME: r.dir, ...caddyCheckEnv(caddy) }
		});
		expect(res.stdout).toContain('Valid configuration');
	});
});

describe('nassella validate checks requests.json', () => {
	it('accepts plain ids and refuses anything else', () => {
		expect(checkRequests('{"backup":"b-1","drill":"d.2"}\n')).toEqual([]);
		expect(checkRequests('{}')).toEqual([]);
		expect(checkRequests('[]')).toEqual(['requests.json is not an object']);
		expect(checkRequests('{')).toEqual(['requests.json is not JSON']);
		expect(checkRequests('{"backup":"$(reboot)","restore":"x","drill":3}')).toEqual([
			'requests.json: the backup id is not a plain id',
			'requests.json: "restore" is not a request (backup, drill)',
			'requests.json: the drill id is not a plain id'
		]);
	});
});

describe('nassella validate refuses a tampered bundle', () => {
	it('reports a changed file, an extra file and a missing file', () => {
		const r = rendered.get('one-app')!;
		writeFileSync(join(r.bundle, 'Caddyfile'), readFileSync(join(r.bundle, 'Caddyfile'), 'utf8') + '\n# changed\n');
		writeFileSync(join(r.bundle, 'extra.txt'), 'x');
		const problems = validateOutput(r.dir);
		expect(problems).toContain('Caddyfile does not match its hash');
		writeFileSync(join(r.bundle, 'Caddyfile'), 'example.org {\n\tno_such_directive\n}\n');
		expect(validateOutput(r.dir).join('\n')).toMatch(/Caddy refuses the Caddyfile: .*no_such_directive/);
		expect(problems).toContain('extra.txt is not in the manifest');
	});
});
