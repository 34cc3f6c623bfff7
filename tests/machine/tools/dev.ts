/**
 * For people working on the machine tests: boots the first-boot scenario's machine and keeps it
 * running, with a command drop box for looking inside:
 *
 *   node tests/machine/tools/dev.ts [folder]        # default /tmp/nassella-machine-dev
 *   echo 'journalctl -u nassella-sync' > /tmp/nassella-machine-dev/cmd-1.sh
 *   cat /tmp/nassella-machine-dev/cmd-1.out         # appears when the command has run
 *
 * Ctrl-C (or `touch <folder>/stop`) stops the machine and every stand-in service.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, startLab } from '../lab.ts';

const dir = process.argv[2] ?? '/tmp/nassella-machine-dev';
mkdirSync(dir, { recursive: true });
const INPUTS: Record<string, Record<string, string>> = {
	miniflux: { admin_username: 'admin' },
	ntfy: { allow_signup: 'false' },
	'actual-budget': { setup_done: 'true' }
};
const apps: { id: string; inputs?: Record<string, string> }[] = (
	process.env.NASSELLA_DEV_APPS ?? 'miniflux,actual-budget'
)
	.split(',')
	.map((id) => (INPUTS[id] ? { id, inputs: INPUTS[id] } : { id }));
const base = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/configs/one-app.json'), 'utf8'));
const lab = await startLab();
const published = await lab.publish(lab.deployment({ apps, appSecrets: { miniflux: base.secrets.apps.miniflux } }));
const { vm } = await lab.boot('dev', published.ignitionPath);
writeFileSync(join(dir, 'ports.json'), JSON.stringify({ ...vm.ports, serial: vm.serialLog, work: lab.work }));
log(`machine booting; serial log ${vm.serialLog}; drop commands into ${dir}/cmd-*.sh`);
let stopping = false;
const stop = async () => {
	if (stopping) return;
	stopping = true;
	await lab.stop();
	process.exit(0);
};
process.on('SIGINT', () => void stop());
for (;;) {
	if (existsSync(join(dir, 'stop'))) await stop();
	for (const f of readdirSync(dir).filter((n) => /^cmd-.*\.sh$/.test(n))) {
		const path = join(dir, f);
		const running = `${path}.running`;
		renameSync(path, running);
		const r = await vm.exec(readFileSync(running, 'utf8'), 300_000).catch((e: unknown) => ({
			code: -1,
			stdout: '',
			stderr: String(e)
		}));
		writeFileSync(path.replace(/\.sh$/, '.out'), `exit ${r.code}\n${r.stdout}\n--- stderr\n${r.stderr}\n`);
	}
	await new Promise((r) => setTimeout(r, 1000));
}
