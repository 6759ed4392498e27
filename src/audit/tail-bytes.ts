import type { FileHandle } from 'node:fs/promises';

const CHUNK = 64 * 1024;

/**
 * The end of a file, read backwards in chunks until it holds at least `newlines`
 * line feeds or reaches the start. `offset` is where `bytes` begins in the file.
 */
export async function readTailBytes(handle: FileHandle, size: number, newlines: number): Promise<{ bytes: Buffer; offset: number }> {
  let offset = size;
  let bytes = Buffer.alloc(0);
  let found = 0;
  while (offset > 0 && found < newlines) {
    const length = Math.min(CHUNK, offset);
    offset -= length;
    const chunk = Buffer.alloc(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await handle.read(chunk, read, length - read, offset + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    for (const byte of chunk) if (byte === 0x0a) found++;
    bytes = Buffer.concat([chunk, bytes]);
  }
  return { bytes, offset };
}
