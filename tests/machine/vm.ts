/**
 * Runs the stand-in server: the Debian image from `image/build.ts` booted under QEMU (TCG; KVM does
 * not work on these machines) from an Ignition config, with the network plan of PLAN.md.
 *
 * - The root disk is a qcow2 overlay on the cached `root.img`, so the cache stays pristine and each
 *   machine starts from the image as built. The data disk is a raw file (created blank and sparse when
 *   missing) seen by the guest as `/dev/disk/by-id/virtio-nassella-data`.
 * - The guest reaches nothing but the `guestfwd` rules (`restrict=on`). Each rule runs `socat` per
 *   connection to a host loopback port, so parallel connections (several image pulls, git and HTTPS at
 *   once) each get their own stream.
 * - Guest ports 80 and 443 are forwarded to free loopback ports (`vm.ports`).
 * - `vm.exec()` runs a command as root through a virtio serial port served by a small agent baked into
 *   the image (`nassella-standin-shell`); output is framed with markers and base64, so it is exact.
 * - A reboot is an orderly ACPI power-off followed by a new boot from the same disks without
 *   `ignition.firstboot=1`, as on a real server where Ignition runs once. A reboot started inside the
 *   guest (`systemctl reboot`) is followed the same way: QEMU runs with `-no-reboot`, and the runner
 *   boots the machine again when the guest asks for a reset.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
	closeSync,
	existsSync,
	mkdirSync,
	mkdtempSync,
	openSync,
	readSync,
	rmSync,
	statSync,
	truncateSync
} from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { VmImage } from './image/build.ts';
import { freePort } from './net/proc.ts';

export interface GuestForward {
	/** Address the guest connects to, e.g. 10.0.2.100 (see PLAN.md). */
	ip: string;
	port: number;
	/** Port on the host's loopback that answers. */
	hostPort: number;
	hostAddress?: string;
}

export interface StartVmOptions {
	image: VmImage;
	/** Ignition config (JSON) handed over with fw_cfg on the first boot. */
	ignitionPath: string;
	/** Raw data disk; created blank and sparse with `dataDiskSize` when missing. */
	dataDisk?: string;
	dataDiskSize?: number;
	name: string;
	/** Holds the overlay, the serial log and QEMU's own log. */
	workDir: string;
	memoryMiB?: number;
	cpus?: number;
	guestfwd?: GuestForward[];
	/** Host loopback ports for the guest's 80 and 443; free ones are chosen when not given. */
	hostPorts?: { http: number; https: number };
	/** Extra kernel command line words. */
	kernelArgs?: string[];
}

export interface ExecResult {
	code: number;
	stdout: string;
	stderr: string;
}

export interface Vm {
	name: string;
	workDir: string;
	/** The guest's first serial port (kernel, systemd and the root console), appended across boots. */
	serialLog: string;
	/** Host loopback ports forwarded to the guest's 80 and 443. */
	ports: { http: number; https: number };
	/** How many times the machine was powered on (1 on the first boot). */
	readonly boots: number;
	readonly running: boolean;
	/** Offset in `serialLog` where the current boot starts. */
	readonly bootOffset: number;
	/** Waits for a match in the serial log, from the current boot's start (or `since`). */
	waitForSerial(pattern: RegExp, timeoutMs: number, since?: number): Promise<RegExpMatchArray>;
	/** Runs a shell command (bash) as root in the guest; waits for the guest's agent first. */
	exec(command: string, timeoutMs?: number): Promise<ExecResult>;
	/** Like exec, but throws with the output when the command fails. */
	run(command: string, timeoutMs?: number): Promise<string>;
	/** Waits until the guest's agent answers. */
	waitForAgent(timeoutMs: number): Promise<void>;
	/** Waits until systemd finished starting up; returns the state (`running` or `degraded`). */
	waitForBoot(timeoutMs: number): Promise<string>;
	/** Orderly ACPI power-off; kills QEMU if the guest has not powered off within the timeout. */
	stop(timeoutMs?: number): Promise<void>;
	/** Powers on again from the same disks (not a first boot: Ignition does not run again). */
	start(): Promise<void>;
	/** stop() then start(). */
	reboot(timeoutMs?: number): Promise<void>;
	/** Pulls the plug. */
	kill(): Promise<void>;
}

const SHELL_PORT = 'org.nassella.shell';
const running = new Set<ChildProcess>();
const socketDirs = new Set<string>();
process.on('exit', () => {
	for (const child of running) child.kill('SIGKILL');
	for (const dir of socketDirs) rmSync(dir, { recursive: true, force: true });
});

export { freePort };

function requireTool(name: string, pkg: string): void {
	if (spawnSync('sh', ['-c', `command -v ${name}`]).status !== 0) {
		throw new Error(`${name} is missing on this machine: apt-get install ${pkg}`);
	}
}

function tail(text: string, lines = 40): string {
	return text.split('\n').slice(-lines).join('\n');
}

function readFrom(path: string, offset: number): string {
	if (!existsSync(path)) return '';
	const size = statSync(path).size;
	if (size <= offset) return '';
	const fd = openSync(path, 'r');
	try {
		const buffer = Buffer.alloc(size - offset);
		readSync(fd, buffer, 0, buffer.length, offset);
		return buffer.toString('utf8');
	} finally {
		closeSync(fd);
	}
}

async function connectWhenReady(path: string, child: ChildProcess, timeoutMs: number): Promise<Socket> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		if (child.exitCode !== null || child.signalCode !== null) throw new Error(`QEMU exited before ${path} was ready`);
		if (existsSync(path)) {
			try {
				return await new Promise<Socket>((ok, fail) => {
					const socket = connect(path);
					socket.once('connect', () => {
						socket.removeAllListeners('error');
						ok(socket);
					});
					socket.once('error', fail);
				});
			} catch {
				// not listening yet
			}
		}
		if (Date.now() > deadline) throw new Error(`timed out connecting to ${path}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

/** QEMU's machine protocol: commands and their answers, and events (SHUTDOWN tells a reset from a power-off). */
class Qmp {
	private buffer = '';
	private waiting: { resolve: (v: unknown) => void; reject: (e: Error) => void }[] = [];
	private greeted: Promise<void>;
	/** Resolves when QEMU closed the connection (after its last event). */
	closed: Promise<void>;
	onEvent: (event: { event: string; data?: Record<string, unknown> }) => void = () => {};
	private socket: Socket;

	constructor(socket: Socket) {
		this.socket = socket;
		let greet: () => void;
		this.greeted = new Promise((r) => (greet = r));
		socket.setEncoding('utf8');
		socket.on('data', (chunk: string) => {
			this.buffer += chunk;
			let nl: number;
			while ((nl = this.buffer.indexOf('\n')) >= 0) {
				const line = this.buffer.slice(0, nl).trim();
				this.buffer = this.buffer.slice(nl + 1);
				if (!line) continue;
				const message = JSON.parse(line) as Record<string, unknown>;
				if ('QMP' in message) greet();
				else if ('event' in message) this.onEvent(message as { event: string; data?: Record<string, unknown> });
				else if ('return' in message) this.waiting.shift()?.resolve(message.return);
				else if ('error' in message) this.waiting.shift()?.reject(new Error(JSON.stringify(message.error)));
			}
		});
		let closed: () => void;
		this.closed = new Promise((r) => (closed = r));
		const fail = () => {
			for (const w of this.waiting.splice(0)) w.reject(new Error('QMP connection closed'));
			closed();
		};
		socket.on('close', fail);
		socket.on('error', fail);
	}

	async init(): Promise<void> {
		await this.greeted;
		await this.command('qmp_capabilities');
	}

	command(execute: string, args?: Record<string, unknown>): Promise<unknown> {
		return new Promise((resolveCommand, reject) => {
			if (this.socket.destroyed) return reject(new Error('QMP connection closed'));
			this.waiting.push({ resolve: resolveCommand, reject });
			this.socket.write(JSON.stringify(args ? { execute, arguments: args } : { execute }) + '\n');
		});
	}

	close(): void {
		this.socket.destroy();
	}
}

/** The host end of the guest agent: one command at a time, answers matched by id. */
class Agent {
	private buffer = '';
	private pending = new Map<string, (r: ExecResult) => void>();
	private closed = false;
	private socket: Socket;

	constructor(socket: Socket) {
		this.socket = socket;
		socket.setEncoding('utf8');
		socket.on('data', (chunk: string) => {
			this.buffer += chunk;
			const re = /@@NS-BEGIN (\S+)\n([A-Za-z0-9+/=]*)\n@@NS-ERR \1\n([A-Za-z0-9+/=]*)\n@@NS-END \1 (\d+)\n/;
			let m: RegExpExecArray | null;
			while ((m = re.exec(this.buffer))) {
				this.buffer = this.buffer.slice(m.index + m[0].length);
				const [, id, out, err, code] = m as unknown as [string, string, string, string, string];
				this.pending.get(id)?.({
					code: Number(code),
					stdout: Buffer.from(out, 'base64').toString('utf8'),
					stderr: Buffer.from(err, 'base64').toString('utf8')
				});
				this.pending.delete(id);
			}
			// Keep only what can still start a frame.
			const start = this.buffer.lastIndexOf('@@NS-BEGIN');
			this.buffer = start >= 0 ? this.buffer.slice(start) : this.buffer.slice(-16);
		});
		socket.on('close', () => (this.closed = true));
		socket.on('error', () => (this.closed = true));
	}

	get alive(): boolean {
		return !this.closed;
	}

	/** Sends one command; resolves with its result, or null when no answer came in time. */
	send(command: string, timeoutMs: number): Promise<ExecResult | null> {
		const id = randomBytes(6).toString('hex');
		const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
		return new Promise((resolveSend) => {
			if (this.closed) return resolveSend(null);
			const timer = setTimeout(() => {
				this.pending.delete(id);
				resolveSend(null);
			}, timeoutMs + 5000);
			this.pending.set(id, (result) => {
				clearTimeout(timer);
				resolveSend(result);
			});
			this.socket.write(`${id} ${seconds} ${Buffer.from(command).toString('base64')}\n`);
		});
	}

	close(): void {
		this.socket.destroy();
	}
}

export async function startVm(options: StartVmOptions): Promise<Vm> {
	requireTool('qemu-system-x86_64', 'qemu-system-x86');
	requireTool('qemu-img', 'qemu-utils');
	if (options.guestfwd?.length) requireTool('socat', 'socat');
	const workDir = resolve(options.workDir);
	mkdirSync(workDir, { recursive: true });
	const overlay = join(workDir, 'root.qcow2');
	rmSync(overlay, { force: true });
	const made = spawnSync(
		'qemu-img',
		['create', '-q', '-f', 'qcow2', '-b', resolve(options.image.rootImg), '-F', 'raw', overlay],
		{ encoding: 'utf8' }
	);
	if (made.status !== 0) throw new Error(`qemu-img create failed: ${made.stderr}`);
	const dataDisk = options.dataDisk ? resolve(options.dataDisk) : undefined;
	if (dataDisk && !existsSync(dataDisk)) {
		closeSync(openSync(dataDisk, 'w'));
		truncateSync(dataDisk, options.dataDiskSize ?? 8 * 1024 ** 3);
	}
	for (const path of [resolve(options.ignitionPath), overlay, dataDisk ?? '']) {
		if (path.includes(',')) throw new Error(`QEMU cannot take a path with a comma: ${path}`);
	}
	// Unix socket paths are limited to 108 bytes: keep them short, outside the work dir.
	const sockets = mkdtempSync(join(tmpdir(), 'nsvm-'));
	socketDirs.add(sockets);
	const serialLog = join(workDir, 'serial.log');
	const qemuLog = join(workDir, 'qemu.log');
	const ports = options.hostPorts ? { ...options.hostPorts } : { http: await freePort(), https: await freePort() };

	let child: ChildProcess | undefined;
	let qmp: Qmp | undefined;
	let agent: Agent | undefined;
	let boots = 0;
	let bootOffset = 0;
	let stopping = false;
	/** Set while the runner boots the machine again after a reboot asked for inside the guest. */
	let restarting: Promise<void> | undefined;
	let restartError: Error | undefined;
	let exited: Promise<void> = Promise.resolve();
	let agentQueue: Promise<unknown> = Promise.resolve();

	const args = (firstBoot: boolean): string[] => {
		const net = [
			'user',
			'id=n0',
			'restrict=on',
			`hostfwd=tcp:127.0.0.1:${ports.http}-:80`,
			`hostfwd=tcp:127.0.0.1:${ports.https}-:443`,
			...(options.guestfwd ?? []).map(
				(f) => `guestfwd=tcp:${f.ip}:${f.port}-cmd:socat STDIO TCP:${f.hostAddress ?? '127.0.0.1'}:${f.hostPort}`
			)
		].join(',');
		const append = [
			'root=LABEL=root',
			'rw',
			'console=ttyS0',
			// Ignition runs on the first boot only, with the network up in the initramfs for its fetches.
			...(firstBoot ? ['ignition.firstboot=1', 'rd.neednet=1'] : []),
			'ignition.platform.id=qemu',
			// Under TCG the guest's TSC is the host's, and this host (itself a VM) marks its TSC
			// unstable: once it jumped by 85 minutes, every systemd watchdog fired and the sync was
			// killed as timed out. QEMU's HPET follows the host's monotonic clock instead.
			'clocksource=hpet',
			'tsc=unstable',
			...(options.kernelArgs ?? [])
		].join(' ');
		return [
			'-name',
			options.name,
			'-nodefaults',
			'-display',
			'none',
			'-accel',
			'tcg,thread=multi',
			'-cpu',
			'max',
			'-m',
			String(options.memoryMiB ?? 2048),
			'-smp',
			String(options.cpus ?? 2),
			'-no-reboot',
			'-rtc',
			'base=utc,clock=host',
			'-kernel',
			options.image.kernel,
			'-initrd',
			options.image.initrd,
			'-append',
			append,
			...(firstBoot ? ['-fw_cfg', `name=opt/com.coreos/config,file=${resolve(options.ignitionPath)}`] : []),
			'-chardev',
			`file,id=ser0,path=${serialLog},append=on`,
			'-serial',
			'chardev:ser0',
			'-chardev',
			`socket,id=qmp,path=${join(sockets, 'qmp')},server=on,wait=off`,
			'-mon',
			'chardev=qmp,mode=control',
			'-device',
			'virtio-serial-pci,id=vser0',
			'-chardev',
			`socket,id=shell,path=${join(sockets, 'shell')},server=on,wait=off`,
			'-device',
			`virtserialport,bus=vser0.0,chardev=shell,name=${SHELL_PORT}`,
			'-object',
			'rng-random,id=rng0,filename=/dev/urandom',
			'-device',
			'virtio-rng-pci,rng=rng0',
			'-drive',
			`if=none,id=root,file=${overlay},format=qcow2,discard=unmap`,
			'-device',
			'virtio-blk-pci,drive=root,serial=nassella-root',
			...(dataDisk
				? [
						'-drive',
						`if=none,id=data,file=${dataDisk},format=raw,discard=unmap`,
						'-device',
						'virtio-blk-pci,drive=data,serial=nassella-data'
					]
				: []),
			'-netdev',
			net,
			'-device',
			'virtio-net-pci,netdev=n0'
		];
	};

	const powerOn = async (firstBoot: boolean): Promise<void> => {
		for (let attempt = 1; ; attempt++) {
			rmSync(join(sockets, 'qmp'), { force: true });
			rmSync(join(sockets, 'shell'), { force: true });
			bootOffset = existsSync(serialLog) ? statSync(serialLog).size : 0;
			const log = openSync(qemuLog, 'a');
			const proc = spawn('qemu-system-x86_64', args(firstBoot), { stdio: ['ignore', log, log] });
			closeSync(log);
			running.add(proc);
			exited = new Promise((r) => proc.once('exit', () => r()));
			child = proc;
			let procQmp: Qmp | undefined;
			let procAgent: Agent | undefined;
			let reset = false;
			void exited.then(() => {
				running.delete(proc);
				procAgent?.close();
				if (stopping || child !== proc || !procQmp) return;
				// A reboot asked for inside the guest: boot again from the same disks. QMP's SHUTDOWN
				// event says whether it was a reset; it may arrive just after the exit.
				const events = procQmp;
				restarting = Promise.race([events.closed, new Promise((r) => setTimeout(r, 5000))])
					.then(async () => {
						events.close();
						if (reset && !stopping && child === proc) await powerOn(false);
					})
					.catch((error: Error) => {
						restartError = error;
					})
					.finally(() => {
						restarting = undefined;
					});
			});
			try {
				procQmp = new Qmp(await connectWhenReady(join(sockets, 'qmp'), proc, 60_000));
				procQmp.onEvent = (event) => {
					if (event.event === 'SHUTDOWN' && event.data?.reason === 'guest-reset') reset = true;
				};
				await procQmp.init();
				procAgent = new Agent(await connectWhenReady(join(sockets, 'shell'), proc, 60_000));
			} catch (error) {
				procQmp?.close();
				proc.kill('SIGKILL');
				await exited;
				const why = tail(readFrom(qemuLog, 0), 5);
				// Another process took a forwarded port between choosing and binding it: choose again.
				if (attempt < 3 && !options.hostPorts && /hostfwd|forwarding rule/i.test(why)) {
					ports.http = await freePort();
					ports.https = await freePort();
					continue;
				}
				throw new Error(`QEMU did not start: ${(error as Error).message}\n${why}`, { cause: error });
			}
			qmp = procQmp;
			agent = procAgent;
			boots++;
			return;
		}
	};

	const isRunning = () => !!child && child.exitCode === null && child.signalCode === null;
	/** Running, or about to run again after a reboot asked for inside the guest. */
	const isUp = async (): Promise<boolean> => {
		if (isRunning()) return true;
		// The exit event that starts a restart may still be on its way.
		await new Promise((r) => setTimeout(r, 200));
		if (restarting) await restarting;
		if (restartError) throw restartError;
		return isRunning();
	};

	const waitForSerial = async (pattern: RegExp, timeoutMs: number, since?: number) => {
		const from = since ?? bootOffset;
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			const text = readFrom(serialLog, from);
			const match = text.match(pattern);
			if (match) return match;
			if (!(await isUp())) throw new Error(`${options.name} is not running; serial log ends:\n${tail(text)}`);
			if (Date.now() > deadline) {
				throw new Error(`timed out waiting for ${pattern} on ${options.name}; serial log ends:\n${tail(text)}`);
			}
			await new Promise((r) => setTimeout(r, 500));
		}
	};

	const waitForAgent = async (timeoutMs: number) => {
		const deadline = Date.now() + timeoutMs;
		for (;;) {
			if (!(await isUp())) {
				throw new Error(`${options.name} is not running; serial log ends:\n${tail(readFrom(serialLog, bootOffset))}`);
			}
			if (agent?.alive && (await agent.send('true', 5000))?.code === 0) return;
			if (Date.now() > deadline) {
				throw new Error(
					`the guest agent of ${options.name} did not answer; serial log ends:\n${tail(readFrom(serialLog, bootOffset))}`
				);
			}
		}
	};

	const exec = (command: string, timeoutMs = 120_000): Promise<ExecResult> => {
		const task = agentQueue.then(async () => {
			await waitForAgent(Math.max(timeoutMs, 30_000));
			const result = await agent!.send(command, timeoutMs);
			if (!result) throw new Error(`no answer from ${options.name} within ${timeoutMs} ms to: ${command}`);
			return result;
		});
		agentQueue = task.catch(() => undefined);
		return task;
	};

	const stop = async (timeoutMs = 180_000) => {
		if (restarting) await restarting;
		if (!isRunning()) return;
		stopping = true;
		try {
			const deadline = Date.now() + timeoutMs;
			// The power button may be pressed before the guest listens for it: press again now and then.
			while (isRunning() && Date.now() < deadline) {
				await qmp?.command('system_powerdown').catch(() => undefined);
				await Promise.race([exited, new Promise((r) => setTimeout(r, Math.min(20_000, deadline - Date.now())))]);
			}
			if (isRunning()) child!.kill('SIGKILL');
			await exited;
		} finally {
			stopping = false;
		}
	};

	const vm: Vm = {
		name: options.name,
		workDir,
		serialLog,
		ports,
		get boots() {
			return boots;
		},
		get running() {
			return isRunning();
		},
		get bootOffset() {
			return bootOffset;
		},
		waitForSerial,
		exec,
		async run(command, timeoutMs) {
			const result = await exec(command, timeoutMs);
			if (result.code !== 0) {
				throw new Error(
					`\`${command}\` failed with ${result.code} on ${options.name}:\n${result.stdout}${result.stderr}`
				);
			}
			return result.stdout;
		},
		waitForAgent,
		async waitForBoot(timeoutMs) {
			const { stdout } = await exec('systemctl is-system-running --wait', timeoutMs);
			return stdout.trim();
		},
		stop,
		async start() {
			if (isRunning()) return;
			await powerOn(false);
		},
		async reboot(timeoutMs) {
			await stop(timeoutMs);
			await powerOn(false);
		},
		async kill() {
			if (restarting) await restarting;
			if (!isRunning()) return;
			stopping = true;
			child!.kill('SIGKILL');
			await exited;
			stopping = false;
		}
	};
	await powerOn(true);
	return vm;
}
