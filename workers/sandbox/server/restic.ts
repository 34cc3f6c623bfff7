/**
 * A stand-in for restic repositories on S3-compatible storage, shared by every sandbox
 * server: keyed by the repository address (`s3:https://<endpoint>/<bucket>[/<prefix>]`),
 * opened only with the password it was created with, holding snapshots of a server's
 * data files. A server in another sandbox provider restores from the same repository.
 */
import { createHash, randomBytes } from 'node:crypto';

export interface Snapshot {
	/** 64 hex digits, as restic's snapshot ids. */
	id: string;
	time: string;
	host: string;
	files: Map<string, string>;
	sizeBytes: number;
}

interface Repository {
	passwordHash: string;
	snapshots: Snapshot[];
}

export class ResticError extends Error {}

const hashOf = (password: string) => createHash('sha256').update(password).digest('hex');

export class ResticStore {
	readonly #repos = new Map<string, Repository>();

	#open(repository: string, password: string, create: boolean): Repository {
		let repo = this.#repos.get(repository);
		if (!repo) {
			if (!create)
				throw new ResticError(`Fatal: repository does not exist: unable to open config file (${repository})`);
			repo = { passwordHash: hashOf(password), snapshots: [] };
			this.#repos.set(repository, repo);
		}
		if (repo.passwordHash !== hashOf(password))
			throw new ResticError('Fatal: wrong password or no key found: the backup repository could not be opened');
		return repo;
	}

	backup(repository: string, password: string, host: string, files: Map<string, string>, at: number): Snapshot {
		const repo = this.#open(repository, password, true);
		let size = 0;
		for (const [p, c] of files) size += p.length + c.length;
		const snap: Snapshot = {
			id: randomBytes(32).toString('hex'),
			time: new Date(at).toISOString(),
			host,
			files: new Map(files),
			sizeBytes: size
		};
		repo.snapshots.push(snap);
		return snap;
	}

	/** Newest first. */
	snapshots(repository: string, password: string): Snapshot[] {
		return [...this.#open(repository, password, false).snapshots].reverse();
	}

	latest(repository: string, password: string): Snapshot {
		const snap = this.snapshots(repository, password)[0];
		if (!snap) throw new ResticError('Fatal: no snapshot found in the backup repository');
		return snap;
	}

	size(repository: string, password: string): number {
		return this.snapshots(repository, password).reduce((n, s) => n + s.sizeBytes, 0);
	}

	/** What the control endpoint shows: repositories and snapshot counts, never passwords. */
	summary(): Record<string, { snapshots: { id: string; time: string; host: string; files: number }[] }> {
		return Object.fromEntries(
			[...this.#repos].map(([k, r]) => [
				k,
				{ snapshots: r.snapshots.map((s) => ({ id: s.id, time: s.time, host: s.host, files: s.files.size })) }
			])
		);
	}
}
