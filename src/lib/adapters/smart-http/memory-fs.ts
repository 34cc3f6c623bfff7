/**
 * A throw-away in-memory file system with the promise API isomorphic-git expects. Each
 * commit builds its objects here and pushes them; nothing touches the device's storage.
 */
type Entry = { kind: 'file'; data: Uint8Array; mode: number; mtimeMs: number } | { kind: 'dir'; mtimeMs: number };

function fsError(code: string, path: string): Error {
	return Object.assign(new Error(`${code}: ${path}`), { code });
}

function normalize(path: string): string {
	const parts: string[] = [];
	for (const part of path.split('/')) {
		if (!part || part === '.') continue;
		if (part === '..') parts.pop();
		else parts.push(part);
	}
	return '/' + parts.join('/');
}

function parentOf(path: string): string {
	const at = path.lastIndexOf('/');
	return at <= 0 ? '/' : path.slice(0, at);
}

class Stats {
	readonly type: 'file' | 'dir';
	readonly mode: number;
	readonly size: number;
	readonly mtimeMs: number;
	readonly ctimeMs: number;
	readonly ino = 0;
	readonly dev = 0;
	readonly uid = 0;
	readonly gid = 0;
	constructor(entry: Entry) {
		this.type = entry.kind;
		this.mode = entry.kind === 'file' ? entry.mode : 0o40755;
		this.size = entry.kind === 'file' ? entry.data.length : 0;
		this.mtimeMs = entry.mtimeMs;
		this.ctimeMs = entry.mtimeMs;
	}
	isFile() {
		return this.type === 'file';
	}
	isDirectory() {
		return this.type === 'dir';
	}
	isSymbolicLink() {
		return false;
	}
}

export function createMemoryFs() {
	const entries = new Map<string, Entry>([['/', { kind: 'dir', mtimeMs: Date.now() }]]);
	const get = (path: string) => {
		const entry = entries.get(normalize(path));
		if (!entry) throw fsError('ENOENT', path);
		return entry;
	};
	const requireParent = (path: string) => {
		const parent = entries.get(parentOf(path));
		if (!parent) throw fsError('ENOENT', path);
		if (parent.kind !== 'dir') throw fsError('ENOTDIR', path);
	};
	const promises = {
		async readFile(path: string, options?: { encoding?: string } | string) {
			const entry = get(path);
			if (entry.kind !== 'file') throw fsError('EISDIR', path);
			const encoding = typeof options === 'string' ? options : options?.encoding;
			return encoding === 'utf8' ? new TextDecoder().decode(entry.data) : entry.data;
		},
		async writeFile(path: string, data: Uint8Array | string, options?: { mode?: number } | string) {
			const p = normalize(path);
			requireParent(p);
			if (entries.get(p)?.kind === 'dir') throw fsError('EISDIR', path);
			const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : new Uint8Array(data);
			const mode = typeof options === 'object' && options?.mode ? options.mode : 0o100644;
			entries.set(p, { kind: 'file', data: bytes, mode, mtimeMs: Date.now() });
		},
		async unlink(path: string) {
			const p = normalize(path);
			if (get(p).kind !== 'file') throw fsError('EISDIR', path);
			entries.delete(p);
		},
		async readdir(path: string) {
			const p = normalize(path);
			if (get(p).kind !== 'dir') throw fsError('ENOTDIR', path);
			const prefix = p === '/' ? '/' : p + '/';
			const names: string[] = [];
			for (const key of entries.keys()) {
				if (key !== p && key.startsWith(prefix) && !key.slice(prefix.length).includes('/'))
					names.push(key.slice(prefix.length));
			}
			return names;
		},
		async mkdir(path: string) {
			const p = normalize(path);
			if (entries.has(p)) throw fsError('EEXIST', path);
			requireParent(p);
			entries.set(p, { kind: 'dir', mtimeMs: Date.now() });
		},
		async rmdir(path: string) {
			const p = normalize(path);
			if (get(p).kind !== 'dir') throw fsError('ENOTDIR', path);
			if ((await promises.readdir(p)).length) throw fsError('ENOTEMPTY', path);
			entries.delete(p);
		},
		async stat(path: string) {
			return new Stats(get(path));
		},
		async lstat(path: string) {
			return new Stats(get(path));
		},
		async readlink(path: string): Promise<string> {
			throw fsError('EINVAL', path);
		},
		async symlink(_target: string, path: string): Promise<void> {
			throw fsError('EPERM', path);
		},
		async chmod(path: string, mode: number) {
			const entry = get(path);
			if (entry.kind === 'file') entry.mode = mode;
		}
	};
	return { promises };
}
