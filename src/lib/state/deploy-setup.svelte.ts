/**
 * The setup wizard's state: the person's choices step by step, tokens checked as they are
 * entered, the review, and then the running deployment (resumed after a reload).
 */
import { buildPlan, PlanError, type Plan, type PlanInput, type StepId } from '../core/deploy/plan.ts';
import type { DeploymentState } from '../core/deploy/machine.ts';
import {
	backupProblem,
	dedynProblem,
	DEDYN_SUFFIX,
	deploymentIdFrom,
	hostsFor,
	monthlyCost,
	passwordFrom,
	sizeFit,
	sshKeyProblem,
	setupPlanInput,
	volumeGiB,
	type AppChoice,
	type Fit,
	type SizeChoice,
	type StoragePrice
} from '../core/deploy/setup.ts';
import { describeError } from '../core/errors.ts';
import {
	DEFAULT_REBOOT_WINDOW,
	localTimeZone,
	rebootWindowProblem,
	type RebootWindow
} from '../core/deploy/reboot-window.ts';
import { domainProblem, parseDomain, toUnicode } from '../core/model/domain.ts';
import { checkInputs } from '../core/catalog/inputs.ts';
import { searchApps, usedCategories } from '../core/catalog/catalog.ts';
import type { Category } from '../core/catalog/types.ts';
import { storedProxyBase } from './proxy.svelte.ts';
import type { Region } from '../ports/cloud.ts';
import type { DeployController, Role } from '../services/deploy/controller.ts';
import { checkDomainZone } from '../services/deploy/steps.ts';
import type { DeployEnvironment, ProviderOption, SetupRecord } from '../main/deploy.ts';

export const WIZARD_STEPS = ['apps', 'domain', 'cloud', 'git', 'backups', 'review', 'deploy'] as const;
export type WizardStep = (typeof WIZARD_STEPS)[number];

export const WIZARD_TITLES: Record<WizardStep, string> = {
	apps: 'Apps',
	domain: 'Web address',
	cloud: 'Server',
	git: 'Settings storage',
	backups: 'Backups',
	review: 'Review',
	deploy: 'Set up'
};

export type Check =
	| { state: 'idle' }
	| { state: 'checking' }
	| { state: 'ok'; account: string }
	| { state: 'error'; message: string; action: string };

/**
 * What a person must do before a token step lets them on, in plain words: choose a provider,
 * paste a token (any word for a practice choice), press Check, wait, or fix what the check said.
 */
export function tokenBlocker(
	what: string,
	option: { providerName: string; sandbox: boolean } | undefined,
	token: string,
	check: Check
): string | undefined {
	if (!option) return `Choose a ${what} provider.`;
	if (check.state === 'ok') return undefined;
	if (!token.trim())
		return option.sandbox
			? 'Type any word as the token, for example “sandbox”, then press Check.'
			: `Paste your ${option.providerName} token in the box above (“How to make this token” shows where to get one).`;
	if (check.state === 'checking') return 'Checking the token…';
	if (check.state === 'error') return 'The token did not work: see what to do just under it, then press Check again.';
	return 'Press Check next to the token.';
}

/** The sandbox's practice backup storage (npm start keeps it in memory; nothing leaves this computer). */
export const PRACTICE_STORAGE = 'https://backups.nassella-sandbox.example';

/** Not a secret: only where this browser's setup stood, kept beside the vault for a locked reload. */
const PHASE_KEY = 'nassella.setup-phase';
const PHASES: readonly DeploymentState['phase'][] = ['running', 'failed', 'cancelled', 'destroying', 'done'];

function rememberPhase(phase: DeploymentState['phase'] | undefined): void {
	const storage = globalThis.localStorage;
	if (!storage) return;
	if (phase && phase !== 'destroyed') storage.setItem(PHASE_KEY, phase);
	else storage.removeItem(PHASE_KEY);
}

function seenPhase(): DeploymentState['phase'] | undefined {
	const value = globalThis.localStorage?.getItem(PHASE_KEY);
	return PHASES.find((p) => p === value);
}

function describe(e: unknown): { message: string; action: string } {
	if (e instanceof PlanError) return { message: e.message, action: 'Go back and change it.' };
	const { message, action } = describeError(e, { message: 'Something unexpected went wrong.', action: 'Try again.' });
	return { message, action };
}

export class SetupWizardState {
	step = $state<WizardStep>('apps');
	apps = $state<AppChoice[]>([]);
	selected = $state<string[]>([]);
	/** Values typed for the chosen apps' inputs, per app. */
	inputs = $state<Record<string, Record<string, string>>>({});
	#domainMode = $state<'own' | 'dedyn'>('own');
	/** What was typed for each kind of name, so switching back finds it again. */
	#typed = { own: '', dedyn: '' };
	domainInput = $state('');
	dnsProvider = $state('');
	dnsToken = $state('');
	dnsCheck = $state<Check>({ state: 'idle' });
	/** The free dedyn.io name claimed in the person's deSEC account by the last check, if it was new. */
	dnsClaimed = $state('');
	cloudProvider = $state('');
	cloudToken = $state('');
	cloudCheck = $state<Check>({ state: 'idle' });
	regions = $state<Region[]>([]);
	sizes = $state<SizeChoice[]>([]);
	/** The provider's price for the data disk, when it gives one. */
	volumePrice = $state<StoragePrice | undefined>(undefined);
	region = $state('');
	size = $state('');
	sshPublicKey = $state('');
	/** When the server may restart for updates; the time zone is this browser's by default. */
	rebootWindow = $state<RebootWindow>({ ...DEFAULT_REBOOT_WINDOW, timezone: localTimeZone() });
	gitHost = $state('');
	gitToken = $state('');
	gitCheck = $state<Check>({ state: 'idle' });
	backups = $state({ endpoint: '', bucket: '', accessKeyId: '', secretAccessKey: '' });
	resticPassword = $state('');
	problem = $state('');
	deployment = $state<DeploymentState | undefined>(undefined);
	role = $state<Role>('idle');
	deploymentProblem = $state('');
	ready = $state(false);
	/** The orphan sweep: leftovers found in the cloud account, or undefined before a look. */
	leftovers = $state<{ kind: string; id: string; name: string }[] | undefined>(undefined);
	sweepMessage = $state('');
	vaultLocked = $state(false);
	/**
	 * While the vault is locked: where this browser's setup stood when last seen (a deploy in
	 * progress, finished, or stopped), so a reload says so instead of showing an empty wizard.
	 */
	resumePhase = $state<DeploymentState['phase'] | undefined>(undefined);
	#env: DeployEnvironment;
	#controller: DeployController | undefined;
	#deploymentId = '';
	#leftovers: import('../ports/cloud.ts').CloudResource[] = [];

	constructor(env: DeployEnvironment) {
		this.#env = env;
	}

	get clouds(): ProviderOption<unknown>[] {
		return sortSandboxFirst(this.#env.clouds);
	}
	/** A free dedyn.io name can only be served by who hands it out: the others are not offered. */
	get dnsProviders(): ProviderOption<unknown>[] {
		const dns = sortSandboxFirst(this.#env.dns);
		return this.#domainMode === 'dedyn' ? dns.filter((o) => o.freeNames === DEDYN_SUFFIX) : dns;
	}

	get domainMode(): 'own' | 'dedyn' {
		return this.#domainMode;
	}

	/** Switching between "a domain I own" and "a free name": each keeps its own text, and the check starts over. */
	set domainMode(mode: 'own' | 'dedyn') {
		if (mode === this.#domainMode) return;
		this.#typed[this.#domainMode] = this.domainInput;
		this.#domainMode = mode;
		this.domainInput = this.#typed[mode];
		this.dnsCheck = { state: 'idle' };
		this.dnsClaimed = '';
		if (!this.dnsProviders.some((o) => o.id === this.dnsProvider)) this.dnsProvider = '';
	}
	get gitHosts(): ProviderOption<unknown>[] {
		return sortSandboxFirst(this.#env.gits);
	}

	/** The app list's search text and category (the catalog has dozens of apps). */
	appQuery = $state('');
	appCategory = $state<Category | ''>('');

	get shownApps(): AppChoice[] {
		return searchApps(this.apps, this.appQuery, this.appCategory);
	}

	get appCategories(): Category[] {
		return usedCategories(this.apps);
	}

	get chosenApps(): AppChoice[] {
		return this.apps.filter((a) => this.selected.includes(a.id));
	}

	/** The domain as it is written into DNS records and files: ASCII, punycode for international names. */
	get domain(): string {
		const d = this.domainInput.trim().toLowerCase().replace(/\.$/, '');
		const name = this.domainMode === 'dedyn' ? `${d}.${DEDYN_SUFFIX}` : d;
		try {
			return parseDomain(name).ascii;
		} catch {
			return name;
		}
	}

	/** The time zones the reboot window can be in: this browser's, UTC, and the one chosen. */
	get rebootZones(): string[] {
		const zones = [localTimeZone(), 'UTC', this.rebootWindow.timezone];
		return zones.filter((z, i) => zones.indexOf(z) === i);
	}

	/** The domain as the person reads it (international names in their own letters). */
	get domainShown(): string {
		return toUnicode(this.domain);
	}

	get domainProblem(): string | undefined {
		if (this.domainMode === 'dedyn') return dedynProblem(this.domainInput) ?? domainProblem(this.domain);
		return domainProblem(this.domainInput);
	}

	get sizesInRegion(): SizeChoice[] {
		return this.sizes.filter((s) => !this.region || s.regions.includes(this.region));
	}

	fit(size: SizeChoice): Fit {
		return sizeFit(this.chosenApps, size, this.inputs);
	}

	get chosenSize(): SizeChoice | undefined {
		return this.sizes.find((s) => s.id === this.size);
	}

	get cost() {
		return monthlyCost(this.chosenSize, { giB: this.volumeGiB, price: this.volumePrice });
	}

	get volumeGiB(): number {
		return volumeGiB(this.chosenApps);
	}

	get hosts() {
		return hostsFor(this.chosenApps, this.domain);
	}

	/** Loads the catalog and any setup saved earlier; resumes a deployment under way. */
	async load(): Promise<void> {
		this.apps = await this.#env.apps();
		const records = await this.#env.records();
		this.vaultLocked = !records;
		this.resumePhase = records ? undefined : seenPhase();
		if (records) {
			const saved = await records.get('setup', 'current');
			if (saved) {
				this.#restore(saved);
				const existing = await records.get('deployment', saved.deploymentId);
				if (existing && existing.phase !== 'destroyed') {
					this.step = 'deploy';
					this.deployment = existing;
					rememberPhase(existing.phase);
					this.ready = true;
					void this.#open(saved, existing.plan, false);
					return;
				}
			}
			rememberPhase(undefined);
		}
		this.ready = true;
	}

	#restore(s: SetupRecord): void {
		this.#deploymentId = s.deploymentId;
		this.selected = s.apps;
		this.inputs = s.inputs ?? {};
		this.#domainMode = s.domain.endsWith('.' + DEDYN_SUFFIX) ? 'dedyn' : 'own';
		this.domainInput =
			this.domainMode === 'dedyn' ? s.domain.slice(0, -(DEDYN_SUFFIX.length + 1)) : toUnicode(s.domain);
		this.dnsProvider = s.dns.provider;
		this.dnsToken = s.dns.token;
		this.cloudProvider = s.cloud.provider;
		this.cloudToken = s.cloud.token;
		this.region = s.cloud.region;
		this.size = s.cloud.size;
		this.sshPublicKey = s.sshPublicKey ?? '';
		this.rebootWindow = { ...(s.rebootWindow ?? DEFAULT_REBOOT_WINDOW) };
		this.gitHost = s.git.host;
		this.gitToken = s.git.token;
		const { resticPassword, ...rest } = s.backups;
		this.backups = rest;
		this.resticPassword = resticPassword;
	}

	/** Problems with the chosen apps' input values, per app and input. */
	get inputProblems(): Record<string, Record<string, string>> {
		const out: Record<string, Record<string, string>> = {};
		for (const app of this.chosenApps) {
			const problems = checkInputs({ inputs: app.inputs ?? [] }, this.inputs[app.id] ?? {});
			if (Object.keys(problems).length) out[app.id] = problems;
		}
		return out;
	}

	setInput(app: string, id: string, value: string): void {
		this.inputs = { ...this.inputs, [app]: { ...(this.inputs[app] ?? {}), [id]: value } };
	}

	toggleApp(id: string): void {
		this.selected = this.selected.includes(id) ? this.selected.filter((x) => x !== id) : [...this.selected, id];
	}

	async checkDns(): Promise<void> {
		const option = this.#env.dns.find((o) => o.id === this.dnsProvider);
		if (!option || !this.dnsToken.trim()) return;
		this.dnsCheck = { state: 'checking' };
		try {
			const provider = await option.create(this.dnsToken.trim(), storedProxyBase());
			const { account } = await provider.verify();
			this.dnsClaimed = '';
			if (!this.domainProblem)
				this.dnsClaimed = (await checkDomainZone(provider, this.domain, this.domainMode === 'dedyn')) ?? '';
			this.dnsCheck = { state: 'ok', account };
		} catch (e) {
			this.dnsCheck = { state: 'error', ...describe(e) };
		}
	}

	async checkCloud(): Promise<void> {
		const option = this.#env.clouds.find((o) => o.id === this.cloudProvider);
		if (!option || !this.cloudToken.trim()) return;
		this.cloudCheck = { state: 'checking' };
		try {
			const provider = await option.create(this.cloudToken.trim(), storedProxyBase());
			const { account } = await provider.verify();
			const [regions, sizes, volumePrice] = await Promise.all([
				provider.regions(),
				provider.sizes(),
				// A missing disk price never blocks the setup: the review then says it is charged by size.
				provider.volumePrice?.(this.region).catch(() => undefined)
			]);
			this.volumePrice = volumePrice;
			this.regions = regions.filter((r) => r.available);
			this.sizes = [...sizes].sort((a, b) => a.monthlyPrice - b.monthlyPrice);
			if (!this.regions.some((r) => r.id === this.region)) this.region = this.regions[0]?.id ?? '';
			this.cloudCheck = { state: 'ok', account };
		} catch (e) {
			this.cloudCheck = { state: 'error', ...describe(e) };
		}
	}

	async checkGit(): Promise<void> {
		const option = this.#env.gits.find((o) => o.id === this.gitHost);
		if (!option || !this.gitToken.trim()) return;
		this.gitCheck = { state: 'checking' };
		try {
			const { account } = await (await option.create(this.gitToken.trim(), storedProxyBase())).verify();
			this.gitCheck = { state: 'ok', account };
		} catch (e) {
			this.gitCheck = { state: 'error', ...describe(e) };
		}
	}

	/** A practice setup (a sandbox cloud) may back up to the sandbox's practice storage. */
	get practiceStorage(): boolean {
		return !!this.#option(this.#env.clouds, this.cloudProvider)?.sandbox;
	}

	/**
	 * Fills the backup step with the sandbox's practice storage: a bucket of its own (the
	 * sandbox keeps one repository per address, opened only with the password that made it).
	 */
	usePracticeStorage(): void {
		if (!this.practiceStorage) return;
		const tag = [...this.#env.randomBytes(5)].map((b) => b.toString(16).padStart(2, '0')).join('');
		this.backups = {
			endpoint: PRACTICE_STORAGE,
			bucket: `practice-${tag}`,
			accessKeyId: 'sandbox',
			secretAccessKey: 'sandbox'
		};
	}

	#option<T>(options: ProviderOption<T>[], id: string): ProviderOption<T> | undefined {
		return options.find((o) => o.id === id);
	}

	/** Why the person cannot go on from the current step, or undefined. */
	get blocker(): string | undefined {
		switch (this.step) {
			case 'apps': {
				if (!this.selected.length) return 'Choose at least one app.';
				const first = Object.values(this.inputProblems)[0];
				return first ? Object.values(first)[0] : undefined;
			}
			case 'domain':
				// The problem itself is shown once, under the address.
				return (
					(this.domainProblem && 'The web address needs a change: see the note under it.') ||
					tokenBlocker('DNS', this.#option(this.#env.dns, this.dnsProvider), this.dnsToken, this.dnsCheck)
				);
			case 'cloud': {
				const token = tokenBlocker(
					'cloud',
					this.#option(this.#env.clouds, this.cloudProvider),
					this.cloudToken,
					this.cloudCheck
				);
				if (token) return token;
				if (!this.region) return 'Choose a region.';
				const size = this.chosenSize;
				if (!size) return 'Choose a server size.';
				const fit = this.fit(size);
				if (!fit.fits) return fit.reason;
				return rebootWindowProblem(this.rebootWindow) ?? sshKeyProblem(this.sshPublicKey);
			}
			case 'git':
				return tokenBlocker('git', this.#option(this.#env.gits, this.gitHost), this.gitToken, this.gitCheck);
			case 'backups':
				return backupProblem(this.backups);
			default:
				return undefined;
		}
	}

	next(): void {
		if (this.blocker) return;
		const i = WIZARD_STEPS.indexOf(this.step);
		if (this.step === 'backups' && !this.resticPassword) this.resticPassword = passwordFrom(this.#env.randomBytes(96));
		this.step = WIZARD_STEPS[Math.min(i + 1, WIZARD_STEPS.length - 2)]!;
	}

	back(): void {
		const i = WIZARD_STEPS.indexOf(this.step);
		if (i > 0 && this.step !== 'deploy') this.step = WIZARD_STEPS[i - 1]!;
	}

	#record(): SetupRecord {
		if (!this.#deploymentId) this.#deploymentId = deploymentIdFrom(this.#env.randomBytes(12));
		return {
			deploymentId: this.#deploymentId,
			apps: [...this.selected],
			inputs: Object.fromEntries(this.selected.map((id) => [id, { ...(this.inputs[id] ?? {}) }])),
			domain: this.domain,
			dns: { provider: this.dnsProvider, token: this.dnsToken.trim() },
			cloud: { provider: this.cloudProvider, token: this.cloudToken.trim(), region: this.region, size: this.size },
			...(this.sshPublicKey.trim() ? { sshPublicKey: this.sshPublicKey.trim() } : {}),
			rebootWindow: { ...this.rebootWindow },
			git: { host: this.gitHost, token: this.gitToken.trim() },
			backups: { ...this.backups, resticPassword: this.resticPassword }
		};
	}

	planInput(setup: SetupRecord): PlanInput {
		return setupPlanInput(setup, this.chosenApps);
	}

	/** The plan the review page shows. */
	get plan(): Plan | undefined {
		try {
			return buildPlan(this.planInput(this.#record()));
		} catch {
			return undefined;
		}
	}

	/** Saves the choices in the vault and starts the deployment. */
	async deploy(): Promise<void> {
		const records = await this.#env.records();
		if (!records) {
			this.vaultLocked = true;
			return;
		}
		this.problem = '';
		try {
			const setup = this.#record();
			const plan = buildPlan(this.planInput(setup));
			await records.put('setup', 'current', setup);
			this.step = 'deploy';
			await this.#open(setup, plan, true);
		} catch (e) {
			this.problem = describe(e).message;
		}
	}

	async #open(setup: SetupRecord, plan: Plan, fresh: boolean): Promise<void> {
		this.#controller?.close();
		const controller = await this.#env.controller(setup, plan, storedProxyBase());
		this.#controller = controller;
		controller.subscribe((view) => {
			this.deployment = view.state;
			rememberPhase(view.state?.phase);
			this.role = view.role;
			this.deploymentProblem = view.problem ?? '';
		});
		if (fresh) {
			const { initialState } = await import('../core/deploy/machine.ts');
			await controller.start(initialState(plan, Date.now()));
		} else await controller.open();
	}

	retry(): Promise<void> {
		return this.#controller?.retry() ?? Promise.resolve();
	}
	cancel(): Promise<void> {
		return this.#controller?.cancel() ?? Promise.resolve();
	}
	destroy(): Promise<void> {
		return this.#controller?.destroy() ?? Promise.resolve();
	}

	/** Looks for resources nassella made that no deployment in this vault knows. */
	async findLeftovers(): Promise<void> {
		this.sweepMessage = 'Looking…';
		try {
			const sweep = await this.#env.orphans(this.#record(), storedProxyBase());
			this.#leftovers = await sweep.list();
			this.leftovers = this.#leftovers.map((r) => ({ kind: r.kind, id: r.id, name: r.name }));
			this.sweepMessage = this.leftovers.length
				? `Found ${this.leftovers.length} leftover(s) that no setup in your vault knows. They may cost money.`
				: 'Nothing left over: everything nassella made in this account belongs to a known setup.';
		} catch (e) {
			this.sweepMessage = describe(e).message;
		}
	}

	/** Removes the leftovers found by the last look; the page asks for confirmation first. */
	async removeLeftovers(): Promise<void> {
		if (!this.#leftovers.length) return;
		this.sweepMessage = 'Removing…';
		try {
			const sweep = await this.#env.orphans(this.#record(), storedProxyBase());
			const left = await sweep.remove(this.#leftovers);
			this.#leftovers = left;
			this.leftovers = left.map((r) => ({ kind: r.kind, id: r.id, name: r.name }));
			this.sweepMessage = left.length ? `${left.length} could not be removed yet. Try again later.` : 'Removed.';
		} catch (e) {
			this.sweepMessage = describe(e).message;
		}
	}

	/** After a full removal: start over with the same choices and a new deployment id. */
	async startOver(): Promise<void> {
		const records = await this.#env.records();
		if (records && this.#deploymentId) await records.delete('deployment', this.#deploymentId);
		this.#deploymentId = '';
		this.deployment = undefined;
		rememberPhase(undefined);
		this.step = 'review';
	}

	close(): void {
		this.#controller?.close();
	}

	stepTitle(id: StepId): string {
		return this.deployment?.plan.steps.find((s) => s.id === id)?.title ?? id;
	}
}

function sortSandboxFirst<T>(options: ProviderOption<T>[]): ProviderOption<T>[] {
	return [...options].sort((a, b) => Number(b.sandbox) - Number(a.sandbox));
}
