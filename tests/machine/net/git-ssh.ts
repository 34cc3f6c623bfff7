/**
 * The git host of the stand-in internet (github.com and codeberg.org over SSH, see PLAN.md):
 * Debian's OpenSSH server in the foreground on a free loopback port, with a host key made for
 * this run, serving bare repositories under its own root to the deploy keys registered with it,
 * read-only as nassella registers them (GitHub's `read_only: true`).
 *
 * Needs root: sshd switches to the system user `git` (the remote is `git@github.com:…`), made
 * here when missing (`useradd --system`, login shell git-shell, home /var/lib/nassella-git-ssh,
 * no password). Each key line is `restrict,command="nassella-git '<root>'"`: git-shell, the login
 * shell, runs only git's own commands and the commands in ~git/git-shell-commands/, and
 * `nassella-git` (written there) enters this run's root and hands `$SSH_ORIGINAL_COMMAND` to
 * git-shell when it is a fetch of `owner/repo[.git]`. The root and its parents are made
 * traversable by others (`o+x`), since `git` reads the repositories.
 */
import { execFileSync } from 'node:child_process';
import {
	chmodSync,
	copyFileSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	readFileSync,
	renameSync,
	rmSync,
	statSync,
	writeFileSync
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { freePort, spawnManaged, tail, tcpGreeting, waitUntil, type Managed } from './proc.ts';

export const GIT_USER = 'git';
const GIT_HOME = '/var/lib/nassella-git-ssh';
const GIT_SHELL = '/usr/bin/git-shell';

const FORCED_COMMAND = `#!/bin/sh
# The stand-in git host's forced command (tests/machine/net/git-ssh.ts): nassella-git <root>.
# Serves a fetch of owner/repo[.git] under <root>, as a read-only deploy key; nothing else.
set -eu
root="$1"
cmd="\${SSH_ORIGINAL_COMMAND:-}"
verb="\${cmd%% *}"
arg="\${cmd#* }"
case "$verb" in
git-upload-pack | git-upload-archive) ;;
git-receive-pack)
	echo "ERROR: The key you are authenticating with has been marked as read only." >&2
	exit 1
	;;
*)
	echo "ERROR: only git fetches are served here." >&2
	exit 1
	;;
esac
path="\${arg#\\'}"
path="\${path%\\'}"
path="\${path#/}"
if ! printf '%s' "$path" | grep -Eqx '[A-Za-z0-9_-][A-Za-z0-9._-]*/[A-Za-z0-9_-][A-Za-z0-9._-]*' ||
	printf '%s' "$path" | grep -qF '..'; then
	echo "ERROR: Repository not found." >&2
	exit 1
fi
cd "$root"
# The repositories are root's (the test writes them); the user git may read them.
export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*'
exec git-shell -c "$verb '$path'"
`;

function sh(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): string {
	try {
		return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...opts }).trim();
	} catch (e) {
		const err = e as { stderr?: string; message: string };
		throw new Error(`${cmd} ${args.join(' ')}: ${err.stderr || err.message}`, { cause: e });
	}
}

function passwdEntry(user: string): { home: string; shell: string } | undefined {
	try {
		const line = execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).trim();
		const f = line.split(':');
		return { home: f[5]!, shell: f[6]! };
	} catch {
		return undefined;
	}
}

/** The system user `git` with git-shell as its login shell and our forced command in its home. */
export function ensureGitUser(): { home: string } {
	if (process.getuid?.() !== 0) throw new Error('the stand-in git host needs root (sshd switches to the user git)');
	let entry = passwdEntry(GIT_USER);
	if (!entry) {
		mkdirSync(GIT_HOME, { recursive: true, mode: 0o755 });
		try {
			sh('useradd', [
				'--system',
				'--no-create-home',
				'--home-dir',
				GIT_HOME,
				'--shell',
				GIT_SHELL,
				'--password',
				'*',
				GIT_USER
			]);
		} catch (e) {
			if (!passwdEntry(GIT_USER)) throw e; // else another test process made it first
		}
		entry = passwdEntry(GIT_USER)!;
	}
	if (entry.shell !== GIT_SHELL)
		throw new Error(`the user ${GIT_USER} exists with the login shell ${entry.shell}; the stand-in needs ${GIT_SHELL}`);
	// sshd (without PAM) turns away locked accounts ("!" in the shadow file); "*" has no password either.
	const shadow = sh('getent', ['shadow', GIT_USER]).split(':')[1] ?? '';
	if (shadow.startsWith('!')) sh('usermod', ['--password', '*', GIT_USER]);
	const commands = join(entry.home, 'git-shell-commands');
	mkdirSync(commands, { recursive: true, mode: 0o755 });
	chmodSync(entry.home, statSync(entry.home).mode | 0o005);
	const script = join(commands, 'nassella-git');
	if (!existsSync(script) || readFileSync(script, 'utf8') !== FORCED_COMMAND) {
		const tmp = `${script}.tmp-${process.pid}`;
		writeFileSync(tmp, FORCED_COMMAND, { mode: 0o755 });
		chmodSync(tmp, 0o755);
		renameSync(tmp, script);
	}
	return { home: entry.home };
}

/** Lets others pass through `dir` and each of its parents (o+x only, nothing readable is added). */
function traversable(dir: string): void {
	for (let d = resolve(dir); ; d = dirname(d)) {
		const mode = statSync(d).mode;
		if ((mode & 0o001) === 0) chmodSync(d, (mode & 0o7777) | 0o001);
		if (d === dirname(d)) break;
	}
}

/** `type base64` of an OpenSSH public key line (options and comment dropped). */
export function keyId(publicKey: string): string {
	const m = publicKey.trim().match(/(?:^|\s)((?:ssh|ecdsa|sk)-[A-Za-z0-9@.-]+)\s+([A-Za-z0-9+/=]+)/);
	if (!m) throw new Error(`not an OpenSSH public key: ${publicKey.slice(0, 60)}`);
	return `${m[1]} ${m[2]}`;
}

export interface GitSsh {
	port: number;
	/** The host's public key, `ssh-ed25519 AAAA…` (no comment), for known_hosts. */
	hostPublicKey: string;
	/** Folder that holds the repositories: `repoPath('person/x.git')` is `<root>/person/x.git`. */
	root: string;
	/** The bare repository `owner/name.git` under the root, made (branch main, empty) on first use. */
	repoPath(name: string): string;
	/** Lets the key fetch every repository under the root (read-only). */
	addDeployKey(publicKey: string): void;
	removeDeployKey(publicKey: string): void;
	/** Moves a branch of a repository to an older commit (a rollback, as a force-push would). */
	resetBranch(repoPath: string, commit: string, branch?: string): void;
	/** sshd's log (-e: to stderr). */
	log(): string;
	/** Ends sshd (the git host is down: connections refused); `start()` brings it back, same port and key. */
	stop(): Promise<void>;
	start(): Promise<void>;
}

export async function startGitSsh(opts: { workDir: string }): Promise<GitSsh> {
	const { home } = ensureGitUser();
	void home;
	const dir = resolve(opts.workDir, 'git-ssh');
	const root = join(dir, 'repos');
	if (/['"\s\\]/.test(root)) throw new Error(`the git host's root may not contain quotes or spaces: ${root}`);
	mkdirSync(root, { recursive: true });
	chmodSync(dir, 0o755);
	chmodSync(root, 0o755);
	traversable(root);
	// sshd's privilege separation directory (made by the service unit on a running system).
	mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });

	const hostKey = join(dir, 'ssh_host_ed25519_key');
	rmSync(hostKey, { force: true });
	rmSync(`${hostKey}.pub`, { force: true });
	sh('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'nassella-test-git-host', '-f', hostKey]);
	const hostPublicKey = keyId(readFileSync(`${hostKey}.pub`, 'utf8'));

	const authorizedKeys = join(dir, 'authorized_keys');
	const keys = new Map<string, string>();
	const writeKeys = () => {
		const tmp = `${authorizedKeys}.tmp`;
		const lines = [...keys.values()].map((k) => `restrict,command="nassella-git '${root}'" ${k} nassella-deploy-key\n`);
		writeFileSync(tmp, lines.join(''), { mode: 0o644 });
		chmodSync(tmp, 0o644);
		renameSync(tmp, authorizedKeys);
	};
	writeKeys();

	const config = join(dir, 'sshd_config');
	const writeConfig = (port: number) =>
		writeFileSync(
			config,
			[
				`ListenAddress 127.0.0.1:${port}`,
				`HostKey ${hostKey}`,
				'PidFile none',
				`AuthorizedKeysFile ${authorizedKeys}`,
				'AuthorizedKeysCommand none',
				'AuthorizedPrincipalsFile none',
				'PubkeyAuthentication yes',
				'PasswordAuthentication no',
				'KbdInteractiveAuthentication no',
				'HostbasedAuthentication no',
				'PermitRootLogin no',
				`AllowUsers ${GIT_USER}`,
				'UsePAM no',
				// The key file lives in the test's work folder (under /tmp), which is no place sshd's
				// ownership walk accepts; the file is root's and written only by this module.
				'StrictModes no',
				'DisableForwarding yes',
				'PermitTTY no',
				'PermitUserRC no',
				'PermitUserEnvironment no',
				'AcceptEnv GIT_PROTOCOL',
				'PrintMotd no',
				'UseDNS no',
				'LogLevel VERBOSE',
				'MaxStartups 50:30:100',
				'LoginGraceTime 60',
				''
			].join('\n')
		);
	/** Starts sshd on `port`; resolves with it once it greets, or with undefined when the port is taken. */
	const launch = async (port: number): Promise<Managed | undefined> => {
		writeConfig(port);
		const p = spawnManaged('/usr/sbin/sshd', ['-D', '-e', '-f', config], { logFile: join(dir, 'sshd.log') });
		const up = await waitUntil(
			'sshd answers',
			async () => {
				if (p.proc.exitCode !== null) return false;
				const greeting = await tcpGreeting(port);
				if (!greeting.startsWith('SSH-2.0-')) throw new Error(`greeting ${greeting}`);
				return true;
			},
			30_000,
			p.log
		).catch(async (e: Error) => {
			if (p.proc.exitCode === null) {
				await p.stop();
				throw e;
			}
			return false;
		});
		if (up) return p;
		if (!/Cannot bind|Address already in use/.test(p.log())) throw new Error(`sshd did not start:\n${p.log()}`);
		return undefined;
	};
	let sshd: Managed | undefined;
	let port = 0;
	for (let attempt = 0; attempt < 5 && !sshd; attempt++) {
		port = await freePort();
		sshd = await launch(port);
	}
	if (!sshd) throw new Error('sshd found no free port');

	return {
		port,
		hostPublicKey,
		root,
		repoPath(name: string) {
			if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]*\/[A-Za-z0-9_-][A-Za-z0-9._-]*$/.test(name) || name.includes('..'))
				throw new Error(`a repository is named owner/name: ${name}`);
			const path = join(root, name.endsWith('.git') ? name : `${name}.git`);
			if (!existsSync(join(path, 'HEAD'))) {
				mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
				chmodSync(dirname(path), 0o755);
				// --shared=0644: readable by the user git whatever the test's umask.
				sh('git', ['init', '-q', '--bare', '--shared=0644', '-b', 'main', path], { env: gitEnv() });
			}
			return path;
		},
		addDeployKey(publicKey: string) {
			const id = keyId(publicKey);
			keys.set(id, id);
			writeKeys();
		},
		removeDeployKey(publicKey: string) {
			keys.delete(keyId(publicKey));
			writeKeys();
		},
		resetBranch,
		log: () => tail(join(dir, 'sshd.log')),
		async stop() {
			await sshd?.stop();
			sshd = undefined;
		},
		async start() {
			if (sshd) return;
			sshd = await launch(port);
			if (!sshd) throw new Error(`sshd could not listen on its port ${port} again`);
		}
	};
}

function gitEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
	return {
		...process.env,
		GIT_CONFIG_GLOBAL: '/dev/null',
		GIT_CONFIG_NOSYSTEM: '1',
		GIT_AUTHOR_NAME: 'nassella',
		GIT_AUTHOR_EMAIL: 'nassella@example.org',
		GIT_COMMITTER_NAME: 'nassella',
		GIT_COMMITTER_EMAIL: 'nassella@example.org',
		...extra
	};
}

export interface CommitOptions {
	/** Private key that signs (git's SSH signature format); not needed with `unsigned`. */
	signingKey?: string;
	message: string;
	/**
	 * The parent: by default the branch's tip (none on an empty repository); `null` for a commit
	 * with no parent, or an older commit to write history that does not build on the tip
	 * (the branch is moved to the new commit all the same, like a force-push).
	 */
	parent?: string | null;
	/** An unsigned commit. */
	unsigned?: boolean;
	branch?: string;
}

/**
 * Writes a commit of exactly the files of `bundleDir` (through a throwaway index, the folder is
 * only read) onto `main` of the bare repository `repoPath`; returns its id.
 */
export function commitBundle(repoPath: string, bundleDir: string, opts: CommitOptions): string {
	const branch = opts.branch ?? 'main';
	const tmp = mkdtempSync(join(tmpdir(), 'nassella-commit-'));
	try {
		const env = gitEnv({ GIT_DIR: repoPath, GIT_WORK_TREE: resolve(bundleDir), GIT_INDEX_FILE: join(tmp, 'index') });
		const git = (args: string[]) => sh('git', ['-c', 'core.hooksPath=/dev/null', ...args], { env, cwd: bundleDir });
		git(['add', '--all', '--force', '.']);
		const tree = git(['write-tree']);
		let parent = opts.parent;
		if (parent === undefined) {
			try {
				parent = git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]) || null;
			} catch {
				parent = null;
			}
		}
		const sign: string[] = [];
		if (!opts.unsigned) {
			if (!opts.signingKey) throw new Error('commitBundle: a signingKey, or unsigned: true');
			// ssh-keygen -Y sign wants a private key only its owner can read.
			const key = join(tmp, 'signing-key');
			copyFileSync(opts.signingKey, key);
			chmodSync(key, 0o600);
			sign.push('-c', 'gpg.format=ssh', '-c', `user.signingkey=${key}`);
		}
		const commit = git([
			...sign,
			'commit-tree',
			...(opts.unsigned ? [] : ['-S']),
			...(parent ? ['-p', parent] : []),
			'-m',
			opts.message,
			tree
		]);
		git(['update-ref', `refs/heads/${branch}`, commit]);
		return commit;
	} finally {
		rmSync(tmp, { recursive: true, force: true });
	}
}

/** Moves the branch to an older commit (a rollback, as a force-push would). */
export function resetBranch(repoPath: string, commit: string, branch = 'main'): void {
	sh('git', ['update-ref', `refs/heads/${branch}`, commit], { env: gitEnv({ GIT_DIR: repoPath }) });
}
