/**
 * The server's whole life on a booted stand-in machine (tests/machine/README.md): a Debian VM
 * under QEMU booted from the Ignition config the project renders, pulling the signed bundle
 * over SSH, running real apps in a real Docker engine, serving them over HTTPS with
 * certificates from pebble, backing up to S3 and restoring on a second machine.
 *
 * Scenarios 1 (first boot) and 3 (backup → restore on a new machine) always run;
 * 2 (signed and refused updates), 4 (reboots) and 5 (faults) run with `npm run test:machine -- --all`.
 * Every wait is on a condition the machine reports, with generous limits for a loaded 2-core host.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, DOMAIN, figure, httpsGet, log, startLab, waitFor, type HttpsAnswer, type Lab } from './lab.ts';
import { SETUP_COOKIE, SETUP_GATE_PATH } from '../../src/lib/core/catalog/first-start.ts';
import type { Vm } from './vm.ts';
import type { ServerStatus } from '../../src/lib/core/server/status.ts';

const ALL = process.env.NASSELLA_MACHINE_ALL === '1';
const MIN = 60_000;

const MINIFLUX = { db_password: 'NQIbZCeTbSZDsYJdiIXXT2gZD80TF0p3', admin_password: '6AL5cadfY66f9eKdN0mR' };
const FIRST_APPS = [{ id: 'miniflux', inputs: { admin_username: 'admin' } }, { id: 'actual-budget' }];
const WITH_NTFY = [...FIRST_APPS, { id: 'ntfy', inputs: { allow_signup: 'false' } }];
const APP_SECRETS = { miniflux: MINIFLUX };
/** Each app's host and a path that answers 200 when the app really runs. */
const PROBES: Record<string, { host: string; path: string }> = {
	miniflux: { host: `news.${DOMAIN}`, path: '/healthcheck' },
	'actual-budget': { host: `budget.${DOMAIN}`, path: '/health' },
	ntfy: { host: `ntfy.${DOMAIN}`, path: '/v1/health' }
};

let lab: Lab;
let first: { vm: Vm; acme: { pebbleRoots(): Promise<string> } };
let firstCommit = '';

/**
 * An app's probe over HTTPS as the person who set it up sees it: with the setup gate's cookie
 * (the gate stands in front of an app whose first visitor could take it over, until the
 * person says setup is done).
 */
function visitApp(vm: Vm, id: string, roots: string): Promise<HttpsAnswer> {
	const p = PROBES[id]!;
	const token = lab.appSecrets(id)[SETUP_COOKIE];
	const cookie = token ? { cookie: `nassella_setup_${id.replace(/[^a-z0-9]/g, '_')}=${token}` } : undefined;
	return httpsGet(vm.ports.https, p.host, p.path, { ca: roots, ...(cookie ? { headers: cookie } : {}) });
}

function healthy(s: ServerStatus, apps: readonly { id: string }[]): boolean {
	return apps.every((a) => s.apps?.[a.id] === 'healthy');
}

/**
 * Waits until status.json (over HTTPS, behind basic auth) says every app is healthy at `commit`.
 * With `since` (a time on this host), only a report the server wrote after it counts: after a
 * reboot, Caddy serves the last report from before it until the first sync writes a new one.
 */
async function waitHealthy(
	vm: Vm,
	apps: readonly { id: string }[],
	commit: string | undefined,
	limitMs: number,
	since?: number
) {
	let last = '';
	return diagnoseOnFailure(vm, () =>
		waitFor(
			`every app healthy${commit ? ` at ${commit.slice(0, 12)}` : ''} (last status: ${last})`,
			async () => {
				const s = await lab.status(vm);
				last = JSON.stringify({
					commit: s.commit,
					checkedAt: s.checkedAt,
					result: s.result,
					lastError: s.lastError,
					apps: s.apps
				});
				if (since !== undefined && !(Date.parse(s.checkedAt) >= since)) return undefined;
				return healthy(s, apps) && (!commit || s.commit === commit) ? s : undefined;
			},
			limitMs,
			5000
		)
	);
}

/** On a failed wait, what the machine says about itself goes to the test's output. */
async function diagnoseOnFailure<T>(vm: Vm, body: () => Promise<T>): Promise<T> {
	try {
		return await body();
	} catch (e) {
		const report = await vm
			.exec(
				'systemctl --failed --no-pager; journalctl -b --no-pager -o short-monotonic -u nassella-fetch -u nassella-sync -u var-lib-nassella.mount -u nassella-format-data | tail -n 150; docker ps -a; cat /var/lib/nassella/status/status.json',
				120_000
			)
			.catch((x: unknown) => ({ stdout: `(no answer from the guest: ${String(x)})`, stderr: '', code: -1 }));
		log(`diagnostics of ${vm.name}:\n${report.stdout}\n${report.stderr}`);
		throw e;
	}
}

async function minifluxCategories(vm: Vm, ca: string): Promise<string[]> {
	const a = await httpsGet(vm.ports.https, `news.${DOMAIN}`, '/v1/categories', {
		ca,
		auth: `admin:${MINIFLUX.admin_password}`
	});
	if (a.status !== 200) throw new Error(`categories answered ${a.status}: ${a.body.slice(0, 200)}`);
	return (JSON.parse(a.body) as { title: string }[]).map((c) => c.title);
}

beforeAll(async () => {
	lab = await startLab();
}, 60 * MIN);

afterAll(async () => {
	await lab?.stop();
}, 5 * MIN);

describe('1. first boot', () => {
	it(
		'boots from the rendered Ignition, fetches the signed bundle over SSH and serves every app over HTTPS',
		async () => {
			const published = await lab.publish(lab.deployment({ apps: FIRST_APPS, appSecrets: APP_SECRETS }));
			firstCommit = published.commit;
			const t0 = Date.now();
			first = await lab.boot('first', published.ignitionPath);
			const { vm } = first;
			await vm.waitForSerial(/login:|Reached target.*Multi-User/i, 20 * MIN);
			log(`multi-user after ${Math.round((Date.now() - t0) / 1000)} s`);

			// Ignition ran its stages in the initramfs (systemd's console lines on the serial port).
			// eslint-disable-next-line no-control-regex -- terminal colour codes
			const serial = readFileSync(vm.serialLog, 'utf8').replace(/\u001b\[[0-9;]*[A-Za-z]/g, '');
			for (const stage of ['fetch-offline', 'disks', 'mount', 'files'])
				expect(serial).toMatch(new RegExp(`Finished ignition-${stage}\\.service`));
			expect(serial).not.toMatch(/Failed to start ignition|emergency mode/i);
			const crit = await vm.exec('journalctl -b -o cat | grep -c "CRITICAL" || true');
			expect(crit.stdout.trim()).toBe('0');
			const enabled = await vm.exec(
				'systemctl is-enabled docker.service nassella-sync.timer nassella-backup.timer var-lib-nassella.mount'
			);
			expect(enabled.stdout.trim().split(/\s+/)).toEqual(['enabled', 'enabled', 'enabled', 'enabled']);

			const s = await waitHealthy(vm, FIRST_APPS, firstCommit, 40 * MIN);
			log(`power-on to every app healthy: ${Math.round((Date.now() - t0) / 1000)} s`);
			figure('first-boot-to-healthy-seconds', (Date.now() - t0) / 1000);
			expect(s.result).toBe('ok');

			// The compose extension was merged by systemd-sysext, as on Flatcar.
			const compose = await vm.exec('docker compose version');
			expect(compose.code).toBe(0);
			expect(compose.stdout).toMatch(/Docker Compose version/);
			const sysext = await vm.exec('systemd-sysext status');
			expect(sysext.stdout).toMatch(/docker-compose/);

			// Every app's host answers over HTTPS with a certificate from the ACME stand-in.
			const roots = await first.acme.pebbleRoots();
			for (const app of FIRST_APPS) {
				const a = await waitFor(
					`${PROBES[app.id]!.host} over HTTPS`,
					async () => {
						const r = await visitApp(vm, app.id, roots);
						return r.status === 200 ? r : undefined;
					},
					5 * MIN
				);
				expect(a.status).toBe(200);
			}
			// Actual Budget lets its first visitor set the password: until the person says setup is
			// done, a visitor without the gate's cookie is sent to the gate, which asks for the setup password.
			const budget = PROBES['actual-budget']!;
			const gated = await httpsGet(vm.ports.https, budget.host, budget.path, { ca: roots });
			expect(gated.status).toBe(302);
			expect(gated.headers.location).toBe(SETUP_GATE_PATH);
			expect((await httpsGet(vm.ports.https, budget.host, SETUP_GATE_PATH, { ca: roots })).status).toBe(401);
			// The admin host: status.json and the journal gateway answer only with the password.
			const admin = `nassella.${DOMAIN}`;
			expect((await httpsGet(vm.ports.https, admin, '/status.json', { ca: roots })).status).toBe(401);
			expect((await httpsGet(vm.ports.https, admin, '/journal/entries', { ca: roots })).status).toBe(401);
			const journal = await httpsGet(vm.ports.https, admin, '/journal/entries?_SYSTEMD_UNIT=nassella-sync.service', {
				ca: roots,
				auth: `${ADMIN.user}:${ADMIN.password}`,
				headers: { accept: 'application/json', range: 'entries=:-5:5' }
			});
			expect(journal.status).toBe(200);
			expect(journal.body).toMatch(/nassella-sync/);
		},
		60 * MIN
	);
});

describe('1b. each app on its own', () => {
	it(
		'stops an app that does not start, alone; gives a data folder to the user its image runs as; probes as Caddy sends a visitor',
		async () => {
			const { vm } = first;
			const roots = await first.acme.pebbleRoots();
			const startedAt = async () =>
				(
					await vm.exec(
						"docker inspect -f '{{.Name}} {{.State.StartedAt}}' nassella-miniflux-1 nassella-actual-budget-1"
					)
				).stdout;
			const before = await startedAt();
			// Vikunja's stand-in runs as uid 1000, writes to its files folder, and redirects requests that
			// are not for its https address; the app under Memos' name exits at start.
			const apps = [...FIRST_APPS, { id: 'vikunja' }, { id: 'memos' }];
			const published = await lab.publish(lab.deployment({ apps, appSecrets: APP_SECRETS }));
			await vm.exec('systemctl start --no-block nassella-sync.service');
			let last = '';
			const s = await diagnoseOnFailure(vm, () =>
				waitFor(
					`the commit applied without the app that does not start (last status: ${last})`,
					async () => {
						const st = await lab.status(vm);
						last = JSON.stringify({ commit: st.commit, result: st.result, apps: st.apps, failed: st.failedApps });
						return st.commit === published.commit && st.result === 'partial' ? st : undefined;
					},
					30 * MIN,
					5000
				)
			);
			log(`partial apply: ${last}`);
			expect(Object.keys(s.failedApps ?? {})).toEqual(['memos']);
			expect(s.failedApps?.memos?.from).toBe('');
			expect(s.lastError).toMatch(
				/^memos did not start with the latest settings \(.+\): it is stopped; the other apps run the new settings$/
			);
			// The probe reached Vikunja with its host and X-Forwarded-Proto: https, and it could write its files.
			expect(s.apps).toMatchObject({ miniflux: 'healthy', 'actual-budget': 'healthy', vikunja: 'healthy' });
			const owner = await vm.exec(
				'stat -c %u:%g /var/lib/nassella/data/vikunja/files; stat -c %u /var/lib/nassella/data/vikunja/files/.stand-in-write-check'
			);
			expect(owner.stdout.trim().split('\n')).toEqual(['1000:1000', '1000']);
			const memos = await vm.exec("docker ps -a --filter label=com.docker.compose.service=memos --format '{{.State}}'");
			expect(memos.stdout.trim()).toBe('exited');
			// The apps that ran were not touched, and still answer over HTTPS.
			expect(await startedAt()).toBe(before);
			for (const app of FIRST_APPS) {
				expect((await visitApp(vm, app.id, roots)).status).toBe(200);
			}
		},
		40 * MIN
	);
});

describe.runIf(ALL)('2. updates: signed, unsigned, rolled back', () => {
	it(
		'applies a signed update that adds an app and refuses an unsigned one and a rollback while the apps keep serving',
		async () => {
			const { vm } = first;
			const roots = await first.acme.pebbleRoots();
			const update = await lab.publish(lab.deployment({ apps: WITH_NTFY, appSecrets: APP_SECRETS }));
			await vm.exec('systemctl start --no-block nassella-sync.service');
			await waitHealthy(vm, WITH_NTFY, update.commit, 30 * MIN);
			// Caddy asks for the new name's certificate once the app is in its config: until it has
			// it, the handshake fails (as for a visitor in the first seconds after adding an app).
			const t0 = Date.now();
			await waitFor(
				'ntfy over HTTPS with its own certificate',
				async () => {
					const r = await httpsGet(vm.ports.https, PROBES.ntfy!.host, PROBES.ntfy!.path, { ca: roots }).catch(
						() => undefined
					);
					return r?.status === 200 ? r : undefined;
				},
				10 * MIN
			);
			figure('new-app-healthy-to-https-seconds', (Date.now() - t0) / 1000);

			const unsigned = await lab.publish(lab.deployment({ apps: FIRST_APPS, appSecrets: APP_SECRETS }), {
				unsigned: true
			});
			await vm.exec('systemctl start --no-block nassella-sync.service');
			const refused = await waitFor(
				'the unsigned commit refused',
				async () => {
					const s = await lab.status(vm);
					return s.result === 'refused' && /not signed/.test(s.lastError ?? '') ? s : undefined;
				},
				10 * MIN
			);
			expect(refused.commit).toBe(update.commit);
			for (const app of WITH_NTFY) {
				expect((await visitApp(vm, app.id, roots)).status).toBe(200);
			}
			void unsigned;

			// A signed commit that rewinds history (back to the first bundle) is refused too.
			lab.git.resetBranch(lab.repo, firstCommit);
			await vm.exec('systemctl start --no-block nassella-sync.service');
			await waitFor(
				'the rollback refused',
				async () => {
					const s = await lab.status(vm);
					return s.result === 'refused' && /does not build on/.test(s.lastError ?? '') ? s : undefined;
				},
				10 * MIN
			);
			const s = await lab.status(vm);
			expect(s.commit).toBe(update.commit);
			expect(healthy(s, WITH_NTFY)).toBe(true);
			// Back to a history that builds on what runs, for the scenarios after this one, and
			// a sync that sees it: otherwise the status keeps saying `refused` (the last sync's
			// result) until the next one, which scenario 4's first reboot read as a refusal.
			lab.git.resetBranch(lab.repo, update.commit);
			await vm.exec('systemctl start --no-block nassella-sync.service');
			await waitFor(
				'the server back to ok on the applied commit',
				async () => {
					const st = await lab.status(vm);
					return st.result === 'ok' && st.commit === update.commit ? st : undefined;
				},
				10 * MIN
			);
		},
		60 * MIN
	);
});

describe.runIf(ALL)('4. reboots', () => {
	it(
		'keeps the data volume and brings the apps back, also with the registry down',
		async () => {
			const { vm } = first;
			const marker = await vm.exec('blkid -s UUID -o value /dev/disk/by-id/virtio-nassella-data');
			const apps = (await lab.status(vm)).apps ?? {};
			const ids = Object.keys(apps)
				.filter((a) => a !== 'nassella')
				.map((id) => ({ id }));
			for (const registryUp of [true, false]) {
				if (!registryUp) await lab.registry.stop();
				const t0 = Date.now();
				await vm.reboot();
				await vm.waitForSerial(/login:|Reached target.*Multi-User/i, 20 * MIN);
				const again = await vm.exec('blkid -s UUID -o value /dev/disk/by-id/virtio-nassella-data');
				expect(again.stdout.trim()).toBe(marker.stdout.trim());
				const s = await waitHealthy(vm, ids, undefined, 30 * MIN, t0);
				figure(`reboot-registry-${registryUp ? 'up' : 'down'}-to-healthy-seconds`, (Date.now() - t0) / 1000);
				expect(s.result).not.toBe('refused');
			}
			await lab.registry.start();
		},
		90 * MIN
	);
});

describe('3. backup and restore on a new machine', () => {
	it(
		'backs up data written through an app to S3 and a second machine restores it before its apps start',
		async () => {
			const { vm } = first;
			const roots = await first.acme.pebbleRoots();
			const title = `Kept through a restore ${Date.now()}`;
			const created = await httpsGet(vm.ports.https, `news.${DOMAIN}`, '/v1/categories', {
				ca: roots,
				method: 'POST',
				auth: `admin:${MINIFLUX.admin_password}`,
				body: JSON.stringify({ title })
			});
			expect(created.status).toBe(201);

			// "Back up now", as the app asks: a signed commit with a new request id.
			const current = await lab.status(vm);
			const appsNow = Object.keys(current.apps ?? {}).includes('ntfy') && ALL ? WITH_NTFY : FIRST_APPS;
			const requested = await lab.publish(
				lab.deployment({ apps: appsNow, appSecrets: APP_SECRETS, requests: { backup: 'machine-backup-1' } })
			);
			await vm.exec('systemctl start --no-block nassella-sync.service');
			const backedUp = await waitFor(
				'the requested backup',
				async () => {
					const s = await lab.status(vm);
					if (s.requests?.backup?.state === 'failed') throw new Error(`backup failed: ${s.requests.backup.error}`);
					return s.commit === requested.commit && s.requests?.backup?.state === 'done' ? s : undefined;
				},
				30 * MIN,
				5000
			);
			expect(backedUp.backup?.result).toBe('ok');
			expect(backedUp.backup?.snapshots?.length).toBeGreaterThan(0);
			expect((await lab.s3.listObjects('nassella-machine01')).length).toBeGreaterThan(0);

			// The first machine goes away; a new one of the same deployment restores the backup.
			await vm.kill();
			const restoring = await lab.render(
				lab.deployment({ apps: appsNow, appSecrets: APP_SECRETS, restoreFromBackup: true })
			);
			const t0 = Date.now();
			const second = await lab.boot('restored', restoring.ignitionPath);
			const s = await waitHealthy(second.vm, appsNow, undefined, 45 * MIN);
			log(`power-on to restored and healthy: ${Math.round((Date.now() - t0) / 1000)} s`);
			figure('restore-to-healthy-seconds', (Date.now() - t0) / 1000);
			expect(s.restore?.state).toBe('done');
			const roots2 = await second.acme.pebbleRoots();
			expect(await minifluxCategories(second.vm, roots2)).toContain(title);
			first = second;
		},
		90 * MIN
	);
});

describe.runIf(ALL)('5. faults', () => {
	it(
		'reports a backup that fails while S3 is down and tells ntfy',
		async () => {
			const { vm } = first;
			await lab.s3.stop();
			const before = lab.ntfy.requests.length;
			const current = await lab.status(vm);
			const apps = Object.keys(current.apps ?? {})
				.filter((a) => a !== 'nassella')
				.map((id) => WITH_NTFY.find((x) => x.id === id) ?? { id });
			const requested = await lab.publish(
				lab.deployment({ apps, appSecrets: APP_SECRETS, requests: { backup: 'machine-backup-down' } })
			);
			await vm.exec('systemctl start --no-block nassella-sync.service');
			const failed = await waitFor(
				'the failed backup reported',
				async () => {
					const s = await lab.status(vm);
					return s.commit === requested.commit && s.requests?.backup?.state === 'failed' ? s : undefined;
				},
				30 * MIN
			);
			expect(failed.backup?.result).toBe('failed');
			await lab.ntfy.waitFor((r) => r.method === 'POST' && /backup/i.test(r.body), 5 * MIN);
			expect(lab.ntfy.requests.length).toBeGreaterThan(before);
			await lab.s3.start();
		},
		60 * MIN
	);

	it(
		'names the one image the registry does not have and leaves the other apps running',
		async () => {
			const { vm } = first;
			const current = await lab.status(vm);
			await lab.registry.deleteTag('binwiederhier/ntfy', 'v2.16.0');
			await vm.exec('docker image rm -f binwiederhier/ntfy:v2.16.0 || true');
			const withoutNtfy = Object.keys(current.apps ?? {}).filter((a) => a !== 'ntfy' && a !== 'nassella');
			const apps = [...withoutNtfy.map((id) => FIRST_APPS.find((x) => x.id === id) ?? { id }), WITH_NTFY[2]!];
			const update = await lab.publish(lab.deployment({ apps, appSecrets: APP_SECRETS }));
			await vm.exec('systemctl start --no-block nassella-sync.service');
			const s = await waitFor(
				'the missing image reported',
				async () => {
					const st = await lab.status(vm);
					return st.result === 'error' && /download/i.test(st.lastError ?? '') ? st : undefined;
				},
				20 * MIN
			);
			expect(s.commit).not.toBe(update.commit);
			for (const id of withoutNtfy) expect(s.apps?.[id]).toBe('healthy');
		},
		40 * MIN
	);

	it(
		'retries and reports when the git host is down at first boot',
		async () => {
			await first.vm.kill();
			await lab.git.stop();
			// Committed, not only rendered: the branch's head is otherwise the previous test's
			// commit, whose ntfy image the registry no longer has, and a first boot has no running
			// version to keep (the machine then waited 40 min for apps that could not be pulled).
			const published = await lab.publish(lab.deployment({ apps: FIRST_APPS, appSecrets: APP_SECRETS }));
			const third = await lab.boot('git-down', published.ignitionPath);
			const reported = await waitFor(
				'the unreachable git host reported',
				async () => {
					const r = await third.vm.exec('cat /var/lib/nassella/status/status.json 2>/dev/null || true');
					return /git host could not be reached/.test(r.stdout) ? r.stdout : undefined;
				},
				30 * MIN,
				10_000
			);
			expect(reported).toMatch(/"result":\s*"error"/);
			await lab.git.start();
			await third.vm.exec('systemctl start --no-block nassella-sync.service');
			await waitHealthy(third.vm, FIRST_APPS, undefined, 40 * MIN);
		},
		90 * MIN
	);
});
