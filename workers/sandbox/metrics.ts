/**
 * What the sandbox's stand-in servers "measure": plausible, deterministic figures derived
 * from a server's id and age, so that two requests for the same moment agree and charts
 * look alive. A busy first few minutes (pulling and starting the apps), then a quiet
 * daily rhythm with a little jitter; the disk fills slowly with age. Nothing here is
 * measured; the cloud fakes serve it in each provider's own format.
 */

const DAY_S = 86_400;
/** How long the start-up burst takes to fade (seconds). */
const BOOT_S = 300;

/** A fixed pseudo-random number in [0, 1) for (seed, n). */
export function jitter(seed: number, n: number): number {
	let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(n, 0xc2b2ae35)) >>> 0;
	h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
	h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
	return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

export interface Sim {
	seed: number;
	/** Creation time, unix seconds. */
	createdS: number;
	vcpus: number;
}

export function sim(id: number | string, createdMs: number, vcpus = 1): Sim {
	let seed = 7;
	for (const ch of String(id)) seed = (Math.imul(seed, 31) + ch.charCodeAt(0)) >>> 0;
	return { seed, createdS: Math.floor(createdMs / 1000), vcpus };
}

const phase = (s: Sim) => (s.seed % 1000) / 1000;
const boot = (s: Sim, t: number) => (t < s.createdS ? 0 : Math.exp(-(t - s.createdS) / BOOT_S));
const daily = (s: Sim, t: number) => Math.sin((2 * Math.PI * t) / DAY_S + 2 * Math.PI * phase(s));

/** Busy share of the CPU at unix second t, 0..1. */
export function busy(s: Sim, t: number): number {
	const v = 0.04 + 0.02 * daily(s, t) + 0.55 * boot(s, t) + 0.02 * jitter(s.seed, Math.floor(t / 60));
	return Math.min(1, Math.max(0, v));
}

/**
 * Busy CPU seconds since creation (all cores), in closed form so that any two samples
 * give a consistent difference; the per-minute jitter is folded in as a bounded wobble.
 */
export function busySeconds(s: Sim, t: number): number {
	const age = Math.max(0, t - s.createdS);
	const w = (2 * Math.PI) / DAY_S;
	const p = 2 * Math.PI * phase(s);
	const smooth =
		0.04 * age -
		(0.02 / w) * (Math.cos(w * (s.createdS + age) + p) - Math.cos(w * s.createdS + p)) +
		0.55 * BOOT_S * (1 - Math.exp(-age / BOOT_S));
	return s.vcpus * (smooth + 0.3 * jitter(s.seed, Math.floor(t / 60)));
}

/** Network bytes per second at t. */
export function network(s: Sim, t: number, direction: 'in' | 'out'): number {
	const base = direction === 'in' ? 4_000 : 9_000;
	const burst = direction === 'in' ? 6_000_000 : 150_000;
	const j = jitter(s.seed + (direction === 'in' ? 1 : 2), Math.floor(t / 60));
	return Math.round(base * (1 + 0.5 * daily(s, t) + 0.3 * j) + burst * boot(s, t));
}

/** Disk bytes per second at t. */
export function diskBytes(s: Sim, t: number, direction: 'read' | 'write'): number {
	const base = direction === 'read' ? 2_000 : 12_000;
	const burst = direction === 'read' ? 800_000 : 9_000_000;
	const j = jitter(s.seed + (direction === 'read' ? 3 : 4), Math.floor(t / 60));
	return Math.round(base * (1 + 0.5 * daily(s, t) + 0.4 * j) + burst * boot(s, t));
}

/** Disk operations per second at t (about 4 KiB per operation, at least one). */
export function diskOps(s: Sim, t: number, direction: 'read' | 'write'): number {
	return Math.max(1, Math.round(diskBytes(s, t, direction) / 4096));
}

/** Used share of a disk at t: the system and apps at start, then slow growth with age. */
export function diskUsedShare(s: Sim, t: number, start = 0.12): number {
	const days = Math.max(0, t - s.createdS) / DAY_S;
	return Math.min(0.9, start + 0.05 * (1 - boot(s, t)) + 0.004 * days);
}

/** The step to use: the one asked for (at least 1 s), widened so that at most `max` samples fit. */
export function widenStep(startS: number, endS: number, stepS: number, max: number): number {
	return Math.max(1, Math.floor(stepS) || 1, Math.ceil((endS - startS) / max));
}

/** Sample times (unix s) on a grid of `stepS` within [startS, endS], not before the server existed. */
export function grid(s: Sim, startS: number, endS: number, stepS: number): number[] {
	const first = Math.ceil(Math.max(startS, s.createdS) / stepS) * stepS;
	const out: number[] = [];
	for (let t = first; t <= endS && out.length < 1000; t += stepS) out.push(t);
	return out;
}
