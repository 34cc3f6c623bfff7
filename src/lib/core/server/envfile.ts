/**
 * Env files. Two readers, two formats:
 * - Compose `env_file`: `KEY='value'`; single-quoted values are taken literally (no `$`
 *   interpolation, no escapes), so a value may not contain `'` or a line break.
 * - `docker run --env-file` (the backup container): `KEY=value`, taken verbatim to the
 *   end of the line, so a value may not contain a line break.
 * Values that cannot be represented are refused with a message naming the variable,
 * never the value.
 */
import { ENV_NAME, RenderError } from './app.ts';

function check(name: string, value: string, where: string, quoteAllowed: boolean): void {
	if (!ENV_NAME.test(name))
		throw new RenderError(`${where}: "${name.slice(0, 60)}" is not an environment variable name.`);
	// eslint-disable-next-line no-control-regex
	if (/[\u0000-\u001f\u007f]/.test(value))
		throw new RenderError(
			`${where}: the value of ${name} contains a line break or control character, which env files cannot carry.`
		);
	if (!quoteAllowed && value.includes("'"))
		throw new RenderError(
			`${where}: the value of ${name} contains a single quote ('), which env files cannot carry. Choose a value without it.`
		);
	if (value.length > 16384) throw new RenderError(`${where}: the value of ${name} is longer than 16 KiB.`);
}

export function renderComposeEnv(vars: Record<string, string>, where: string): string {
	return Object.keys(vars)
		.sort()
		.map((k) => {
			check(k, vars[k]!, where, false);
			return `${k}='${vars[k]}'\n`;
		})
		.join('');
}

/** Reads a file written by renderComposeEnv (tests and round trips). */
export function parseComposeEnv(text: string): Record<string, string> {
	const out: Record<string, string> = {};
	for (const line of text.split('\n')) {
		if (line === '') continue;
		const m = /^([A-Za-z_][A-Za-z0-9_]*)='([^']*)'$/.exec(line);
		if (!m) throw new Error(`Not an env line: ${line.slice(0, 40)}`);
		out[m[1]!] = m[2]!;
	}
	return out;
}

export function renderDockerEnv(vars: Record<string, string>, where: string): string {
	return Object.keys(vars)
		.sort()
		.map((k) => {
			check(k, vars[k]!, where, true);
			return `${k}=${vars[k]}\n`;
		})
		.join('');
}
