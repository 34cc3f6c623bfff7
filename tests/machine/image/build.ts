/**
 * The stand-in server image in the machine cache (tests/machine/PLAN.md): built by build.sh into
 * `<cache>/vm-<hash>.tmp-<pid>` and renamed to `<cache>/vm-<hash>` when complete. The hash covers
 * build.sh, every file it copies into the image (rootfs/) and the test CA, so a change to any of them
 * builds a new image and an unchanged tree reuses the old one.
 *
 * From the command line: `node tests/machine/image/build.ts` builds (or finds) it and prints its folder.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
	closeSync,
	createWriteStream,
	existsSync,
	mkdirSync,
	openSync,
	readFileSync,
	readdirSync,
	renameSync,
	statSync,
	unlinkSync,
	writeSync
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot, ensureCa } from '../lib/ca.ts';

export interface VmImage {
	dir: string;
	kernel: string;
	initrd: string;
	/** ext4 with the label `root`; use it as a read-only backing file (vm.ts makes an overlay). */
	rootImg: string;
	/** Folder holding `docker-compose-<composeVersion>-x86-64.raw`. */
	sysextDir: string;
	/** The compose sysext itself, `<sysextDir>/docker-compose-<composeVersion>-x86-64.raw`. */
	sysextFile: string;
	/** `age-v<ageVersion>-linux-amd64.tar.gz`, upstream's layout (`age/age`, `age/age-keygen`). */
	ageTarball: string;
	composeVersion: string;
	ageVersion: string;
	kernelVersion: string;
	hash: string;
}

const here = dirname(fileURLToPath(import.meta.url));

function filesUnder(dir: string): string[] {
	return readdirSync(dir, { withFileTypes: true })
		.flatMap((entry) => {
			const path = join(dir, entry.name);
			return entry.isDirectory() ? filesUnder(path) : [path];
		})
		.sort();
}

/** sha256 over build.sh, rootfs/ (names, modes and contents) and the CA. */
export function imageHash(caHash: string): string {
	const hash = createHash('sha256');
	for (const file of [join(here, 'build.sh'), ...filesUnder(join(here, 'rootfs'))]) {
		hash.update(`${relative(here, file)}\0${statSync(file).mode & 0o111 ? 'x' : '-'}\0`);
		hash.update(readFileSync(file));
		hash.update('\0');
	}
	hash.update(`ca\0${caHash}`);
	return hash.digest('hex').slice(0, 16);
}

function describe(dir: string, hash: string): VmImage | undefined {
	const infoPath = join(dir, 'info.json');
	if (!existsSync(infoPath)) return undefined;
	const info = JSON.parse(readFileSync(infoPath, 'utf8')) as {
		composeVersion: string;
		ageVersion: string;
		kernelVersion: string;
	};
	const image: VmImage = {
		dir,
		kernel: join(dir, 'vmlinuz'),
		initrd: join(dir, 'initrd.img'),
		rootImg: join(dir, 'root.img'),
		sysextDir: join(dir, 'sysext'),
		sysextFile: join(dir, 'sysext', `docker-compose-${info.composeVersion}-x86-64.raw`),
		ageTarball: join(dir, 'age', `age-v${info.ageVersion}-linux-amd64.tar.gz`),
		composeVersion: info.composeVersion,
		ageVersion: info.ageVersion,
		kernelVersion: info.kernelVersion,
		hash
	};
	const complete = [image.kernel, image.initrd, image.rootImg, image.sysextFile, image.ageTarball].every((f) =>
		existsSync(f)
	);
	return complete ? image : undefined;
}

function alive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch {
		return false;
	}
}

/** Removes a dead build's folder, unless something is still mounted inside it (never follow a mount). */
function removeStale(path: string): void {
	const mounts = readFileSync('/proc/mounts', 'utf8')
		.split('\n')
		.map((line) => line.split(' ')[1] ?? '');
	if (mounts.some((m) => m === path || m.startsWith(path + '/'))) {
		process.stderr.write(`leaving ${path}: something is still mounted inside it\n`);
		return;
	}
	spawnSync('rm', ['-rf', '--one-file-system', path]);
}

async function waitForOther(lock: string): Promise<void> {
	for (;;) {
		let pid: number;
		try {
			pid = Number(readFileSync(lock, 'utf8'));
		} catch {
			return; // gone: the other build finished or gave up
		}
		if (!alive(pid)) {
			try {
				unlinkSync(lock);
			} catch {
				// someone else removed it
			}
			return;
		}
		await new Promise((r) => setTimeout(r, 2000));
	}
}

export async function ensureVmImage(options: { log?: (text: string) => void } = {}): Promise<VmImage> {
	const ca = ensureCa();
	const hash = imageHash(ca.hash);
	const root = cacheRoot();
	const dir = join(root, `vm-${hash}`);
	mkdirSync(root, { recursive: true });
	const lock = `${dir}.lock`;
	for (;;) {
		const found = describe(dir, hash);
		if (found) return found;
		let fd: number;
		try {
			fd = openSync(lock, 'wx');
		} catch {
			await waitForOther(lock); // one build at a time for the same image
			continue;
		}
		writeSync(fd, String(process.pid));
		closeSync(fd);
		try {
			const again = describe(dir, hash);
			if (again) return again;
			for (const name of readdirSync(root)) {
				const m = name.match(/^vm-[0-9a-f]+\.tmp-(\d+)$/);
				if (m && !alive(Number(m[1]))) removeStale(join(root, name));
			}
			const tmp = `${dir}.tmp-${process.pid}`;
			await runBuild(tmp, ca.cert, `${dir}.build.log`, options.log);
			renameSync(tmp, dir);
			const built = describe(dir, hash);
			if (!built) throw new Error(`the image build left an incomplete ${dir}`);
			return built;
		} finally {
			unlinkSync(lock);
		}
	}
}

function runBuild(out: string, caCert: string, logPath: string, log?: (text: string) => void): Promise<void> {
	const sudo = process.getuid?.() === 0 ? [] : ['sudo', '--preserve-env=SOURCE_DATE_EPOCH'];
	const argv = [...sudo, 'bash', join(here, 'build.sh'), out, caCert];
	const logFile = createWriteStream(logPath);
	const started = Date.now();
	return new Promise((resolveBuild, reject) => {
		const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
		let lastLines = '';
		let partial = '';
		const take = (chunk: Buffer) => {
			logFile.write(chunk);
			lastLines = (lastLines + chunk.toString()).slice(-4000);
			// Progress lines only; the whole output is in the log file.
			const lines = (partial + chunk.toString()).split('\n');
			partial = lines.pop() ?? '';
			for (const line of lines) if (line.startsWith('[build.sh')) log?.(line + '\n');
		};
		child.stdout.on('data', take);
		child.stderr.on('data', take);
		child.on('error', reject);
		child.on('close', (code) => {
			logFile.end();
			if (code === 0) {
				log?.(`stand-in image built in ${Math.round((Date.now() - started) / 1000)} s\n`);
				resolveBuild();
			} else {
				reject(new Error(`build.sh failed (${code}); log: ${logPath}\n${lastLines}`));
			}
		});
	});
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
	const image = await ensureVmImage({ log: (text) => process.stderr.write(text) });
	process.stdout.write(image.dir + '\n');
}
