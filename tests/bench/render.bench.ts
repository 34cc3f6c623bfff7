/**
 * Server generator: time to render the bundle and Ignition config for every catalog app
 * (with real age encryption of the env files; budget ≤ 20 ms, issue #18), and the Ignition
 * config's size for 1, 10 and all apps with two SSH keys and two commit signers (budget
 * ≤ 16 KiB, issue #18; the hard limit is 32 KiB, Hetzner's user-data limit).
 */
import { readFileSync } from 'node:fs';
import { loadCatalog } from '../../catalog/load.ts';
import { ageEncrypt } from '../../src/lib/adapters/age/encrypt.ts';
import { renderServer } from '../../src/lib/core/server/render.ts';
import { IGNITION_MAX_BYTES } from '../../src/lib/core/server/ignition.ts';
import { percentiles, report } from './lib.ts';

const all = JSON.parse(readFileSync('tests/fixtures/configs/all-apps.json', 'utf8'));
// Two SSH keys and two commit signers, as a person with a laptop and a phone has.
all.config.sshKeys = [
	...all.config.sshKeys,
	'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAUv/sJZeIPs7Pj9VW19SidfHDLsOKVI/JexvzOzPoiy person@phone'
];
if (all.config.commitSigners.length < 2)
	all.config.commitSigners = [
		...all.config.commitSigners,
		'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJgYZKHRBiaofugCpFcG7XXrHFrKJ7EBlnliCC3WUpMP nassella-phone-signer'
	];
const IGNITION_GOAL = 16 * 1024;
const { apps, problems } = loadCatalog();
if (problems.length) throw new Error(problems.join('\n'));

function withApps(n: number) {
	const d = structuredClone(all);
	d.config.apps = d.config.apps.slice(0, n);
	return d;
}

const samples: number[] = [];
for (let i = 0; i < 25; i++) {
	const t = performance.now();
	await renderServer(all, apps, { encrypt: ageEncrypt });
	samples.push(performance.now() - t);
}
const { p50, p99 } = percentiles(samples.slice(5));
report({
	name: `render bundle + Ignition, all ${all.config.apps.length} apps (median)`,
	value: Math.round(p50 * 10) / 10,
	unit: 'ms',
	budget: 20
});
report({
	name: `render bundle + Ignition, all ${all.config.apps.length} apps (p99)`,
	value: Math.round(p99 * 10) / 10,
	unit: 'ms'
});

for (const n of [1, 10, all.config.apps.length]) {
	const r = await renderServer(withApps(n), apps, { encrypt: ageEncrypt });
	report({
		name: `Ignition config size, ${n} app${n === 1 ? '' : 's'}`,
		value: Buffer.byteLength(r.ignition),
		unit: 'bytes',
		budget: Math.min(IGNITION_GOAL, IGNITION_MAX_BYTES)
	});
}
