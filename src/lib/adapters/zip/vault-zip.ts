/**
 * Zip files for the vault export, through `@zip.js/zip.js` (the only module that imports
 * it). Reading treats the file as hostile: exact entry names only; no folders, links,
 * duplicates or encrypted entries; inflated bytes counted while they stream, with the
 * transfer aborted as soon as a limit (entry count, entry size, total size, compression
 * ratio) is passed; declared sizes must match what was actually inflated.
 */
import { BlobReader, BlobWriter, Uint8ArrayReader, ZipReader, ZipWriter } from '@zip.js/zip.js';
import { ImportRefusedError } from '../../core/vault/errors.ts';
import type { VaultArchive } from '../../ports/vault.ts';

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
/** Room for zip structure around the largest allowed content. */
const ZIP_OVERHEAD = 64 * 1024;

// zip.js would otherwise start workers from blob: URLs, which the app's CSP forbids.
const OPTIONS = { useWebWorkers: false } as const;

/** A hostile name, made safe to show: printable ASCII only, quoted, shortened. */
export function showName(name: string): string {
	const clean = name.replace(/[^\x20-\x7e]/g, '?');
	return JSON.stringify(clean.length > 60 ? clean.slice(0, 57) + '…' : clean);
}

function refuse(message: string): never {
	throw new ImportRefusedError(message);
}

function isUtf8(bytes: Uint8Array | undefined): boolean {
	if (!bytes) return true;
	try {
		new TextDecoder('utf-8', { fatal: true }).decode(bytes);
		return true;
	} catch {
		return false;
	}
}

export function zipArchive(): VaultArchive {
	return {
		async write(entries) {
			// Stored, not deflated: the content is ciphertext and does not compress.
			const writer = new ZipWriter(new BlobWriter('application/zip'), { ...OPTIONS, level: 0 });
			for (const entry of entries) await writer.add(entry.name, new Uint8ArrayReader(entry.bytes));
			return writer.close();
		},

		async read(file, limits) {
			if (file.size > limits.maxTotalBytes + ZIP_OVERHEAD)
				refuse(`The file is too large to be a nassella export (${Math.ceil(file.size / 1024)} KB).`);
			const out = new Map<string, Uint8Array>();
			let entries = 0;
			let total = 0;
			const reader = new ZipReader(new BlobReader(file), { ...OPTIONS, checkSignature: true });
			try {
				for await (const entry of reader.getEntriesGenerator({ filenameValidation: 'tolerant' })) {
					if (++entries > limits.maxEntries) refuse(`The file holds more than ${limits.maxEntries} entries.`);
					const name = entry.filename;
					const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
					if (!isUtf8(entry.rawFilename) && !entry.filenameUTF8)
						refuse('The file contains an entry whose name is not valid text.');
					if (name.split(/[\\/]/).includes('..') || /^([\\/]|[A-Za-z]:)/.test(name))
						refuse(`The file contains an entry that points outside its folder (${showName(name)}).`);
					if (entry.directory || mode === S_IFDIR || name.endsWith('/'))
						refuse(`The file contains a folder (${showName(name)}).`);
					if (entry.symlink || mode === S_IFLNK) refuse(`The file contains a link (${showName(name)}).`);
					if (!limits.names.includes(name))
						refuse(
							`The file contains an unexpected entry ${showName(name)}; a nassella export holds only ${limits.names.join(' and ')}.`
						);
					if (out.has(name)) refuse(`The file contains ${showName(name)} twice.`);
					if (entry.encrypted) refuse('The file contains a password-protected zip entry.');
					if (entry.compressedSize > file.size) refuse('The file’s sizes do not add up.');

					let size = 0;
					let stop: ImportRefusedError | undefined;
					const chunks: Uint8Array[] = [];
					const limit = (message: string) => {
						stop = new ImportRefusedError(message);
						throw stop;
					};
					const sink = new WritableStream<Uint8Array>({
						write(chunk) {
							size += chunk.length;
							total += chunk.length;
							if (size > limits.maxEntryBytes)
								limit(
									`An entry of the file unpacks to more than ${limits.maxEntryBytes / 1024 / 1024} MiB, so it was refused.`
								);
							if (total > limits.maxTotalBytes)
								limit(`The file unpacks to more than ${limits.maxTotalBytes / 1024 / 1024} MiB, so it was refused.`);
							if (size > limits.maxRatio * Math.max(entry.compressedSize, 1))
								limit(`The file is compressed more than ${limits.maxRatio} to 1 (a "zip bomb"), so it was refused.`);
							chunks.push(chunk.slice());
						}
					});
					try {
						await entry.getData!(sink, { checkSignature: true });
					} catch (error) {
						throw stop ?? error;
					}
					if (stop) throw stop;
					if (size !== entry.uncompressedSize) refuse('The file’s declared sizes do not match its contents.');
					const bytes = new Uint8Array(size);
					let at = 0;
					for (const chunk of chunks) {
						bytes.set(chunk, at);
						at += chunk.length;
					}
					out.set(name, bytes);
				}
			} catch (error) {
				if (error instanceof ImportRefusedError) throw error;
				const text = error instanceof Error ? error.message : '';
				if (/size/i.test(text)) refuse('The file’s declared sizes do not match its contents, so it was refused.');
				if (/signature|crc|checksum/i.test(text)) refuse('The file is damaged (a checksum does not match).');
				refuse('The file is not a readable zip archive.');
			} finally {
				await reader.close().catch(() => {});
			}
			for (const name of limits.names) if (!out.has(name)) refuse(`The file is missing ${showName(name)}.`);
			return out;
		}
	};
}
