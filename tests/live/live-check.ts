/**
 * `npm run live-check [-- options]`: checks the person's real provider accounts with the app's
 * own adapters (the code the browser runs), and writes what it saw to a report.
 *
 * Read-only by default, per provider with a token: the adapter's token check, regions and
 * sizes with prices, whether the Flatcar images answer, the rate-limit headers, and the answer
 * to a browser's CORS preflight. With `--deploy <cloud>`: the smallest real deployment of one
 * app through the app's deploy engine, its destroy, and a look for anything left (deploy.ts).
 * Tokens come from the environment and never appear in its output or its report.
 *
 * `--base <origin>` points every provider at the sandbox of a local entry (`npm start`, or a
 * test's), where any token works and nothing is billed.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadCatalog } from '../../catalog/load.ts';
import { runCleanup, runDeploy } from './deploy.ts';
import { describeError, installTap, Scrubber } from './net.ts';
import { attribute, PROVIDERS, type ProviderId, type Target } from './providers.ts';
import { checkDownloads, checkProvider } from './read-only.ts';
import { overall, tally, writeReport, type Report } from './report.ts';

const HELP = `npm run live-check -- [options]

Checks your real provider accounts with nassella's own adapters and writes a report
(live-check-report.md and .json). Tokens are read from the environment:
${PROVIDERS.map((p) => `  ${p.env.padEnd(30)} ${p.name}`).join('\n')}
A provider without a token is skipped. Nothing is created unless --deploy is given.

Options:
  --deploy <digitalocean|hetzner>  also make the smallest real deployment of one app, remove it,
                                   and check that nothing is left (costs a few minutes of the
                                   smallest server; see the README)
  --domain <zone>                  a zone your DNS provider holds (NASSELLA_LIVE_DOMAIN); the
                                   deployment gets <id>.<zone>; the read-only pass looks it up
  --dns <desec|cloudflare|digitalocean-dns|hetzner-dns>
                                   DNS for --deploy (default: deSEC or Cloudflare, whichever has
                                   a token, else the cloud's own DNS)
  --git <github|gitlab>            git host for --deploy (default github)
  --app <id>                       the app to deploy (default memos)
  --region <id>, --size <id>       default: the cheapest size the app fits on, where it is sold
  --wait-minutes <n>               how long to wait for the app to answer (default 20)
  --keep-image                     keep a Flatcar image the run had to make
  --cleanup                        remove the deployment an interrupted run left (from --out)
  --only <ids>                     look only at these providers (comma-separated)
  --images <url>                   ask a mirror for the images and downloads (<url>/<host>/<path>)
  --relay <url>                    go through this relay for Hetzner, Cloudflare and the server,
                                   as the app does (NASSELLA_LIVE_RELAY)
  --origin <url>                   the app's origin for CORS preflights (default
                                   http://127.0.0.1:4173, the local entry)
  --base <url>                     use the sandbox of a local entry at this origin instead of
                                   the real providers (NASSELLA_LIVE_BASE)
  --out <dir>                      where the report goes (default tests/.tmp/live-check)
`;

function originOf(value: string, what: string): string {
	let u: URL;
	try {
		u = new URL(value);
	} catch {
		throw new Error(`${what} is not an address: ${value}`);
	}
	if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${what} must be http or https.`);
	return value.replace(/\/+$/, '');
}

const scrub = new Scrubber();
const say = (line: string) => process.stdout.write(scrub.text(line) + '\n');
const complain = (line: string) => process.stderr.write(scrub.text(line) + '\n');

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
	const { values } = parseArgs({
		args: argv,
		options: {
			deploy: { type: 'string' },
			domain: { type: 'string' },
			dns: { type: 'string' },
			git: { type: 'string', default: 'github' },
			app: { type: 'string', default: 'memos' },
			region: { type: 'string' },
			size: { type: 'string' },
			'wait-minutes': { type: 'string', default: '20' },
			'keep-image': { type: 'boolean', default: false },
			cleanup: { type: 'boolean', default: false },
			only: { type: 'string' },
			images: { type: 'string' },
			relay: { type: 'string' },
			origin: { type: 'string' },
			base: { type: 'string' },
			out: { type: 'string' },
			help: { type: 'boolean', short: 'h', default: false }
		},
		strict: true
	});
	if (values.help) {
		say(HELP);
		return 0;
	}
	for (const p of PROVIDERS) scrub.add(env[p.env]?.trim());
	const tokens: Partial<Record<ProviderId, string>> = {};
	for (const p of PROVIDERS) {
		const t = env[p.env]?.trim();
		if (t) tokens[p.id] = t;
	}
	const base = values.base ?? env.NASSELLA_LIVE_BASE;
	const sandbox = base ? originOf(base, '--base') : undefined;
	const relayValue = values.relay ?? env.NASSELLA_LIVE_RELAY;
	const target: Target = {
		...(sandbox ? { sandbox } : {}),
		...(relayValue && !sandbox ? { relay: originOf(relayValue, '--relay') } : {}),
		origin: values.origin ? originOf(values.origin, '--origin') : (sandbox ?? 'http://127.0.0.1:4173')
	};
	const deploy = values.deploy;
	if (deploy !== undefined && deploy !== 'digitalocean' && deploy !== 'hetzner')
		throw new Error('--deploy takes digitalocean or hetzner.');
	if (values.git !== 'github' && values.git !== 'gitlab') throw new Error('--git takes github or gitlab.');
	const waitMinutes = Number(values['wait-minutes']);
	if (!Number.isFinite(waitMinutes) || waitMinutes <= 0) throw new Error('--wait-minutes takes a number of minutes.');
	const only = values.only?.split(',').map((s) => s.trim());
	const unknown = only?.filter((id) => !PROVIDERS.some((p) => p.id === id));
	if (unknown?.length) throw new Error(`Unknown provider(s) in --only: ${unknown.join(', ')}.`);
	const outDir = values.out ? resolve(values.out) : resolve(import.meta.dirname, '../.tmp/live-check');
	const domain = values.domain ?? env.NASSELLA_LIVE_DOMAIN;
	const mirror = values.images ? originOf(values.images, '--images') : undefined;

	// The sandbox choices of the app address the sandbox on the page's own origin: here, the sandbox's.
	if (sandbox) Object.defineProperty(globalThis, 'location', { value: new URL(sandbox), configurable: true });

	const report: Report = {
		tool: 'nassella live-check',
		startedAt: new Date().toISOString(),
		target: { kind: sandbox ? 'sandbox' : 'real', ...target },
		node: process.version,
		verdict: 'skip',
		summary: { pass: 0, fail: 0, skip: 0, info: 0 },
		providers: [],
		downloads: [],
		log: []
	};
	const log = (line: string) => {
		const clean = scrub.text(line);
		report.log.push(clean);
		say(clean);
	};
	let phase = 'read';
	const tap = installTap({
		attribute: (u) => attribute(u, target),
		phase: () => phase,
		...(target.relay ? { relay: { base: target.relay, origin: target.origin } } : {})
	});
	const stop = new AbortController();
	let interrupts = 0;
	process.on('SIGINT', () => {
		interrupts += 1;
		if (interrupts === 1) {
			complain('live-check: stopping; press Ctrl-C again to quit at once (a deployment may then be left: --cleanup)');
			stop.abort();
		} else process.exit(130);
	});
	const started = performance.now();
	log(`live-check: ${sandbox ? `the sandbox at ${sandbox}` : 'the real providers'}; report in ${outDir}`);
	try {
		const catalog = loadCatalog();
		const app = catalog.apps.find((a) => a.id === values.app);
		if (!app) throw new Error(`No app ${values.app} in the catalog.`);
		const ctx = { target, tokens, app, domain, mirror, calls: tap.calls, log };
		if (!values.cleanup) {
			for (const p of PROVIDERS) {
				if (only && !only.includes(p.id)) continue;
				if (stop.signal.aborted) break;
				try {
					const r = await checkProvider(p, ctx);
					if (r.skipped) log(`${p.id}: skipped: ${r.skipped}`);
					report.providers.push(r);
				} catch (error) {
					log(`${p.id}: FAIL the check itself failed: ${describeError(error)}`);
					report.providers.push({
						id: p.id,
						name: p.name,
						kind: p.kind,
						env: p.env,
						verdict: 'fail',
						checks: [{ name: 'check', verdict: 'fail', detail: describeError(error) }]
					});
				}
			}
			if (!stop.signal.aborted) report.downloads = await checkDownloads(ctx);
		}
		if ((deploy || values.cleanup) && !stop.signal.aborted) {
			const deployCtx = {
				target,
				tokens,
				cloud: (deploy ?? 'digitalocean') as 'digitalocean' | 'hetzner',
				...(values.dns ? { dns: values.dns } : {}),
				git: values.git as 'github' | 'gitlab',
				...(domain ? { domain } : {}),
				app: app.id,
				...(values.region ? { region: values.region } : {}),
				...(values.size ? { size: values.size } : {}),
				waitMinutes,
				keepImage: values['keep-image'],
				outDir,
				scrub,
				calls: tap.calls,
				setPhase: (p: string) => void (phase = p),
				log,
				signal: stop.signal
			};
			report.deploy = values.cleanup ? await runCleanup(deployCtx) : await runDeploy(deployCtx);
		}
	} finally {
		tap.restore();
	}
	report.finishedAt = new Date().toISOString();
	report.durationMs = Math.round(performance.now() - started);
	report.summary = tally(report);
	report.verdict = overall([
		...report.providers.map((p) => p.verdict),
		...report.downloads.map((d) => d.verdict),
		...(report.deploy ? [report.deploy.verdict] : [])
	]);
	if (stop.signal.aborted && report.verdict !== 'fail') report.verdict = 'fail';
	const files = writeReport(outDir, report, scrub);
	say('');
	for (const p of report.providers)
		say(`  ${p.name.padEnd(14)} ${p.skipped ? `skipped: ${p.skipped}` : p.verdict === 'fail' ? 'FAILED' : p.verdict}`);
	if (report.deploy)
		say(`  ${'deployment'.padEnd(14)} ${report.deploy.verdict === 'fail' ? 'FAILED' : report.deploy.verdict}`);
	say(
		`live-check: ${report.summary.pass} passed, ${report.summary.fail} failed, ${report.summary.skip} skipped, ${report.summary.info} recorded`
	);
	say(`Report: ${files.md} (and ${files.json})`);
	return report.verdict === 'fail' ? 1 : 0;
}

process.on('unhandledRejection', (error) => {
	complain(`live-check: stopped: ${describeError(error)}`);
	process.exit(1);
});

try {
	process.exitCode = await main(process.argv.slice(2), process.env);
} catch (error) {
	complain(`live-check: ${describeError(error)}`);
	complain('Run `npm run live-check -- --help` for the options.');
	process.exitCode = 2;
}
