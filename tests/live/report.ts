/**
 * The live-check report: one JSON document with every figure and answer, and the same as
 * Markdown for people, with a summary table first. Both are scrubbed of every secret the kit
 * was given before they are written.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallRecord, HeadAnswer, PreflightAnswer, Scrubber } from './net.ts';

export type Verdict = 'pass' | 'fail' | 'skip' | 'info';

export interface Check {
	name: string;
	verdict: Verdict;
	/** One plain line: the figure, the answer, or why it failed or was skipped. */
	detail: string;
	ms?: number;
}

export interface SizeFigure {
	id: string;
	vcpus: number;
	memoryMiB: number;
	diskGiB: number;
	monthlyPrice: number;
	currency: string;
	arch: string;
}

/** The figures of a size the report keeps (a cloud's size carries more). */
export function sizeFigure(s: SizeFigure): SizeFigure {
	return {
		id: s.id,
		vcpus: s.vcpus,
		memoryMiB: s.memoryMiB,
		diskGiB: s.diskGiB,
		monthlyPrice: s.monthlyPrice,
		currency: s.currency,
		arch: s.arch
	};
}

export interface ProviderReport {
	id: string;
	name: string;
	kind: 'cloud' | 'dns' | 'git';
	env: string;
	/** The app's choice the adapter was built from (e.g. `sandbox-digitalocean`). */
	adapter?: string;
	verdict: Verdict;
	/** Why the provider was not looked at. */
	skipped?: string;
	checks: Check[];
	account?: string;
	regions?: { count: number; available: number; ids: string[] };
	sizes?: {
		count: number;
		cheapest?: SizeFigure;
		/** The cheapest size the default app fits on (what `--deploy` would take). */
		smallestForApp?: SizeFigure & { app: string; region?: string };
	};
	volumePrice?: { monthlyPerGiB: number; currency: string; source: string };
	zone?: { name: string; recordSets: number };
	images?: (HeadAnswer & { verdict: Verdict })[];
	rateLimit?: { headers: Record<string, string>; callsWithHeaders: number; calls: number };
	cors?: PreflightAnswer & { verdict: Verdict; why: string };
	relayCors?: PreflightAnswer & { verdict: Verdict; why: string };
	calls?: Omit<CallRecord, 'provider'>[];
}

export interface StepTiming {
	id: string;
	title: string;
	status: string;
	attempts: number;
	ms?: number;
	error?: string;
}

export interface DeployReport {
	verdict: Verdict;
	cloud: string;
	dns: string;
	git: string;
	deploymentId?: string;
	domain?: string;
	app?: string;
	region?: string;
	size?: SizeFigure;
	volumeGiB?: number;
	phase?: string;
	error?: string;
	deployMs?: number;
	steps?: StepTiming[];
	server?: { ipv4?: string; ipv6?: string; minutes?: number; estimatedCost?: string };
	status?: { commit: string | null; result: string; apps: Record<string, string>; os: string };
	destroy?: { phase: string; ms: number; error?: string };
	image?: { id: string; name: string; existedBefore: boolean; action: string };
	leftovers?: Check[];
	calls?: { provider: string; phase: string; count: number; ms: number }[];
}

export interface Report {
	tool: 'nassella live-check';
	startedAt: string;
	finishedAt?: string;
	durationMs?: number;
	target: { kind: 'sandbox' | 'real'; sandbox?: string; relay?: string; origin: string };
	node: string;
	verdict: Verdict;
	summary: { pass: number; fail: number; skip: number; info: number };
	providers: ProviderReport[];
	downloads: (HeadAnswer & { what: string; verdict: Verdict })[];
	deploy?: DeployReport;
	/** Lines the kit printed while it ran. */
	log: string[];
}

/** The worst verdict of a list: any fail fails; all skipped is skipped. */
export function overall(verdicts: readonly Verdict[]): Verdict {
	if (verdicts.includes('fail')) return 'fail';
	if (verdicts.includes('pass')) return 'pass';
	if (verdicts.includes('info')) return 'info';
	return 'skip';
}

export function tally(report: Report): Report['summary'] {
	const all: Verdict[] = [
		...report.providers.flatMap((p) => p.checks.map((c) => c.verdict)),
		...report.downloads.map((d) => d.verdict),
		...(report.deploy ? [report.deploy.verdict, ...(report.deploy.leftovers ?? []).map((c) => c.verdict)] : [])
	];
	return {
		pass: all.filter((v) => v === 'pass').length,
		fail: all.filter((v) => v === 'fail').length,
		skip: all.filter((v) => v === 'skip').length,
		info: all.filter((v) => v === 'info').length
	};
}

const MARK: Record<Verdict, string> = { pass: 'pass', fail: '**FAIL**', skip: 'skipped', info: 'recorded' };

const cell = (s: string | number | undefined) =>
	String(s ?? '—')
		.replace(/\|/g, '\\|')
		.replace(/\n/g, ' ');

function money(n: number, currency: string): string {
	return `${n.toFixed(n < 1 ? 4 : 2)} ${currency}`;
}

function sizeLine(s: SizeFigure): string {
	return `${s.id} (${s.vcpus} vCPU, ${s.memoryMiB} MiB, ${s.diskGiB} GB, ${s.arch}) ${money(s.monthlyPrice, s.currency)}/month`;
}

export function markdown(r: Report): string {
	const out: string[] = [];
	out.push(`# nassella live-check`, '');
	out.push(
		`- Target: ${r.target.kind === 'sandbox' ? `the sandbox at ${r.target.sandbox}` : 'the real providers'}` +
			(r.target.relay ? `, relay ${r.target.relay}` : '')
	);
	out.push(`- App origin: ${r.target.origin}`);
	out.push(`- Started: ${r.startedAt}; took ${Math.round((r.durationMs ?? 0) / 100) / 10} s; Node ${r.node}`);
	out.push(
		`- Result: ${MARK[r.verdict]} (${r.summary.pass} passed, ${r.summary.fail} failed, ${r.summary.skip} skipped, ${r.summary.info} recorded)`,
		''
	);
	out.push('## Summary', '');
	out.push('| provider | token | regions | sizes (cheapest) | images | rate-limit headers | CORS preflight | result |');
	out.push('|---|---|---|---|---|---|---|---|');
	for (const p of r.providers) {
		if (p.skipped) {
			out.push(`| ${p.name} | skipped: ${cell(p.skipped)} | | | | | | skipped |`);
			continue;
		}
		const token = p.checks.find((c) => c.name === 'token');
		const images = p.images?.length
			? p.images.map((i) => (i.status ? String(i.status) : MARK[i.verdict])).join(', ')
			: p.checks.some((c) => c.name.startsWith('image '))
				? MARK.skip
				: undefined;
		const rl =
			p.rateLimit && Object.keys(p.rateLimit.headers).length
				? Object.keys(p.rateLimit.headers).join(', ')
				: 'none seen';
		const cors = p.cors ? `${p.cors.status ?? 'no answer'} (${MARK[p.cors.verdict]})` : undefined;
		out.push(
			`| ${p.name} | ${cell(token ? MARK[token.verdict] : undefined)} | ${cell(p.regions ? `${p.regions.count}` : undefined)} | ${cell(
				p.sizes
					? `${p.sizes.count}${p.sizes.cheapest ? `; ${p.sizes.cheapest.id} ${money(p.sizes.cheapest.monthlyPrice, p.sizes.cheapest.currency)}/mo` : ''}`
					: undefined
			)} | ${cell(images)} | ${cell(rl)} | ${cell(cors)} | ${MARK[p.verdict]} |`
		);
	}
	if (r.deploy) {
		const d = r.deploy;
		out.push('', `Deployment on ${d.cloud}: ${MARK[d.verdict]}${d.error ? ` — ${cell(d.error)}` : ''}`);
	}
	out.push('');

	for (const p of r.providers) {
		out.push(`## ${p.name}`, '');
		out.push(`- Token from \`${p.env}\`${p.adapter ? `; adapter: the app's \`${p.adapter}\` choice` : ''}`);
		if (p.skipped) {
			out.push(`- Skipped: ${p.skipped}`, '');
			continue;
		}
		if (p.account) out.push(`- Account: ${p.account}`);
		if (p.regions)
			out.push(`- Regions: ${p.regions.count} (${p.regions.available} available): ${p.regions.ids.join(', ')}`);
		if (p.sizes) {
			out.push(`- Sizes: ${p.sizes.count}`);
			if (p.sizes.cheapest) out.push(`  - cheapest: ${sizeLine(p.sizes.cheapest)}`);
			if (p.sizes.smallestForApp)
				out.push(
					`  - cheapest that fits ${p.sizes.smallestForApp.app}: ${sizeLine(p.sizes.smallestForApp)}` +
						(p.sizes.smallestForApp.region ? ` in ${p.sizes.smallestForApp.region}` : '')
				);
		}
		if (p.volumePrice)
			out.push(
				`- Volumes: ${money(p.volumePrice.monthlyPerGiB, p.volumePrice.currency)} per GiB and month (${p.volumePrice.source})`
			);
		if (p.zone) out.push(`- Zone ${p.zone.name}: ${p.zone.recordSets} record sets`);
		out.push('', '| check | result | time | detail |', '|---|---|---|---|');
		for (const c of p.checks)
			out.push(`| ${c.name} | ${MARK[c.verdict]} | ${c.ms !== undefined ? `${c.ms} ms` : ''} | ${cell(c.detail)} |`);
		out.push('');
		if (p.images?.length) {
			out.push('Images (HEAD):', '');
			for (const i of p.images)
				out.push(
					`- ${i.url}: ${i.status ?? i.error} in ${i.ms} ms` +
						(i.contentLength !== undefined ? `, ${i.contentLength} bytes` : '') +
						(i.lastModified ? `, last modified ${i.lastModified}` : '') +
						(i.redirectedTo ? `, answered by ${i.redirectedTo}` : '')
				);
			out.push('');
		}
		if (p.rateLimit) {
			const h = Object.entries(p.rateLimit.headers);
			out.push(
				`Rate-limit headers (last seen, ${p.rateLimit.callsWithHeaders} of ${p.rateLimit.calls} answers carried some): ${
					h.length ? h.map(([k, v]) => `\`${k}: ${v}\``).join(', ') : 'none'
				}`,
				''
			);
		}
		for (const [label, c] of [
			['CORS preflight', p.cors],
			['CORS preflight through the relay', p.relayCors]
		] as const) {
			if (!c) continue;
			out.push(
				`${label}: OPTIONS ${c.url} with Origin ${c.origin} → ${c.status ?? c.error} in ${c.ms} ms (${MARK[c.verdict]}: ${c.why})`
			);
			for (const [k, v] of Object.entries(c.headers)) out.push(`- \`${k}: ${v}\``);
			out.push('');
		}
		if (p.calls?.length) {
			out.push('| call | answer | time |', '|---|---|---|');
			for (const c of p.calls)
				out.push(`| ${c.phase}: ${c.method} ${cell(c.url)} | ${c.status ?? cell(c.error)} | ${c.ms} ms |`);
			out.push('');
		}
	}

	if (r.downloads.length) {
		out.push('## What every server downloads', '', '| file | answer | time | size |', '|---|---|---|---|');
		for (const d of r.downloads)
			out.push(
				`| ${d.what}: ${cell(d.url)} | ${d.status ?? cell(d.error)} (${MARK[d.verdict]}) | ${d.ms} ms | ${d.contentLength ?? ''} |`
			);
		out.push('');
	}

	if (r.deploy) {
		const d = r.deploy;
		out.push('## Deployment', '');
		out.push(`- Result: ${MARK[d.verdict]}${d.error ? ` — ${d.error}` : ''}`);
		out.push(`- Cloud ${d.cloud}, DNS ${d.dns}, git host ${d.git}`);
		if (d.deploymentId) out.push(`- Deployment ${d.deploymentId}: ${d.app} on ${d.domain}`);
		if (d.size) out.push(`- Server: ${sizeLine(d.size)} in ${d.region}; data volume ${d.volumeGiB} GiB`);
		if (d.phase) out.push(`- Ended ${d.phase} after ${Math.round((d.deployMs ?? 0) / 1000)} s`);
		if (d.server)
			out.push(
				`- Server address ${d.server.ipv4 ?? '—'} / ${d.server.ipv6 ?? '—'}; it existed for ${d.server.minutes ?? '—'} minutes` +
					(d.server.estimatedCost ? ` (${d.server.estimatedCost})` : '')
			);
		if (d.status)
			out.push(
				`- Its report: commit ${d.status.commit?.slice(0, 12) ?? '—'}, ${d.status.result}, OS ${d.status.os}, apps ${Object.entries(
					d.status.apps
				)
					.map(([k, v]) => `${k} ${v}`)
					.join(', ')}`
			);
		if (d.steps?.length) {
			out.push('', '| step | status | attempts | time | error |', '|---|---|---|---|---|');
			for (const s of d.steps)
				out.push(
					`| ${cell(s.title)} | ${s.status} | ${s.attempts} | ${s.ms !== undefined ? `${Math.round(s.ms / 100) / 10} s` : ''} | ${cell(s.error ?? '')} |`
				);
			out.push('');
		}
		if (d.destroy)
			out.push(
				`- Destroy: ${d.destroy.phase} in ${Math.round(d.destroy.ms / 100) / 10} s${d.destroy.error ? ` — ${d.destroy.error}` : ''}`
			);
		if (d.image) out.push(`- Flatcar image ${d.image.name} (${d.image.id}): ${d.image.action}`);
		if (d.leftovers?.length) {
			out.push('', '| what is left | result | detail |', '|---|---|---|');
			for (const c of d.leftovers) out.push(`| ${c.name} | ${MARK[c.verdict]} | ${cell(c.detail)} |`);
			out.push('');
		}
		if (d.calls?.length) {
			out.push('| provider | phase | calls | time in calls |', '|---|---|---|---|');
			for (const c of d.calls) out.push(`| ${c.provider} | ${c.phase} | ${c.count} | ${c.ms} ms |`);
			out.push('');
		}
	}
	if (r.log.length) out.push('## Log', '', '```', ...r.log, '```', '');
	return out.join('\n');
}

/** Writes `live-check-report.json` and `.md`; refuses to write anything a secret is still in. */
export function writeReport(dir: string, report: Report, scrub: Scrubber): { json: string; md: string } {
	mkdirSync(dir, { recursive: true });
	// Every string is scrubbed before it is escaped into JSON or a table cell, then the whole text again.
	const clean = JSON.parse(
		JSON.stringify(report, (_key, value: unknown) => (typeof value === 'string' ? scrub.text(value) : value))
	) as Report;
	const json = scrub.text(JSON.stringify(clean, null, '\t'));
	const md = scrub.text(markdown(clean));
	if (scrub.leaks(json) || scrub.leaks(md)) throw new Error('The report still held a secret; it was not written.');
	const files = { json: join(dir, 'live-check-report.json'), md: join(dir, 'live-check-report.md') };
	writeFileSync(files.json, json + '\n');
	writeFileSync(files.md, md);
	return files;
}
