/**
 * `--deploy <cloud>`: the smallest real deployment of one app, made by the app's own deploy
 * engine (`DeployRunner`) with the app's adapters, keys, server generator and signed commits,
 * then the engine's own destroy, then a look at the accounts for anything left: servers,
 * volumes, firewalls and keys labelled with the deployment, its DNS records, its repository,
 * and anything new labelled managed-by=nassella. The Flatcar image is the account's (shared by
 * its deployments): one this run had to make is removed at the end unless `--keep-image`.
 *
 * The state is written to `<out>/deployment-state.json` after every step (no secrets: ids,
 * names, addresses), so an interrupted run is removed with `--cleanup`.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadCatalog } from '../../catalog/load.ts';
import { buildRepoCheck } from '../../src/cli/repo-check-build.ts';
import { ageEncrypt } from '../../src/lib/adapters/age/encrypt.ts';
import { bcryptDeriver, deploymentKeys, makeKeys } from '../../src/lib/adapters/deploy/keys.ts';
import { dohProbe, serverProbe } from '../../src/lib/adapters/deploy/probe.ts';
import { createServerLink, serverBase } from '../../src/lib/adapters/server/link.ts';
import { commitSigner } from '../../src/lib/adapters/ssh-signature/index.ts';
import type { CatalogApp } from '../../src/lib/core/catalog/types.ts';
import { completeAppSecrets, toDeployment } from '../../src/lib/core/deploy/config.ts';
import { initialState, type DeploymentState } from '../../src/lib/core/deploy/machine.ts';
import { buildPlan, stepSpec, type Plan } from '../../src/lib/core/deploy/plan.ts';
import { deploymentIdFrom, setupPlanInput } from '../../src/lib/core/deploy/setup.ts';
import { isSharedImage } from '../../src/lib/core/deploy/sweep.ts';
import { configRepoTree } from '../../src/lib/core/git/repo-files.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE } from '../../src/lib/core/labels.ts';
import { renderServer } from '../../src/lib/core/server/render.ts';
import { dataDevicePath, dohEndpoints } from '../../src/lib/main/providers.ts';
import type { CloudProvider, CloudResource } from '../../src/lib/ports/cloud.ts';
import type { AppProbe, DeployArtifacts, DeploymentStore } from '../../src/lib/ports/deploy.ts';
import { realClock } from '../../src/lib/adapters/deploy/clock.ts';
import type { DnsProvider } from '../../src/lib/ports/dns.ts';
import type { BundleFile, GitHost, RepoRef } from '../../src/lib/ports/git-host.ts';
import { DeployRunner } from '../../src/lib/services/deploy/runner.ts';
import { removeOrphans } from '../../src/lib/services/deploy/sweep.ts';
import { describeError, type CallRecord, type Scrubber } from './net.ts';
import { cloudFor, DEPLOY_DNS, dnsFor, gitFor, spec, type ProviderId, type Target } from './providers.ts';
import { smallestFor } from './read-only.ts';
import { sizeFigure, type Check, type DeployReport, type StepTiming } from './report.ts';

export const STATE_FILE = 'deployment-state.json';
/** What the account held before the run: the shared image and everything managed-by=nassella. */
export const BEFORE_FILE = 'deployment-before.json';

interface Before {
	deploymentId: string;
	imageBefore?: string;
	managedBefore: string[];
}

export interface DeployContext {
	target: Target;
	tokens: Partial<Record<ProviderId, string>>;
	cloud: 'digitalocean' | 'hetzner';
	/** A DNS choice (`desec`, `cloudflare`, `digitalocean-dns`, `hetzner-dns`); by default the first with a token. */
	dns?: string;
	git: 'github' | 'gitlab';
	/** The zone the DNS provider holds; the deployment gets `<id>.<zone>`. */
	domain?: string;
	app: string;
	region?: string;
	size?: string;
	waitMinutes: number;
	keepImage: boolean;
	outDir: string;
	scrub: Scrubber;
	calls: CallRecord[];
	setPhase(phase: string): void;
	log(line: string): void;
	/** Aborted when the person presses Ctrl-C: the deployment stops and is removed. */
	signal: AbortSignal;
}

const clock = realClock;

/** The deployment's state in the output folder, rewritten (atomically) at every transition. */
function fileStore(dir: string, onSave: (s: DeploymentState) => void): DeploymentStore {
	const file = join(dir, STATE_FILE);
	const read = (): DeploymentState | undefined =>
		existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DeploymentState) : undefined;
	return {
		load: async (id) => {
			const s = read();
			return s?.id === id ? s : undefined;
		},
		save: async (s) => {
			writeFileSync(`${file}.new`, JSON.stringify(s, null, '\t'));
			renameSync(`${file}.new`, file);
			onSave(s);
		},
		list: async () => {
			const s = read();
			return s ? [s.id] : [];
		},
		remove: async () => {}
	};
}

export function savedState(dir: string): DeploymentState | undefined {
	const file = join(dir, STATE_FILE);
	return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as DeploymentState) : undefined;
}

/** Which token a choice of the app takes (`sandbox-digitalocean-dns` → digitalocean). */
function tokenOf(choice: string): ProviderId {
	const base = choice.replace(/^sandbox-/, '');
	return DEPLOY_DNS[base] ?? (base as ProviderId);
}

function needToken(ctx: Pick<DeployContext, 'tokens'>, choice: string): string {
	const id = tokenOf(choice);
	const token = ctx.tokens[id];
	if (!token) throw new Error(`This needs a ${spec(id).name} token in ${spec(id).env}.`);
	return token;
}

interface Ports {
	cloud: CloudProvider;
	dns: DnsProvider;
	git: GitHost;
}

async function portsFor(plan: Plan, ctx: Pick<DeployContext, 'tokens' | 'target'>): Promise<Ports> {
	const { cloud, dns, git } = plan.input;
	return {
		cloud: await cloudFor(cloud.provider, needToken(ctx, cloud.provider), ctx.target),
		dns: await dnsFor(dns.provider, needToken(ctx, dns.provider), ctx.target),
		git: await gitFor(git.host, needToken(ctx, git.host), ctx.target)
	};
}

/** Step times, read from the states the engine stores after every transition. */
function stepClock() {
	const started = new Map<string, number>();
	const ended = new Map<string, number>();
	return {
		saw(s: DeploymentState) {
			const now = Date.now();
			for (const [id, step] of Object.entries(s.steps)) {
				if (!step || step.status === 'waiting') continue;
				if (!started.has(id)) started.set(id, now);
				if ((step.status === 'done' || step.status === 'failed') && !ended.has(id)) ended.set(id, now);
				if (step.status === 'pending' || step.status === 'retrying') ended.delete(id);
			}
		},
		timings(s: DeploymentState): StepTiming[] {
			return s.plan.steps.map((spec) => {
				const step = s.steps[spec.id];
				const a = started.get(spec.id);
				const b = ended.get(spec.id);
				return {
					id: spec.id,
					title: spec.title,
					status: step?.status ?? 'waiting',
					attempts: step?.attempts ?? 0,
					...(a !== undefined && b !== undefined ? { ms: b - a } : {}),
					...(step?.error ? { error: `${step.error.message} ${step.error.action ?? ''}`.trim() } : {})
				};
			});
		},
		endOf: (id: string) => ended.get(id)
	};
}

function callSummary(calls: CallRecord[], phases: string[]): DeployReport['calls'] {
	const rows = new Map<string, { provider: string; phase: string; count: number; ms: number }>();
	for (const c of calls) {
		if (!phases.includes(c.phase)) continue;
		const key = `${c.phase}|${c.provider}`;
		const row = rows.get(key) ?? { provider: c.provider, phase: c.phase, count: 0, ms: 0 };
		row.count += 1;
		row.ms += c.ms;
		rows.set(key, row);
	}
	return [...rows.values()];
}

/** The files a deployment ships, made as the app makes them (src/lib/main/deploy.ts `artifactsFor`). */
async function artifactsFor(
	app: CatalogApp,
	catalog: readonly CatalogApp[],
	plan: Plan,
	domain: string,
	origin: string,
	scrub: Scrubber
): Promise<{ artifacts: DeployArtifacts; admin: { user: string; password: string } }> {
	const id = plan.deploymentId;
	const secrets = completeAppSecrets(catalog, [app.id], {}, (b) => crypto.getRandomValues(b), await bcryptDeriver());
	const keys = await makeKeys(id, secrets);
	scrub.add(keys.admin.password);
	scrub.add(keys.age.identity);
	for (const values of Object.values(keys.appSecrets)) for (const v of Object.values(values)) scrub.add(v);
	const volumeName = stepSpec(plan, 'volume').name ?? 'data';
	const render = (repo: RepoRef, volume: { id: string; name: string }) =>
		renderServer(
			toDeployment({
				choices: { deploymentId: id, domain, apps: [app.id] },
				catalog,
				keys: deploymentKeys(keys),
				repo: { sshUrl: repo.sshUrl, branch: repo.defaultBranch, hostKeys: repo.hostKeys },
				dataDevice: dataDevicePath(plan.input.cloud.provider, volume),
				appOrigin: origin
			}),
			catalog,
			{ encrypt: ageEncrypt }
		);
	let check: Promise<string> | undefined;
	const artifacts: DeployArtifacts = {
		async bundle({ repo }) {
			// The check the repository's workflow runs, built from the same source as the app's copy.
			check ??= buildRepoCheck().then((b) => b.source);
			const [{ files }, source] = await Promise.all([render(repo, { id: '0', name: volumeName }), check]);
			const tree = configRepoTree(files, { serverName: domain, signingKey: keys.signingKey.publicKey, check: source });
			return tree.map((f): BundleFile => ({ path: f.path, content: f.contents, executable: f.executable }));
		},
		sign: commitSigner(keys.signingKey),
		async deployKey() {
			return { title: `nassella server ${id}`, publicKey: keys.deployKey.publicKey };
		},
		async ignition({ repo, volume }) {
			return (await render(repo, volume)).ignition;
		}
	};
	return { artifacts, admin: { user: keys.admin.user, password: keys.admin.password } };
}

/** Where the kit reads the server's report: the sandbox, the relay's `server` route, or the server itself. */
function linkBase(host: string, target: Target): string {
	if (target.sandbox) return serverBase(host, { sandbox: true, appOrigin: target.sandbox });
	if (target.relay) return serverBase(host, { sandbox: false, appOrigin: target.origin, proxyBase: target.relay });
	// Node has no CORS: without a relay the kit asks the server's admin host directly.
	return `https://${host}`;
}

function dohFor(target: Target) {
	return dohEndpoints(Boolean(target.sandbox)).map((e) => ({
		...e,
		url: e.url.startsWith('/') ? `${target.sandbox}${e.url}` : e.url
	}));
}

export async function runDeploy(ctx: DeployContext): Promise<DeployReport> {
	const sandbox = Boolean(ctx.target.sandbox);
	const dnsBase =
		ctx.dns ??
		(sandbox
			? 'desec'
			: (['desec', 'cloudflare'].find((d) => ctx.tokens[DEPLOY_DNS[d]!]) ??
				(ctx.cloud === 'digitalocean' ? 'digitalocean-dns' : 'hetzner-dns')));
	const report: DeployReport = { verdict: 'fail', cloud: ctx.cloud, dns: dnsBase, git: ctx.git };
	try {
		if (!DEPLOY_DNS[dnsBase])
			throw new Error(`Unknown DNS provider ${dnsBase}: use ${Object.keys(DEPLOY_DNS).join(', ')}.`);
		if (sandbox && ctx.git === 'gitlab') throw new Error('The sandbox has no stand-in for GitLab; use --git github.');
		mkdirSync(ctx.outDir, { recursive: true });
		const earlier = savedState(ctx.outDir);
		if (earlier && earlier.phase !== 'destroyed')
			throw new Error(
				`The deployment ${earlier.id} of an earlier run was not removed (it ended ${earlier.phase}). Run live-check with --cleanup first.`
			);
		const choice = (id: string) => (sandbox ? `sandbox-${id}` : id);
		const zone = ctx.domain ?? (sandbox ? (await import('../../workers/sandbox/index.ts')).SANDBOX_ZONE : undefined);
		if (!zone) throw new Error('--deploy needs --domain <a zone your DNS provider holds> (or NASSELLA_LIVE_DOMAIN).');

		const loaded = loadCatalog();
		if (loaded.problems.length) throw new Error(`The catalog has problems: ${loaded.problems.join('; ')}`);
		const app = loaded.apps.find((a) => a.id === ctx.app);
		if (!app) throw new Error(`No app ${ctx.app} in the catalog.`);
		report.app = app.id;

		ctx.setPhase('deploy');
		const cloud = await cloudFor(choice(ctx.cloud), needToken(ctx, ctx.cloud), ctx.target);
		const [sizes, regions] = await Promise.all([cloud.sizes(), cloud.regions()]);
		const fit = smallestFor(app, sizes, regions, ctx.region);
		const size = ctx.size ? sizes.find((s) => s.id === ctx.size) : fit?.size;
		if (!size)
			throw new Error(ctx.size ? `${ctx.cloud} has no size ${ctx.size}.` : `No size of ${ctx.cloud} fits ${app.id}.`);
		if (size.arch !== 'amd64')
			throw new Error(`${size.id} is an ${size.arch} size; the app's Flatcar images are amd64.`);
		const open = new Set(regions.filter((r) => r.available).map((r) => r.id));
		const region = ctx.region ?? (fit?.size.id === size.id ? fit.region : size.regions.find((r) => open.has(r)));
		if (!region || !size.regions.includes(region))
			throw new Error(`The size ${size.id} is not sold in ${region ?? 'any region'}.`);
		report.size = sizeFigure(size);
		report.region = region;

		const deploymentId = deploymentIdFrom(crypto.getRandomValues(new Uint8Array(12)));
		const domain = `${deploymentId}.${zone}`;
		const plan = buildPlan(
			setupPlanInput(
				{
					deploymentId,
					domain,
					dns: { provider: choice(dnsBase) },
					cloud: { provider: choice(ctx.cloud), region, size: size.id },
					git: { host: choice(ctx.git) }
				},
				[app]
			)
		);
		Object.assign(report, { deploymentId, domain, volumeGiB: plan.input.volumeGiB });
		ctx.log(
			`deploy: ${app.id} as ${deploymentId} on ${domain}: ${size.id} in ${region} (${size.monthlyPrice} ${size.currency}/month), DNS ${dnsBase}, git ${ctx.git}`
		);
		const ports = await portsFor(plan, ctx);
		await Promise.all([ports.cloud.verify(), ports.dns.verify(), ports.git.verify()]);

		const managed = { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE };
		const imageBefore = await ports.cloud.findImage?.(region);
		const managedBefore = new Set((await ports.cloud.findByLabels(managed)).map((r) => `${r.kind}:${r.id}`));
		const before: Before = { deploymentId, imageBefore: imageBefore?.id, managedBefore: [...managedBefore] };
		writeFileSync(join(ctx.outDir, BEFORE_FILE), JSON.stringify(before, null, '\t'));
		if (ctx.signal.aborted) throw new Error('Stopped before anything was made.');

		const { artifacts, admin } = await artifactsFor(app, loaded.apps, plan, domain, ctx.target.origin, ctx.scrub);
		const adminHost = plan.input.hosts.find((h) => h.app === 'nassella')!.fqdn;
		const link = () => createServerLink({ host: adminHost, ...admin, base: linkBase(adminHost, ctx.target) });
		const probe: AppProbe = serverProbe({
			dns: dohProbe(dohFor(ctx.target)),
			apps: [app.id],
			link: async () => link()
		});
		const steps = stepClock();
		const store = fileStore(ctx.outDir, (s) => steps.saw(s));
		const first = initialState(plan, Date.now());
		await store.save(first);
		const runner = new DeployRunner({ ...ports, probe, artifacts, clock, random: Math.random, store }, first, {
			probeIntervalMs: sandbox ? 500 : 5_000,
			probeTimeoutMs: ctx.waitMinutes * 60_000,
			ttl: 300
		});
		const stop = () => {
			ctx.log('deploy: stopping; what the deployment made is removed next');
			void runner.cancel();
		};
		ctx.signal.addEventListener('abort', stop, { once: true });
		const started = Date.now();
		let state: DeploymentState;
		try {
			state = await runner.run();
		} finally {
			ctx.signal.removeEventListener('abort', stop);
		}
		report.deployMs = Date.now() - started;
		report.phase = state.phase;
		report.steps = steps.timings(state);
		for (const s of report.steps)
			ctx.log(
				`deploy: step ${s.id} ${s.status} after ${s.attempts} attempt(s)${s.ms !== undefined ? ` in ${s.ms} ms` : ''}`
			);
		const address = state.steps['wait-server']?.output ?? {};
		report.server = {
			...(typeof address.ipv4 === 'string' ? { ipv4: address.ipv4 } : {}),
			...(typeof address.ipv6 === 'string' ? { ipv6: address.ipv6 } : {})
		};
		if (state.phase === 'done') {
			try {
				const s = await link().status();
				report.status = { commit: s.commit, result: s.result, apps: s.apps, os: s.os.version };
			} catch (error) {
				ctx.log(`deploy: the server's report could not be read: ${describeError(error)}`);
			}
		} else {
			report.error = state.error
				? `${state.error.message} ${state.error.action ?? ''}`.trim()
				: `the deployment ended ${state.phase}`;
			ctx.log(`deploy: FAIL ${report.error}`);
		}

		const end = await destroyAndCheck(runner, ports, state, ctx, report, {
			imageBefore: imageBefore?.id,
			managedBefore,
			region,
			started: steps.endOf('server')
		});
		if (report.server && end.serverGoneAt && end.serverMadeAt) {
			const minutes = Math.max(0, (end.serverGoneAt - end.serverMadeAt) / 60_000);
			report.server.minutes = Math.round(minutes * 10) / 10;
			report.server.estimatedCost = `about ${((size.monthlyPrice * minutes) / 43_200).toFixed(4)} ${size.currency}: the monthly price × minutes ÷ 43,200 (a 30-day month), before the provider's rounding`;
		}
		report.verdict =
			state.phase === 'done' &&
			report.destroy?.phase === 'destroyed' &&
			(report.leftovers ?? []).every((c) => c.verdict !== 'fail')
				? 'pass'
				: 'fail';
	} catch (error) {
		report.error = describeError(error);
		ctx.log(`deploy: FAIL ${report.error}`);
		report.verdict = 'fail';
	}
	report.calls = callSummary(ctx.calls, ['deploy', 'destroy', 'leftovers']);
	return report;
}

/** The engine's destroy, then the look for anything left (shared by `--deploy` and `--cleanup`). */
async function destroyAndCheck(
	runner: DeployRunner,
	ports: Ports,
	state: DeploymentState,
	ctx: Pick<DeployContext, 'setPhase' | 'log' | 'keepImage' | 'tokens' | 'target'>,
	report: DeployReport,
	before: { imageBefore?: string; managedBefore?: Set<string>; region: string; started?: number }
): Promise<{ serverMadeAt?: number; serverGoneAt?: number }> {
	ctx.setPhase('destroy');
	const t = Date.now();
	let after = state;
	if (state.phase !== 'destroyed') {
		ctx.log('destroy: removing everything the deployment made');
		after = await runner.destroy();
	}
	const serverGoneAt = Date.now();
	report.destroy = {
		phase: after.phase,
		ms: serverGoneAt - t,
		...(after.destroy?.error
			? { error: `${after.destroy.error.message} ${after.destroy.error.action ?? ''}`.trim() }
			: {})
	};
	ctx.log(
		`destroy: ${after.phase} in ${report.destroy.ms} ms${report.destroy.error ? `: ${report.destroy.error}` : ''}`
	);

	ctx.setPhase('leftovers');
	const checks: Check[] = [];
	const add = (c: Check) => {
		checks.push(c);
		ctx.log(`leftovers: ${c.verdict.toUpperCase()} ${c.name}: ${c.detail}`);
	};
	const { plan } = after;
	const id = plan.deploymentId;

	const look = async <T>(name: string, run: () => Promise<T>, judge: (v: T) => Check) => {
		try {
			add(judge(await run()));
		} catch (error) {
			add({ name, verdict: 'fail', detail: `could not look: ${describeError(error)}` });
		}
	};
	const list = (rs: CloudResource[]) => rs.map((r) => `${r.kind} ${r.name} (${r.id})`).join(', ');

	await look(
		'cloud resources labelled with the deployment',
		() => ports.cloud.findByLabels(plan.labels),
		(rs) => ({
			name: 'cloud resources labelled with the deployment',
			verdict: rs.length ? 'fail' : 'pass',
			detail: rs.length
				? `left: ${list(rs)}`
				: `none labelled nassella-deployment=${id} (servers, volumes, firewalls, keys)`
		})
	);

	await look(
		'DNS records',
		async () => {
			const left: string[] = [];
			const zones = new Map<string, Awaited<ReturnType<DnsProvider['list']>>>();
			for (const { fqdn } of plan.input.hosts) {
				const zone = await ports.dns.findZone(fqdn);
				if (!zones.has(zone.id)) zones.set(zone.id, await ports.dns.list(zone));
				for (const r of zones.get(zone.id)!) if (r.name === fqdn.toLowerCase()) left.push(`${r.type} ${r.name}`);
			}
			return left;
		},
		(left) => ({
			name: 'DNS records',
			verdict: left.length ? 'fail' : 'pass',
			detail: left.length
				? `left: ${left.join(', ')}`
				: `none for the ${plan.input.hosts.length} names of the deployment`
		})
	);

	// Read from the state before the destroy, which clears the steps. A repo step that was begun
	// but not answered made (or not) the deterministic name in the token's account.
	const repoStep = state.steps.repo;
	let repoName: string | undefined;
	try {
		const known = repoStep?.output?.fullName;
		if (typeof known === 'string') repoName = known;
		else if ((repoStep?.attempts ?? 0) > 0)
			repoName = `${(await ports.git.verify()).account}/${stepSpec(plan, 'repo').name}`;
	} catch (error) {
		add({ name: 'repository', verdict: 'fail', detail: `could not look: ${describeError(error)}` });
	}
	if (repoName)
		await look(
			'repository',
			() => repoAnswer(plan.input.git.host, repoName, ctx),
			(a) => ({
				name: 'repository',
				verdict: a.gone ? 'pass' : 'fail',
				detail: `${repoName}: ${a.detail}`
			})
		);
	else if (!checks.some((c) => c.name === 'repository'))
		add({ name: 'repository', verdict: 'pass', detail: 'the repository step never began' });

	// The account's shared Flatcar image: removed when this run made it, unless asked to keep it.
	// One kept on purpose (there before, --keep-image, or not known) is not counted as left.
	let keptOnPurpose: string | undefined;
	try {
		const image = await ports.cloud.findImage?.(before.region);
		if (image) {
			const existedBefore = before.imageBefore === image.id;
			let action: string;
			if (!before.managedBefore)
				action =
					'kept: live-check does not know whether the run made it (the app’s orphan sweep offers it once no deployment uses it)';
			else if (existedBefore) action = 'kept: it was there before this run (the account’s deployments share it)';
			else if (after.phase !== 'destroyed')
				action = 'made by this run; kept while the deployment is not removed (--cleanup removes both)';
			else if (ctx.keepImage) action = 'made by this run and kept (--keep-image)';
			else {
				const failed = await removeOrphans(ports.cloud, [image]);
				action = failed.length ? 'made by this run; it could not be removed' : 'made by this run and removed';
			}
			if (action.startsWith('kept') || ctx.keepImage) keptOnPurpose = image.id;
			report.image = { id: image.id, name: image.name, existedBefore, action };
			ctx.log(`leftovers: image ${image.name}: ${action}`);
			if (action.includes('could not')) add({ name: 'Flatcar image', verdict: 'fail', detail: action });
		}
	} catch (error) {
		add({ name: 'Flatcar image', verdict: 'fail', detail: `could not look: ${describeError(error)}` });
	}

	if (before.managedBefore) {
		const known = before.managedBefore;
		await look(
			'new resources labelled managed-by=nassella',
			() => ports.cloud.findByLabels({ [MANAGED_BY_LABEL]: MANAGED_BY_VALUE }),
			(rs) => {
				const fresh = rs.filter(
					(r) => !known.has(`${r.kind}:${r.id}`) && !(isSharedImage(r) && r.id === keptOnPurpose)
				);
				return {
					name: 'new resources labelled managed-by=nassella',
					verdict: fresh.length ? 'fail' : 'pass',
					detail: fresh.length ? `left: ${list(fresh)}` : 'none beyond what was there before the run'
				};
			}
		);
	}
	report.leftovers = checks;
	return { serverMadeAt: before.started, serverGoneAt };
}

/**
 * Whether the repository is gone. The git port has no look-up by name (adopting is its
 * look-up), so this one read asks the host's REST API directly.
 */
async function repoAnswer(
	host: string,
	fullName: string,
	ctx: Pick<DeployContext, 'tokens' | 'target'>
): Promise<{ gone: boolean; detail: string }> {
	const token = needToken(ctx, host);
	const gitlab = host.replace(/^sandbox-/, '') === 'gitlab';
	const url = gitlab
		? `https://gitlab.com/api/v4/projects/${encodeURIComponent(fullName)}`
		: `${ctx.target.sandbox ? `${ctx.target.sandbox}/sandbox/github` : 'https://api.github.com'}/repos/${fullName}`;
	const r = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
	const body = (await r.json().catch(() => ({}))) as {
		marked_for_deletion_on?: string;
		marked_for_deletion_at?: string;
	};
	if (r.status === 404) return { gone: true, detail: 'gone (404)' };
	const marked = body.marked_for_deletion_on ?? body.marked_for_deletion_at;
	if (r.ok && marked) return { gone: true, detail: `marked for deletion on ${marked}` };
	return { gone: false, detail: r.ok ? `still there (${r.status})` : `could not tell (${r.status})` };
}

/** `--cleanup`: removes what the deployment in `<out>/deployment-state.json` made, then looks for anything left. */
export async function runCleanup(ctx: DeployContext): Promise<DeployReport> {
	const state = savedState(ctx.outDir);
	const report: DeployReport = { verdict: 'fail', cloud: '', dns: '', git: '' };
	try {
		if (!state) throw new Error(`No saved deployment in ${join(ctx.outDir, STATE_FILE)}.`);
		const { plan } = state;
		Object.assign(report, {
			cloud: plan.input.cloud.provider,
			dns: plan.input.dns.provider,
			git: plan.input.git.host,
			deploymentId: plan.deploymentId,
			region: plan.input.cloud.region,
			phase: state.phase
		});
		if (plan.input.cloud.provider.startsWith('sandbox-') !== Boolean(ctx.target.sandbox))
			throw new Error(
				ctx.target.sandbox
					? 'The saved deployment is on the real providers: run --cleanup without --base.'
					: 'The saved deployment is in the sandbox: give --base <sandbox origin>.'
			);
		const ports = await portsFor(plan, ctx);
		const refuse = async (): Promise<never> => {
			throw new Error('Only removing: nothing is made in a cleanup.');
		};
		const runner = new DeployRunner(
			{
				...ports,
				probe: { answers: refuse },
				artifacts: { bundle: refuse, sign: refuse, deployKey: refuse, ignition: refuse },
				clock,
				random: Math.random,
				store: fileStore(ctx.outDir, () => {})
			},
			state
		);
		const file = join(ctx.outDir, BEFORE_FILE);
		const before = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Before) : undefined;
		const known = before?.deploymentId === plan.deploymentId ? before : undefined;
		await destroyAndCheck(runner, ports, state, ctx, report, {
			region: plan.input.cloud.region,
			...(known ? { imageBefore: known.imageBefore, managedBefore: new Set(known.managedBefore) } : {})
		});
		report.verdict =
			report.destroy?.phase === 'destroyed' && (report.leftovers ?? []).every((c) => c.verdict !== 'fail')
				? 'pass'
				: 'fail';
	} catch (error) {
		report.error = describeError(error);
		ctx.log(`cleanup: FAIL ${report.error}`);
	}
	report.calls = callSummary(ctx.calls, ['destroy', 'leftovers']);
	return report;
}
