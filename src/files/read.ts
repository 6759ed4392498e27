import { BastionError } from '../errors/codes.js';
import type { FilesConfig } from '../config/schema.js';
import type { FileRoots } from './path-policy.js';

export interface ReadArgs {
  path: string;
  offset?: number | undefined;
  length?: number | undefined;
}

/** A NUL byte in the first 8 KiB marks a file as binary, as git and grep decide. */
export const BINARY_SNIFF_BYTES = 8 * 1024;

/** How many bytes of `chunk` end on a whole UTF-8 character, so paging never splits one. */
export function wholeUtf8Length(chunk: Uint8Array): number {
  let lead = chunk.length - 1;
  while (lead >= 0 && chunk.length - lead <= 3 && ((chunk[lead] ?? 0) & 0xc0) === 0x80) lead--;
  if (lead < 0) return chunk.length;
  const byte = chunk[lead] ?? 0;
  const needed = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
  return chunk.length - lead >= needed ? chunk.length : lead;
}

/**
 * Up to max_read_bytes of a text file from `offset`, read only from the verified
 * handle; `next_offset` continues where this piece ended.
 */
export async function readFile(roots: FileRoots, files: FilesConfig, args: ReadArgs): Promise<Record<string, unknown>> {
  const file = await roots.openFile(await roots.resolve(args.path));
  try {
    const size = Number(file.stats.size);
    const head = Buffer.alloc(Math.min(BINARY_SNIFF_BYTES, size));
    const sniffed = await file.handle.read(head, 0, head.length, 0);
    if (head.subarray(0, sniffed.bytesRead).includes(0)) throw new BastionError('FILE_NOT_TEXT');
    const offset = args.offset ?? 0;
    const wanted = Math.max(0, Math.min(args.length ?? files.max_read_bytes, files.max_read_bytes, size - offset));
    const buffer = Buffer.alloc(wanted);
    const { bytesRead } = await file.handle.read(buffer, 0, wanted, offset);
    let chunk = buffer.subarray(0, bytesRead);
    if (offset + bytesRead < size) {
      const whole = wholeUtf8Length(chunk);
      // A piece too short to hold one whole character is returned as it is, so paging always moves on.
      if (whole > 0) chunk = chunk.subarray(0, whole);
    }
    const end = offset + chunk.length;
    const truncated = end < size;
    return { path: file.rel, size, offset, length: chunk.length, text: chunk.toString('utf8'), truncated, ...(truncated ? { next_offset: end } : {}) };
  } finally {
    await file.handle.close();
  }
}
