/**
 * The check every config repository runs on each push (`.github/workflows/validate.yml`):
 * `node .github/nassella/validate.mjs .` in the repository's checkout.
 *
 * build-validator.ts bundles repo-check-entry.ts, this file, the checks it uses and their schemas into that one
 * file, which needs nothing but Node (20 or newer): no npm, no network. It checks what the
 * server checks before it applies a commit (every file listed in MANIFEST.sha256 with its
 * hash, nothing else), and that docker-compose.yml and requests.json are well formed.
 * Caddy is not run: CI runners have none, and a Caddyfile the server's Caddy refuses leaves
 * the previous version running on the server.
 */
import { resolve } from 'node:path';
import { validateBundle } from './validate.ts';

/** Checks `dir` and says what it found; returns the exit code (0 valid, 1 problems, 2 usage). */
export function repoCheck(
	args: readonly string[],
	out: (line: string) => void = console.log,
	err: (line: string) => void = console.error
): number {
	if (args.length !== 1) {
		err('Usage: node validate.mjs <folder>   (the checkout of a nassella config repository)');
		return 2;
	}
	const dir = resolve(args[0]!);
	let problems: string[];
	try {
		problems = validateBundle(dir, { caddy: false });
	} catch (e) {
		problems = [`the folder could not be read: ${(e as Error).message}`];
	}
	if (problems.length) {
		err(
			`The server configuration in ${dir} is not valid, and the server will not apply it as it is:\n` +
				problems.map((p) => `- ${p}`).join('\n') +
				'\nChanges to this repository are made by nassella; a change made by hand is refused.'
		);
		return 1;
	}
	out(`The server configuration in ${dir} is valid (Caddy was not run here; the server runs it).`);
	return 0;
}
