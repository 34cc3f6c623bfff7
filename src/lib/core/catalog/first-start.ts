/**
 * First-start safety: what an app declares in `firstStart`, the secrets and the input the
 * setup gate adds to every app that has one, whether the gate is up for a deployment, and the
 * first login the dashboard shows. Pure.
 *
 * The setup gate: Caddy answers every request to the app's addresses with a redirect to
 * `/nassella-setup/open`, which asks for the user `setup` and a generated password (HTTP basic
 * authentication) and then sets a cookie that lets that browser through. The person sets the
 * app up behind it (creates the admin account, replaces a default login) and then says setup
 * is done (the `setup_done` input), which removes the gate on the next render.
 */
import { parsePlaceholders } from './placeholders.ts';
import type { AppManifest, InputSpec, SecretSpec } from './types.ts';

/** The input that says the person has finished setting the app up (removes the setup gate). */
export const SETUP_DONE_INPUT = 'setup_done';
/** The user name the setup gate asks for. */
export const SETUP_USER = 'setup';
export const SETUP_PASSWORD = 'setup_password';
export const SETUP_PASSWORD_BCRYPT = 'setup_password_bcrypt';
/** The value of the cookie that lets a browser through once it has given the setup password. */
export const SETUP_COOKIE = 'setup_cookie';
/**
 * Kept with an app's secrets when it was already on the server before setup gates existed:
 * it was set up then, so it gets no gate.
 */
export const SETUP_PREDATES_GATE = 'setup_predates_gate';
/** Where the setup gate asks for its password (a path no catalog app uses). */
export const SETUP_GATE_PATH = '/nassella-setup/open';

const GATE_SECRETS: SecretSpec[] = [
	{
		id: SETUP_PASSWORD,
		length: 24,
		alphabet: 'alphanumeric',
		description: 'One-time setup password: keeps everyone else out until you have set the app up'
	},
	{ id: SETUP_PASSWORD_BCRYPT, bcryptOf: SETUP_PASSWORD, description: 'The setup password as Caddy checks it' },
	{ id: SETUP_COOKIE, length: 32, alphabet: 'alphanumeric', description: 'Lets your browser through the setup gate' }
];

const SETUP_DONE: InputSpec = {
	id: SETUP_DONE_INPUT,
	type: 'boolean',
	label: 'Setup is finished',
	help: 'Removes the setup password in front of the app, so everyone you share its address with can reach it.',
	default: 'false'
};

export function hasSetupGate(m: Pick<AppManifest, 'firstStart'>): boolean {
	return m.firstStart?.kind === 'setup-gate';
}

/** The app's secrets: those it declares, plus the setup gate's when it has one. */
export function secretSpecs(m: Pick<AppManifest, 'secrets' | 'firstStart'>): SecretSpec[] {
	return hasSetupGate(m) ? [...m.secrets, ...GATE_SECRETS] : m.secrets;
}

/** The app's inputs: those it declares, plus "setup is finished" when it has a setup gate. */
export function inputSpecs(m: Pick<AppManifest, 'inputs' | 'firstStart'>): InputSpec[] {
	return hasSetupGate(m) ? [...m.inputs, SETUP_DONE] : m.inputs;
}

/** Is the setup gate up for these values? */
export function gateUp(
	m: Pick<AppManifest, 'firstStart'>,
	inputs: Record<string, string>,
	secrets: Record<string, string>
): boolean {
	return hasSetupGate(m) && inputs[SETUP_DONE_INPUT] !== 'true' && secrets[SETUP_PREDATES_GATE] !== 'true';
}

/** The input values the app runs with: while the gate is up, `whileGated` overrides them. */
export function effectiveInputs(
	m: Pick<AppManifest, 'firstStart'>,
	inputs: Record<string, string>,
	secrets: Record<string, string>
): Record<string, string> {
	const out = { ...inputs };
	delete out[SETUP_DONE_INPUT];
	return gateUp(m, inputs, secrets) ? { ...out, ...(m.firstStart.whileGated ?? {}) } : out;
}

export interface LoginStep {
	/** What this step is, e.g. "Setup password", "Admin account", "Admin token". */
	title: string;
	user?: string;
	/** The secret to reveal from the vault (never its value). */
	secret?: string;
	/** What the secret is called next to the user name: "Password" or "Token". */
	secretLabel?: 'Password' | 'Token';
	/** The secret in a sentence: "setup password", "password", "admin token". */
	secretName?: string;
	/** A published default password, shown as is (it is no secret), with the advice to change it. */
	publicPassword?: string;
	/** One plain sentence on what to do with it. */
	note: string;
}

/**
 * What the person signs in with first, step by step: the setup gate while it is up (and the
 * published default login behind it), else the generated login. Values of secrets are not
 * included; `secret` names the one to reveal.
 */
export function firstLoginSteps(
	m: Pick<AppManifest, 'firstStart' | 'inputs' | 'name'>,
	inputs: Record<string, string>,
	secrets: Record<string, string>
): LoginStep[] {
	const fs = m.firstStart;
	const steps: LoginStep[] = [];
	if (gateUp(m, inputs, secrets)) {
		steps.push({
			title: 'Setup password',
			user: SETUP_USER,
			secret: SETUP_PASSWORD,
			secretLabel: 'Password',
			secretName: 'setup password',
			note: `Your browser asks for it once when you open ${m.name}. Set ${m.name} up, then say setup is finished here.`
		});
		if (fs.defaultLogin)
			steps.push({
				title: 'Default login',
				user: fs.defaultLogin.user,
				publicPassword: fs.defaultLogin.password,
				note: 'Everyone knows this one: sign in with it behind the setup password and change both straight away.'
			});
	}
	if (fs.login) {
		const user = fs.login.user === undefined ? undefined : resolveUser(fs.login.user, m, inputs);
		steps.push({
			title: fs.login.label ?? (user ? 'Your account' : 'Password'),
			...(user ? { user } : {}),
			secret: fs.login.secret,
			secretLabel: fs.login.label && /token/i.test(fs.login.label) ? 'Token' : 'Password',
			secretName: fs.login.label ? fs.login.label.toLowerCase() : 'password',
			note: `Made for you when ${m.name} was added; only your vault keeps it.`
		});
	}
	return steps;
}

function resolveUser(text: string, m: Pick<AppManifest, 'inputs'>, inputs: Record<string, string>): string {
	return text.replace(/\{\{input\.([a-z][a-z0-9_]*)\}\}/g, (_, id: string) => {
		return inputs[id] ?? m.inputs.find((i) => i.id === id)?.default ?? '';
	});
}

/** Problems with `firstStart` in plain words (empty when it is fine); used by checkManifest. */
export function checkFirstStart(m: AppManifest): string[] {
	const problems: string[] = [];
	const fs = m.firstStart;
	const say = (s: string) => problems.push(`firstStart: ${s}`);
	if (!fs) return ['firstStart: say how the app is safe before its first sign-in'];
	const secretIds = new Set(secretSpecs(m).map((s) => s.id));
	const inputIds = new Set(m.inputs.map((i) => i.id));
	if (inputIds.has(SETUP_DONE_INPUT)) say(`the input id "${SETUP_DONE_INPUT}" is nassella's own`);
	for (const s of m.secrets)
		if (GATE_SECRETS.some((g) => g.id === s.id) || s.id === SETUP_PREDATES_GATE)
			say(`the secret id "${s.id}" is nassella's own`);
	if (fs.login) {
		if (!secretIds.has(fs.login.secret)) say(`login: "${fs.login.secret}" is not a declared secret`);
		if (fs.login.user !== undefined) {
			try {
				for (const p of parsePlaceholders(fs.login.user, m.id))
					if (p.kind !== 'input' || !inputIds.has(p.name))
						say(`login: the user name may only use {{input.<id>}} of a declared input, not ${p.raw}`);
			} catch (e) {
				say(`login: ${(e as Error).message}`);
			}
		}
	}
	if (fs.kind === 'generated-admin' && !fs.login)
		say('a generated admin needs "login": the user name and the secret that is its password');
	if (fs.kind !== 'setup-gate' && fs.defaultLogin)
		say('a published default login is allowed only behind the setup gate, where the person replaces it');
	if (fs.kind !== 'setup-gate' && fs.whileGated) say('"whileGated" needs the setup gate');
	for (const [id, value] of Object.entries(fs.whileGated ?? {})) {
		if (!inputIds.has(id)) say(`whileGated: "${id}" is not a declared input`);
		else if (!fs.signups?.some((s) => s.input === id))
			say(`whileGated: "${id}" may only open sign-ups for the setup (list it in "signups")`);
		void value;
	}
	for (const s of fs.signups ?? []) {
		const input = m.inputs.find((i) => i.id === s.input);
		if (!input) say(`signups: "${s.input}" is not a declared input`);
		else if (input.default !== s.closed)
			say(
				`signups: "${s.input}" must default to "${s.closed}", so nobody can create an account unless the person opens sign-ups`
			);
	}
	return problems;
}
