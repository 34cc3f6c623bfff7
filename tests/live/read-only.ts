/**
 * The read-only pass: for each provider with a token, what the app itself asks first (the
 * adapter's token check, regions and sizes with prices, the DNS zone), whether the Flatcar
 * images and the server's downloads answer, which rate-limit headers come back, and how the
 * provider answers a browser's CORS preflight. Nothing is created.
 */
import { basename } from 'node:path';
import { viaProxy } from '../../src/lib/core/net/proxy-url.ts';
import { sizeFit, type AppChoice } from '../../src/lib/core/deploy/setup.ts';
import { resolveDownload } from '../../src/lib/core/model/downloads.ts';
import type { CloudProvider, Region, Size } from '../../src/lib/ports/cloud.ts';
import type { DnsProvider } from '../../src/lib/ports/dns.ts';
import type { GitHost } from '../../src/lib/ports/git-host.ts';
import { describeError, head, preflight, preflightAllows, type CallRecord } from './net.ts';
import {
	apiBase,
	choiceId,
	cloudFor,
	dnsFor,
	gitFor,
	needsProxy,
	type ProviderId,
	type ProviderSpec,
	type Target
} from './providers.ts';
import { overall, sizeFigure, type Check, type ProviderReport, type Report, type Verdict } from './report.ts';

export interface ReadContext {
	target: Target;
	tokens: Partial<Record<ProviderId, string>>;
	/** The app `--deploy` would set up: the size that fits it is reported. */
	app: AppChoice;
	/** A zone the DNS providers should hold (`--domain`). */
	domain?: string;
	/** A mirror of the download hosts (`--images`), in the relay's URL form. */
	mirror?: string;
	/** The tap's records: the provider's calls are read from it. */
	calls: CallRecord[];
	log(line: string): void;
}

async function timed<T>(run: () => Promise<T>): Promise<{ value?: T; error?: unknown; ms: number }> {
	const started = performance.now();
	try {
		const value = await run();
		return { value, ms: Math.round(performance.now() - started) };
	} catch (error) {
		return { error, ms: Math.round(performance.now() - started) };
	}
}

/** Personal account names are shortened: enough to tell accounts apart, not to copy an address. */
export function maskAccount(account: string): string {
	const at = account.indexOf('@');
	if (at > 0) return `${account[0]}…${account.slice(at)}`;
	return account;
}

/** The cheapest size the app fits on (x86: the Flatcar images the app uses are amd64), and a region it is sold in. */
export function smallestFor(app: AppChoice, sizes: readonly Size[], regions: readonly Region[], region?: string) {
	const open = new Set(regions.filter((r) => r.available).map((r) => r.id));
	const fits = sizes
		.filter((s) => s.arch === 'amd64' && sizeFit([app], s).fits)
		.filter((s) => (region ? s.regions.includes(region) : s.regions.some((r) => open.has(r))))
		.sort((a, b) => a.monthlyPrice - b.monthlyPrice || a.memoryMiB - b.memoryMiB);
	const size = fits[0];
	if (!size) return undefined;
	return { size, region: region ?? size.regions.find((r) => open.has(r)) };
}

/** Where a download is asked for: the address itself, or the mirror given with `--images`. */
function downloadUrl(url: string, ctx: ReadContext): string | undefined {
	if (ctx.mirror) return viaProxy(url, ctx.mirror);
	return ctx.target.sandbox ? undefined : url;
}

const NO_IMAGES = 'the sandbox serves no Flatcar images or downloads; give --images <mirror> to check a mirror';

function headVerdict(status: number | undefined): Verdict {
	return status !== undefined && status >= 200 && status < 300 ? 'pass' : 'fail';
}

export async function checkProvider(p: ProviderSpec, ctx: ReadContext): Promise<ProviderReport> {
	const report: ProviderReport = { id: p.id, name: p.name, kind: p.kind, env: p.env, verdict: 'skip', checks: [] };
	const id = choiceId(p, ctx.target);
	if (!id) {
		report.skipped = `the sandbox has no stand-in for ${p.name}`;
		return report;
	}
	report.adapter = id;
	const token = ctx.tokens[p.id];
	if (!token) {
		report.skipped = 'no token';
		return report;
	}
	const first = ctx.calls.length;
	const checks = report.checks;
	const add = (c: Check) => {
		checks.push(c);
		ctx.log(`${p.id}: ${c.verdict.toUpperCase()} ${c.name}: ${c.detail}${c.ms !== undefined ? ` (${c.ms} ms)` : ''}`);
	};

	let cloud: CloudProvider | undefined;
	let dns: DnsProvider | undefined;
	let git: GitHost | undefined;
	if (p.kind === 'cloud') cloud = await cloudFor(id, token, ctx.target);
	else if (p.kind === 'dns') dns = await dnsFor(id, token, ctx.target);
	else git = await gitFor(id, token, ctx.target);

	const verify = await timed(() => (cloud ?? dns ?? git)!.verify());
	const tokenOk = !verify.error;
	if (verify.value) report.account = maskAccount(verify.value.account);
	add({
		name: 'token',
		verdict: tokenOk ? 'pass' : 'fail',
		detail: tokenOk ? `accepted (${report.account})` : `refused: ${describeError(verify.error)}`,
		ms: verify.ms
	});
	const notRun = (name: string) => add({ name, verdict: 'skip', detail: 'not asked: the token was refused' });

	if (cloud) {
		let regions: Region[] = [];
		if (!tokenOk) notRun('regions');
		else {
			const r = await timed(() => cloud.regions());
			regions = r.value ?? [];
			if (r.value)
				report.regions = {
					count: regions.length,
					available: regions.filter((x) => x.available).length,
					ids: regions.map((x) => x.id)
				};
			add({
				name: 'regions',
				verdict: r.value && regions.length > 0 ? 'pass' : 'fail',
				detail: r.value
					? `${regions.length} regions, ${report.regions!.available} available`
					: `failed: ${describeError(r.error)}`,
				ms: r.ms
			});
		}
		if (!tokenOk) notRun('sizes');
		else {
			const s = await timed(() => cloud.sizes());
			const sizes = s.value ?? [];
			if (s.value) {
				const cheapest = [...sizes].sort((a, b) => a.monthlyPrice - b.monthlyPrice)[0];
				const fit = smallestFor(ctx.app, sizes, regions);
				report.sizes = {
					count: sizes.length,
					...(cheapest ? { cheapest: sizeFigure(cheapest) } : {}),
					...(fit ? { smallestForApp: { ...sizeFigure(fit.size), app: ctx.app.id, region: fit.region } } : {})
				};
			}
			const c = report.sizes?.cheapest;
			add({
				name: 'sizes',
				verdict: s.value && sizes.length > 0 ? 'pass' : 'fail',
				detail: s.value
					? `${sizes.length} sizes; cheapest ${c ? `${c.id} at ${c.monthlyPrice} ${c.currency}/month` : 'none'}` +
						(report.sizes?.smallestForApp
							? `; cheapest for ${ctx.app.id}: ${report.sizes.smallestForApp.id} at ${report.sizes.smallestForApp.monthlyPrice} ${report.sizes.smallestForApp.currency}/month`
							: `; none fits ${ctx.app.id}`)
					: `failed: ${describeError(s.error)}`,
				ms: s.ms
			});
			const region = report.sizes?.smallestForApp?.region ?? regions.find((r) => r.available)?.id;
			if (cloud.volumePrice && region) {
				const v = await timed(() => cloud.volumePrice!(region));
				if (v.value)
					report.volumePrice = {
						monthlyPerGiB: v.value.monthlyPerGiB,
						currency: v.value.currency,
						source: v.value.source
					};
				add({
					name: 'volume price',
					verdict: v.value ? 'pass' : 'fail',
					detail: v.value
						? `${v.value.monthlyPerGiB} ${v.value.currency} per GiB and month in ${region} (${v.value.source})`
						: `failed: ${describeError(v.error)}`,
					ms: v.ms
				});
			}
		}
	}

	if (dns && ctx.domain) {
		if (!tokenOk) notRun('zone');
		else {
			const z = await timed(async () => {
				const zone = await dns.findZone(ctx.domain!);
				return { zone, sets: await dns.list(zone) };
			});
			if (z.value) report.zone = { name: z.value.zone.name, recordSets: z.value.sets.length };
			add({
				name: 'zone',
				verdict: z.value ? 'pass' : 'fail',
				detail: z.value
					? `${z.value.zone.name} holds ${z.value.sets.length} record sets`
					: `failed: ${describeError(z.error)}`,
				ms: z.ms
			});
		}
	}

	for (const image of p.images ?? []) {
		const url = downloadUrl(image, ctx);
		const name = `image ${basename(new URL(image).pathname)}`;
		if (!url) {
			add({ name, verdict: 'skip', detail: NO_IMAGES });
			continue;
		}
		const answer = await head(url);
		const verdict = headVerdict(answer.status);
		(report.images ??= []).push({ ...answer, verdict });
		add({
			name,
			verdict,
			detail:
				answer.status !== undefined
					? `HEAD ${answer.status}${answer.contentLength !== undefined ? `, ${answer.contentLength} bytes` : ''}${answer.lastModified ? `, last modified ${answer.lastModified}` : ''}`
					: `no answer: ${answer.error}`,
			ms: answer.ms
		});
	}

	const base = apiBase(p, ctx.target)!;
	const corsUrl = `${base}${p.corsPath}`;
	const cors = await preflight(corsUrl, ctx.target.origin);
	const relayed = needsProxy(id);
	let corsVerdict: Verdict;
	let why: string;
	if (ctx.target.sandbox) {
		corsVerdict = 'info';
		why = 'the sandbox answers on the app’s own origin, where a browser sends no preflight';
	} else if (relayed) {
		corsVerdict = 'info';
		why = `the app reaches ${p.name} through the relay; recorded for reference`;
	} else {
		const judged = preflightAllows(cors);
		corsVerdict = judged.ok ? 'pass' : 'fail';
		why = judged.ok ? judged.why : `a browser could not call ${p.name} directly: ${judged.why}`;
	}
	report.cors = { ...cors, verdict: corsVerdict, why };
	add({
		name: 'CORS preflight',
		verdict: corsVerdict,
		detail: `${cors.status ?? `no answer (${cors.error})`}; allow-origin ${cors.headers['access-control-allow-origin'] ?? 'none'}; ${why}`,
		ms: cors.ms
	});
	if (relayed && ctx.target.relay && !ctx.target.sandbox) {
		const answer = await preflight(viaProxy(corsUrl, ctx.target.relay), ctx.target.origin);
		const judged = preflightAllows(answer);
		report.relayCors = { ...answer, verdict: judged.ok ? 'pass' : 'fail', why: judged.why };
		add({
			name: 'CORS preflight through the relay',
			verdict: judged.ok ? 'pass' : 'fail',
			detail: `${answer.status ?? `no answer (${answer.error})`}; ${judged.why}`,
			ms: answer.ms
		});
	}

	const mine = ctx.calls.slice(first).filter((c) => c.provider === p.id);
	const headers: Record<string, string> = {};
	for (const c of mine) Object.assign(headers, c.rateLimit);
	report.rateLimit = {
		headers,
		callsWithHeaders: mine.filter((c) => Object.keys(c.rateLimit).length > 0).length,
		calls: mine.length
	};
	add({
		name: 'rate-limit headers',
		verdict: 'info',
		detail: Object.keys(headers).length
			? Object.entries(headers)
					.map(([k, v]) => `${k}=${v}`)
					.join(', ')
			: `none in ${mine.length} answers`
	});
	report.calls = mine.map(({ provider: _p, ...rest }) => rest);
	report.verdict = overall(checks.map((c) => c.verdict));
	return report;
}

/** The files every server downloads on its first boot (nassella-fetch), each asked for with HEAD. */
export async function checkDownloads(ctx: ReadContext): Promise<Report['downloads']> {
	const out: Report['downloads'] = [];
	for (const [what, kind] of [
		['Docker Compose extension', 'composeSysext'],
		['age', 'age']
	] as const) {
		const upstream = resolveDownload(kind, undefined, 'amd64').url;
		const url = downloadUrl(upstream, ctx);
		if (!url) {
			out.push({ what, url: upstream, ms: 0, verdict: 'skip', error: NO_IMAGES });
			ctx.log(`downloads: SKIP ${what}: ${NO_IMAGES}`);
			continue;
		}
		const answer = await head(url);
		const verdict = headVerdict(answer.status);
		out.push({ ...answer, what, verdict });
		ctx.log(`downloads: ${verdict.toUpperCase()} ${what}: ${answer.status ?? answer.error} (${answer.ms} ms)`);
	}
	return out;
}
