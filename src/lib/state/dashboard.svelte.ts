/**
 * The dashboard's state: for each deployment in the vault, the last status (first from the
 * encrypted cache, then fresh from the server, polled while the page is visible), the
 * settings the dashboard can change, and the progress of a change, a rollback or a backup.
 */
import { MissingSecretError } from '../core/errors.ts';
import type { CatalogApp } from '../core/catalog/types.ts';
import {
	SETUP_DONE_INPUT,
	SETUP_PASSWORD,
	SETUP_PREDATES_GATE,
	firstLoginSteps,
	gateUp,
	hasSetupGate,
	type LoginStep
} from '../core/catalog/first-start.ts';
import { appAddress } from '../core/deploy/setup.ts';
import {
	DEFAULT_REBOOT_WINDOW,
	describeRebootWindow,
	rebootWindowProblem,
	type RebootWindow
} from '../core/deploy/reboot-window.ts';
import type { ServerStatus } from '../core/server/status.ts';
import type { CommitInfo } from '../ports/git-host.ts';
import type { DashboardDeployment, DashboardEnvironment } from '../main/dashboard.ts';
import type { RecordVault } from '../services/deploy/vault-store.ts';
import {
	ChangeError,
	checkNtfyTopic,
	commitSettings,
	requestId,
	rollbackSettings,
	statusProblem,
	watchApply,
	watchRequest,
	type ServerSettings,
	type SettingsRecord
} from '../services/dashboard/changes.ts';
import { shortCommit } from '../services/dashboard/status.ts';
import { storedProxyBase } from './proxy.svelte.ts';

export interface Problem {
	kind: 'auth' | 'unreachable' | 'other';
	message: string;
	action: string;
}

export type Work =
	| { kind: 'idle' }
	| { kind: 'saving'; what: string }
	| { kind: 'waiting'; what: string; sha: string; seen?: string }
	| { kind: 'done'; what: string; message: string }
	| { kind: 'failed'; what: string; message: string; action: string; retry?: 'commit' | 'watch' };

export interface DashboardTimings {
	/** Status refresh while the page is visible. */
	pollMs: number;
	/** Status reads while waiting for a change or a backup. */
	watchMs: number;
	/** How long to wait for the server to apply a change. */
	applyTimeoutMs: number;
	backupTimeoutMs: number;
}

export const DEFAULT_DASHBOARD_TIMINGS: DashboardTimings = {
	pollMs: 30_000,
	watchMs: 3_000,
	applyTimeoutMs: 15 * 60_000,
	backupTimeoutMs: 30 * 60_000
};

function isAbort(e: unknown): boolean {
	return e instanceof DOMException && e.name === 'AbortError';
}

export class DashboardState {
	phase = $state<'loading' | 'locked' | 'nothing' | 'ready' | 'error'>('loading');
	loadError = $state('');
	deployments = $state<{ id: string; domain: string; sandbox: boolean }[]>([]);
	selectedId = $state('');
	status = $state<ServerStatus | undefined>(undefined);
	/** ms since epoch when `status` was read; from the cache until the first refresh. */
	fetchedAt = $state(0);
	fromCache = $state(false);
	head = $state<string | undefined>(undefined);
	refreshing = $state(false);
	problem = $state<Problem | undefined>(undefined);
	settings = $state<SettingsRecord | undefined>(undefined);
	work = $state<Work>({ kind: 'idle' });
	catalogApps = $state<CatalogApp[]>([]);
	/** The repository's recent commits as the git host lists them; undefined when it cannot. */
	hostCommits = $state<CommitInfo[] | undefined>(undefined);
	/** Updated every poll so relative times ("5 minutes ago") move on. */
	now = $state(Date.now());
	/** Secrets the person asked to see, by `<app>/<secret>`; forgotten on another server or a reload. */
	revealed = $state<Record<string, string>>({});
	/** Apps with a setup gate in the catalog that have none on this server (set up before gates existed). */
	predatesGate = $state<Record<string, boolean>>({});

	readonly env: DashboardEnvironment;
	readonly timings: DashboardTimings;
	#records: RecordVault | undefined;
	#all: DashboardDeployment[] = [];
	#timer: ReturnType<typeof setTimeout> | undefined;
	#abort = new AbortController();
	#work: AbortController | undefined;
	#visible = true;
	#stopped = false;
	#lastWatch: { sha: string; at: number; apps: string[]; what: string } | undefined;

	constructor(env: DashboardEnvironment, timings: Partial<DashboardTimings> = {}) {
		this.env = env;
		this.timings = { ...DEFAULT_DASHBOARD_TIMINGS, ...timings };
	}

	get deployment(): DashboardDeployment | undefined {
		return this.#all.find((d) => d.id === this.selectedId);
	}

	get apps(): string[] {
		return this.settings?.current.apps ?? [];
	}

	/** Apps whose catalog version differs from the one in the last commit. */
	get updates(): { id: string; name: string; from: string; to: string }[] {
		const last = this.settings?.commits[0];
		if (!last) return [];
		return this.apps.flatMap((id) => {
			const app = this.catalogApps.find((a) => a.id === id);
			const from = last.versions[id];
			return app && from && from !== app.version ? [{ id, name: app.name, from, to: app.version }] : [];
		});
	}

	appName(id: string): string {
		return this.catalogApps.find((a) => a.id === id)?.name ?? id;
	}

	/** Loads the deployments and the cached status, then refreshes from the server. */
	async load(): Promise<void> {
		try {
			const records = await this.env.records();
			if (!records) {
				this.phase = 'locked';
				return;
			}
			this.#records = records;
			this.catalogApps = await this.env.catalog();
			this.#all = await this.env.deployments(records);
			this.deployments = this.#all.map((d) => ({ id: d.id, domain: d.domain, sandbox: d.sandbox }));
			if (this.#all.length === 0) {
				this.phase = 'nothing';
				return;
			}
			await this.select(this.selectedId && this.deployment ? this.selectedId : this.#all[this.#all.length - 1]!.id);
		} catch {
			this.phase = 'error';
			this.loadError = 'Your deployments could not be read from the vault. Reload the page to try again.';
		}
	}

	async select(id: string): Promise<void> {
		const d = this.#all.find((x) => x.id === id);
		if (!d || !this.#records) return;
		this.selectedId = id;
		this.status = undefined;
		this.head = undefined;
		this.problem = undefined;
		this.fromCache = false;
		const cached = await this.env.statusCache(this.#records).load(id);
		if (cached && this.selectedId === id) {
			this.status = cached.status;
			this.fetchedAt = cached.fetchedAt;
			this.head = cached.head;
			this.fromCache = true;
		}
		this.settings = await this.env.settings(this.#records, d);
		this.revealed = {};
		await this.#loadGateMarks(d);
		this.hostCommits = undefined;
		this.phase = 'ready';
		this.#schedule(0);
		void this.loadHistory();
	}

	/** Starts polling; pauses while the page is hidden. */
	start(): () => void {
		const onVisibility = () => {
			this.#visible = document.visibilityState !== 'hidden';
			if (this.#visible) this.#schedule(0);
			else this.#clear();
		};
		if (typeof document !== 'undefined') {
			this.#visible = document.visibilityState !== 'hidden';
			document.addEventListener('visibilitychange', onVisibility);
		}
		return () => {
			this.#stopped = true;
			this.#clear();
			this.#abort.abort();
			this.#work?.abort();
			if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onVisibility);
		};
	}

	#clear(): void {
		if (this.#timer !== undefined) clearTimeout(this.#timer);
		this.#timer = undefined;
	}

	#schedule(ms: number): void {
		this.#clear();
		if (this.#stopped || !this.#visible) return;
		this.#timer = setTimeout(() => {
			this.#timer = undefined;
			void this.refresh().finally(() => this.#schedule(this.timings.pollMs));
		}, ms);
	}

	/** Reads the status and the repository's head now. */
	async refresh(): Promise<void> {
		const d = this.deployment;
		const records = this.#records;
		if (!d || !records || this.refreshing) return;
		this.refreshing = true;
		this.now = this.env.now();
		const proxy = storedProxyBase();
		try {
			const [status, head] = await Promise.all([
				this.env.link(records, d, proxy).then((l) => l.status(this.#abort.signal)),
				this.env
					.git(d, proxy)
					.then((g) => g.head(d.repo))
					.catch(() => undefined)
			]);
			if (this.selectedId !== d.id) return;
			this.#show(status, head);
		} catch (e) {
			if (isAbort(e)) return;
			if (this.selectedId !== d.id) return;
			this.problem = problemOf(e);
		} finally {
			this.refreshing = false;
		}
	}

	/** Reads the recent commits from the git host (when it can list them). */
	async loadHistory(): Promise<void> {
		const d = this.deployment;
		if (!d) return;
		try {
			const git = await this.env.git(d, storedProxyBase());
			if (!git.history) return;
			const list = await git.history(d.repo, 10);
			if (this.selectedId === d.id) this.hostCommits = list;
		} catch {
			// The vault's own list of changes is shown instead.
		}
	}

	#show(status: ServerStatus, head?: string): void {
		const d = this.deployment;
		this.status = status;
		if (head !== undefined) this.head = head;
		this.fetchedAt = this.env.now();
		this.now = this.fetchedAt;
		this.fromCache = false;
		this.problem = undefined;
		if (d && this.#records)
			void this.env
				.statusCache(this.#records)
				.save({
					version: 1,
					deploymentId: d.id,
					status,
					fetchedAt: this.fetchedAt,
					...(this.head ? { head: this.head } : {})
				})
				.catch(() => undefined);
	}

	get busy(): boolean {
		return this.work.kind === 'saving' || this.work.kind === 'waiting';
	}

	/** Commits new settings, then waits for the server to run them. */
	async change(settings: ServerSettings, what: string, message: string): Promise<boolean> {
		const d = this.deployment;
		const records = this.#records;
		if (!d || !records || !this.settings || this.busy) return false;
		this.#work?.abort();
		this.#work = new AbortController();
		this.work = { kind: 'saving', what };
		let sha: string;
		let at: number;
		try {
			const ports = await this.env.changePorts(records, d, storedProxyBase());
			// Plain copies: the vault clones what it keeps, and state proxies cannot be cloned.
			const done = await commitSettings(ports, $state.snapshot(this.settings), $state.snapshot(settings), message);
			this.settings = done.record;
			sha = done.sha;
			at = done.at;
			this.head = sha;
		} catch (e) {
			const shown =
				e instanceof ChangeError
					? e
					: new ChangeError('The change could not be saved.', 'Try again. Your change is kept.');
			// The draft (kept by commitSettings) is shown with its error and a retry.
			this.settings =
				(await this.env
					.settingsStore(records)
					.load(d.id)
					.catch(() => undefined)) ?? this.settings;
			this.work = { kind: 'failed', what, message: shown.message, action: shown.action, retry: 'commit' };
			return false;
		}
		this.#lastWatch = { sha, at, apps: [...settings.apps], what };
		void this.loadHistory();
		return this.#watch();
	}

	/** Waits (again) for the last committed change. */
	async #watch(): Promise<boolean> {
		const d = this.deployment;
		const records = this.#records;
		const w = this.#lastWatch;
		if (!d || !records || !w) return false;
		const signal = this.#work?.signal;
		this.work = { kind: 'waiting', what: w.what, sha: w.sha };
		try {
			const link = await this.env.link(records, d, storedProxyBase());
			const outcome = await watchApply(link, w.sha, w.at, w.apps, {
				sleep: (ms, s) => this.env.sleep(ms, s),
				now: () => this.env.now(),
				intervalMs: this.timings.watchMs,
				timeoutMs: this.timings.applyTimeoutMs,
				signal,
				onStatus: (s) => {
					this.#show(s);
					if (this.work.kind === 'waiting') this.work = { ...this.work, seen: s.commit ?? undefined };
				}
			});
			switch (outcome.kind) {
				case 'applied':
					this.work = {
						kind: 'done',
						what: w.what,
						message: `Done: your server runs the new settings (${shortCommit(w.sha)}) and every app works.`
					};
					return true;
				case 'refused':
					this.work = {
						kind: 'failed',
						what: w.what,
						message: `Your server refused the change${outcome.reason ? `: “${outcome.reason}”` : ''}. It keeps running the earlier settings.`,
						action: 'This happens when the change is not signed by this vault’s key. Nothing else changed.'
					};
					return false;
				case 'rolled-back':
					this.work = {
						kind: 'failed',
						what: w.what,
						message: `The new settings did not start, so your server went back to the earlier ones${outcome.reason ? ` (“${outcome.reason}”)` : ''}.`,
						action: 'Your apps keep working as before. Check the new app’s settings, or roll back the change below.'
					};
					return false;
				case 'partial':
					this.work = {
						kind: 'failed',
						what: w.what,
						message: `Your server runs the new settings, except: ${outcome.reason}.`,
						action:
							'Your other apps work. Look at that app’s messages in Logs; change its settings, remove it, or roll back the change below.'
					};
					return false;
				case 'error':
					this.work = {
						kind: 'failed',
						what: w.what,
						message: `Your server could not apply the change${outcome.reason ? `: “${outcome.reason}”` : ''}.`,
						action: 'Look at the server’s messages in Logs, or roll back the change below.'
					};
					return false;
				case 'timeout':
					this.work = {
						kind: 'failed',
						what: w.what,
						message: 'The change is saved, but your server has not applied it yet.',
						action:
							'The server may be busy or unreachable; it will pick the change up when it can. Press “Keep waiting” to watch again.',
						retry: 'watch'
					};
					return false;
			}
		} catch (e) {
			if (isAbort(e)) return false;
			const p = problemOf(e);
			this.work = { kind: 'failed', what: w.what, message: p.message, action: p.action, retry: 'watch' };
			return false;
		}
	}

	/** Tries again what failed: the commit of the kept draft, or the wait. */
	async retry(): Promise<boolean> {
		const w = this.work;
		if (w.kind !== 'failed') return false;
		if (w.retry === 'watch') {
			this.#work = new AbortController();
			return this.#watch();
		}
		const draft = this.settings?.draft;
		if (w.retry === 'commit' && draft) return this.change(draft.settings, w.what, draft.message);
		return false;
	}

	/** Commits a change kept from an earlier failed attempt (e.g. before a reload). */
	retryDraft(): Promise<boolean> {
		const draft = this.settings?.draft;
		if (!draft) return Promise.resolve(false);
		return this.change(draft.settings, 'retry', draft.message);
	}

	async discardDraft(): Promise<void> {
		const records = this.#records;
		if (!records || !this.settings?.draft || this.busy) return;
		const { draft: _drop, ...rest } = $state.snapshot(this.settings);
		void _drop;
		await this.env.settingsStore(records).save(rest);
		this.settings = rest;
		this.work = { kind: 'idle' };
	}

	dismiss(): void {
		if (!this.busy) this.work = { kind: 'idle' };
	}

	async #loadGateMarks(d: DashboardDeployment): Promise<void> {
		const records = this.#records;
		const marks: Record<string, boolean> = {};
		if (records)
			for (const app of this.catalogApps.filter((a) => this.apps.includes(a.id) && hasSetupGate(a))) {
				const read = (id: string) => this.env.appSecret(records, d, app.id, id).catch(() => undefined);
				// No setup password in the vault: the app went onto the server before setup gates existed.
				marks[app.id] = (await read(SETUP_PREDATES_GATE)) === 'true' || (await read(SETUP_PASSWORD)) === undefined;
			}
		if (this.selectedId === d.id) this.predatesGate = marks;
	}

	/**
	 * How to reach an installed app and sign in to it first: the address that opens it, and the
	 * first-login steps (the setup password while the gate is up, the generated account, an
	 * admin token). Secret values are not included: `reveal` reads one from the vault.
	 */
	access(id: string): { url?: string; steps: LoginStep[]; gated: boolean; howTo?: string } {
		const app = this.catalogApps.find((a) => a.id === id);
		const domain = this.deployment?.domain;
		if (!app || !domain) return { steps: [], gated: false };
		const inputs = this.settings?.current.inputs[id] ?? {};
		const marks: Record<string, string> = this.predatesGate[id] ? { [SETUP_PREDATES_GATE]: 'true' } : {};
		const url = app.entrypoints ? appAddress(app, domain) : undefined;
		const base = { ...(url ? { url } : {}), ...(app.firstLogin ? { howTo: app.firstLogin } : {}) };
		if (!app.firstStart) return { ...base, steps: [], gated: false };
		return { ...base, steps: firstLoginSteps(app, inputs, marks), gated: gateUp(app, inputs, marks) };
	}

	/** Reads a first-login secret from the vault without showing it (to copy it). */
	async readSecret(app: string, secret: string): Promise<string | undefined> {
		const d = this.deployment;
		const records = this.#records;
		if (!d || !records) return undefined;
		return this.env.appSecret(records, d, app, secret);
	}

	/** Reads a first-login secret from the vault and keeps it shown until `hide`. */
	async reveal(app: string, secret: string): Promise<string | undefined> {
		const d = this.deployment;
		const value = await this.readSecret(app, secret);
		if (!d) return undefined;
		if (value !== undefined && this.selectedId === d.id)
			this.revealed = { ...this.revealed, [`${app}/${secret}`]: value };
		return value;
	}

	hide(app: string, secret: string): void {
		const { [`${app}/${secret}`]: _gone, ...rest } = this.revealed;
		void _gone;
		this.revealed = rest;
	}

	/** The person has set the app up: the next commit removes its setup gate. */
	finishSetup(app: string): Promise<boolean> {
		if (!this.settings) return Promise.resolve(false);
		const current = $state.snapshot(this.settings.current);
		current.inputs = { ...current.inputs, [app]: { ...(current.inputs[app] ?? {}), [SETUP_DONE_INPUT]: 'true' } };
		return this.change(current, 'inputs', `Finish setting up ${this.appName(app)}: remove its setup password`);
	}

	/** Adds or removes apps. */
	setApps(apps: string[], message: string): Promise<boolean> {
		if (!this.settings) return Promise.resolve(false);
		return this.change({ ...$state.snapshot(this.settings.current), apps: [...apps] }, 'apps', message);
	}

	/** Saves an app's inputs. */
	setInputs(app: string, values: Record<string, string>, appName = app): Promise<boolean> {
		if (!this.settings) return Promise.resolve(false);
		const current = $state.snapshot(this.settings.current);
		current.inputs = { ...current.inputs, [app]: { ...values } };
		return this.change(current, 'inputs', `Change the settings of ${appName}`);
	}

	/** Re-renders with this release's catalog: apps move to its versions. */
	update(names: string[]): Promise<boolean> {
		if (!this.settings) return Promise.resolve(false);
		return this.change($state.snapshot(this.settings.current), 'update', `Update ${names.join(', ')}`);
	}

	rollback(sha: string): Promise<boolean> {
		if (!this.settings) return Promise.resolve(false);
		let settings: ServerSettings;
		try {
			settings = rollbackSettings($state.snapshot(this.settings), sha);
		} catch (e) {
			const c = e as ChangeError;
			this.work = { kind: 'failed', what: 'rollback', message: c.message, action: c.action };
			return Promise.resolve(false);
		}
		return this.change(settings, 'rollback', `Roll back to ${shortCommit(sha)}`);
	}

	/** When the server may restart for updates: the settings', else the setup's, else the default. */
	get rebootWindow(): RebootWindow {
		return this.settings?.current.rebootWindow ?? this.deployment?.setup.rebootWindow ?? DEFAULT_REBOOT_WINDOW;
	}

	/** The reboot window in plain words, from the settings (what the last commit asked for). */
	get rebootWindowText(): string {
		return describeRebootWindow(this.rebootWindow);
	}

	/** A new reboot window, committed like any setting. Returns an error sentence, or '' when committed. */
	async setRebootWindow(window: RebootWindow): Promise<string> {
		if (!this.settings) return 'Nothing to change yet.';
		const problem = rebootWindowProblem(window);
		if (problem) return problem;
		const current = $state.snapshot(this.settings.current);
		current.rebootWindow = { ...window };
		await this.change(current, 'reboot-window', `Restart for updates: ${describeRebootWindow(window)}`);
		return '';
	}

	/** ntfy topic: '' removes it. Returns an error sentence, or '' when committed. */
	async setNtfy(value: string): Promise<string> {
		if (!this.settings) return 'Nothing to change yet.';
		const checked = checkNtfyTopic(value);
		if (!checked.ok) return checked.reason;
		const current = $state.snapshot(this.settings.current);
		if (checked.url) current.ntfyTopic = checked.url;
		else delete current.ntfyTopic;
		await this.change(current, 'ntfy', checked.url ? 'Send alerts to an ntfy topic' : 'Stop sending alerts to ntfy');
		return '';
	}

	/** Commits a new backup request, then waits for the server to report it. */
	async backupNow(): Promise<boolean> {
		const d = this.deployment;
		const records = this.#records;
		if (!d || !records || !this.settings || this.busy) return false;
		const id = requestId('backup', this.env.now(), () => this.env.random());
		const current = $state.snapshot(this.settings.current);
		current.requests = { ...current.requests, backup: id };
		const applied = await this.change(current, 'backup', 'Back up now');
		if (!applied) return false;
		this.work = { kind: 'waiting', what: 'backup', sha: this.#lastWatch?.sha ?? '' };
		try {
			const link = await this.env.link(records, d, storedProxyBase());
			const outcome = await watchRequest(link, 'backup', id, {
				sleep: (ms, s) => this.env.sleep(ms, s),
				now: () => this.env.now(),
				intervalMs: this.timings.watchMs,
				timeoutMs: this.timings.backupTimeoutMs,
				signal: this.#work?.signal,
				onStatus: (s) => this.#show(s)
			});
			if (outcome.kind === 'done') {
				this.work = {
					kind: 'done',
					what: 'backup',
					message: 'Backup finished: a new snapshot is in your backup storage.'
				};
				return true;
			}
			this.work = {
				kind: 'failed',
				what: 'backup',
				message:
					outcome.kind === 'failed'
						? `The backup failed${outcome.reason ? `: “${outcome.reason}”` : ''}.`
						: 'The server has not finished the backup yet.',
				action:
					outcome.kind === 'failed'
						? 'Check your backup storage account (is it full, or was its key removed?), then try again.'
						: 'Large backups take a while. The status below shows the result when it is done.'
			};
			return false;
		} catch (e) {
			if (isAbort(e)) return false;
			const p = problemOf(e);
			this.work = { kind: 'failed', what: 'backup', message: p.message, action: p.action };
			return false;
		}
	}
}

function problemOf(e: unknown): Problem {
	if (e instanceof MissingSecretError) return { kind: 'auth', message: e.message, action: e.action };
	return statusProblem(e);
}

/** The plain-language views of a status, for the dashboard's components. */
export {
	appHealth,
	backupVerdict,
	diskVerdict,
	formatAge,
	formatBytes,
	overallVerdict,
	pendingVerdict,
	shortCommit,
	syncVerdict
} from '../services/dashboard/status.ts';
