/** What a sandbox server reads from a bundle's files: the apps and their Compose services, the admin login, and the lines an app writes when it starts. */

const APP_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export interface Bundle {
	commit: string;
	files: Map<string, string>;
	/** app → its Compose services */
	apps: Map<string, string[]>;
	admin?: { user: string; hash: string };
	/** Whether `admin` was read from the sealed caddy.env yet. */
	adminRead?: boolean;
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

/**
 * The admin login: the user from the Caddyfile, the bcrypt hash from the bundle's caddy.env
 * (decrypted with this server's identity: `env`), as Caddy reads it through {$NASSELLA_ADMIN_HASH}.
 */
export function adminOf(files: Map<string, string>, env: Map<string, string> | undefined): Bundle['admin'] {
	const m = /basicauth \{\s*\n\s*([a-z][a-z0-9_-]{0,31}) \{\$NASSELLA_ADMIN_HASH\}\s*\n/.exec(
		files.get('Caddyfile') ?? ''
	);
	const hash = env?.get('NASSELLA_ADMIN_HASH');
	return m && hash && /^\$2[aby]\$[0-9]{2}\$[./A-Za-z0-9]{53}$/.test(hash) ? { user: m[1]!, hash } : undefined;
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
