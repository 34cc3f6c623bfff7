/**
 * Builds journal files for tests: entries in systemd's journal export format
 * (https://systemd.io/JOURNAL_EXPORT_FORMATS/), written into a journal file by the real
 * systemd-journal-remote.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';

export const JOURNAL_REMOTE = '/lib/systemd/systemd-journal-remote';
export const GATEWAYD = '/lib/systemd/systemd-journal-gatewayd';

export type ExportEntry = Record<string, string | Uint8Array>;

/** One entry in export format: text fields as KEY=value, binary ones (or with a newline) length-prefixed. */
export function exportEntry(fields: ExportEntry): Buffer {
	const parts: Buffer[] = [];
	for (const [k, v] of Object.entries(fields)) {
		const bytes = typeof v === 'string' ? Buffer.from(v, 'utf8') : Buffer.from(v);
		const binary = typeof v !== 'string' || bytes.some((b) => b < 0x20 && b !== 0x09);
		if (!binary) parts.push(Buffer.from(`${k}=`), bytes, Buffer.from('\n'));
		else {
			const len = Buffer.alloc(8);
			len.writeBigUInt64LE(BigInt(bytes.length));
			parts.push(Buffer.from(`${k}\n`), len, bytes, Buffer.from('\n'));
		}
	}
	parts.push(Buffer.from('\n'));
	return Buffer.concat(parts);
}

/** Writes the entries into `journalFile` (appending when it exists) with systemd-journal-remote. */
export function writeJournal(entries: Iterable<ExportEntry>, exportFile: string, journalFile: string): void {
	const chunks: Buffer[] = [];
	for (const e of entries) chunks.push(exportEntry(e));
	writeFileSync(exportFile, Buffer.concat(chunks));
	const r = spawnSync(JOURNAL_REMOTE, ['--compress=no', `--output=${journalFile}`, exportFile], {
		encoding: 'utf8',
		timeout: 120_000
	});
	if (r.status !== 0) throw new Error(`systemd-journal-remote failed: ${r.stderr || r.error}`);
}
