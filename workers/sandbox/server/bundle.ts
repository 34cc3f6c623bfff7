/** What a sandbox server reads from a bundle's files: the apps and their Compose services, the admin login, and the lines an app writes when it starts. */

const APP_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface Bundle {
	commit: string;
	files: Map<string, string>;
	/** app → its Compose services */
	apps: Map<string, string[]>;
	admin?: { user: string; hash: string };
}

export function appsOf(files: Map<string, string>): Map<string, string[]> {
	const apps = new Map<string, string[]>();
	for (const line of (files.get('services.list') ?? '').split('\n')) {
		const [app, service] = line.trim().split(/\s+/);
		if (!app || !service || app === 'nassella' || !APP_NAME.test(app)) continue;
		apps.set(app, [...(apps.get(app) ?? []), service]);
	}
	return apps;
}

export function adminOf(files: Map<string, string>): Bundle['admin'] {
	const m = /basicauth \{\s*\n\s*([a-z][a-z0-9_-]{0,31}) (\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53})\s*\n/.exec(
		files.get('Caddyfile') ?? ''
	);
	return m ? { user: m[1]!, hash: m[2]! } : undefined;
}

/** A few plausible lines an app's containers write when they start. */
export function appLines(app: string, services: string[]): string[][] {
	return services.flatMap((s, i) =>
		i === 0
			? [
					[s, `Starting ${app}…`],
					[s, `${app}: configuration loaded from the environment`],
					[s, `${app}: listening for connections`],
					[s, 'GET /health 200']
				]
			: [
					[s, `${s}: ready to accept connections`],
					[s, `${s}: database system is ready`]
				]
	);
}
