/**
 * A gate in front of pg's protocol parser on one connection. pg buffers a whole
 * backend message before it parses it, and then turns every value into a string:
 * a 600 MB value becomes a 600 MB Buffer and then a string longer than V8 allows,
 * and the exception thrown from the socket's 'data' handler ends the process.
 *
 * The gate reads only the 5-byte header of each message (type and length) as the
 * bytes stream by. A message longer than the current call allows is never handed
 * to the parser: the gate stops forwarding, tells the call (which answers with what
 * it has and has its connection cut and its backend stopped) and drops every byte
 * after it. A throw from anything the parser calls (pg's handlers, the call's own)
 * is caught here, fails that call only, and the connection is cut: it never
 * reaches the event loop.
 */

/** What a call on this connection says about the messages it accepts. */
export interface GateCall {
  /** Largest DataRow message (bytes after the type byte) to let through now. */
  dataRowAllowance(): number;
  /** A message was longer than allowed; nothing of it reached the parser. */
  tooLarge(kind: 'row' | 'message', length: number): void;
  /** Something threw while a message was handled: fail the call. */
  fault(error: unknown): void;
}

/**
 * Any message other than a DataRow: errors, notices, descriptions and command tags are
 * small unless a caller makes them big (an error message quoting a 600 MB value).
 */
export const MAX_OTHER_MESSAGE = 4 * 1024 * 1024;
/**
 * A DataRow when no governed read is running (introspection, writes' RETURNING):
 * well under the longest string V8 can make (2^29 - 24 characters).
 */
export const MAX_UNGATED_ROW = 64 * 1024 * 1024;

/** A DataRow up to this size is always read (and dropped by the collector when over a cap). */
export const SMALL_ROW = 64 * 1024;

const DATA_ROW = 0x44; // 'D'
const HEADER = 5;
const EMPTY = Buffer.alloc(0);

type DataListener = (chunk: Buffer) => void;

export interface GateStream {
  listeners(event: 'data'): unknown[];
  removeListener(event: 'data', listener: DataListener): unknown;
  on(event: 'data', listener: DataListener): unknown;
  destroy(): void;
}

export class WireGate {
  private call: GateCall | undefined;
  /** Bytes of the current message still to pass (after its header). */
  private remaining = 0;
  /** A header split across chunks. */
  private header = EMPTY;
  /** Once closed, every later byte is dropped: the connection is being cut. */
  private closed = false;

  private constructor(
    private readonly stream: GateStream,
    private readonly parse: DataListener,
    private readonly onUngatedFault: (error: unknown) => void,
    private readonly copy: boolean,
  ) {}

  /**
   * Puts a gate in front of the parser listening on `stream` (pg's connection.stream once
   * connected, after any TLS upgrade). Returns undefined when the stream is not as expected.
   * `copy`: the chunks are views of memory their producer reuses (PGlite's output), so the
   * parser, which keeps a partial message's bytes, gets copies of what passes.
   */
  static install(stream: GateStream, onUngatedFault: (error: unknown) => void, options: { copy?: boolean } = {}): WireGate | undefined {
    const listeners = stream.listeners('data');
    const parse = listeners[0];
    if (listeners.length !== 1 || typeof parse !== 'function') return undefined;
    stream.removeListener('data', parse as DataListener);
    const gate = new WireGate(stream, parse as DataListener, onUngatedFault, options.copy === true);
    stream.on('data', (chunk: Buffer) => gate.receive(chunk));
    return gate;
  }

  /** The call that now owns the connection; undefined between calls. */
  arm(call: GateCall | undefined): void {
    this.call = call;
  }

  get cut(): boolean {
    return this.closed;
  }

  private receive(chunk: Buffer): void {
    if (this.closed) return;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining > 0) {
        const step = Math.min(this.remaining, chunk.length - offset);
        this.remaining -= step;
        offset += step;
        continue;
      }
      let type: number;
      let length: number;
      let take: number;
      if (this.header.length === 0 && chunk.length - offset >= HEADER) {
        // The usual case: the whole header is in this chunk, read in place.
        // (PGlite's chunks are plain Uint8Arrays: no Buffer methods on them.)
        type = chunk[offset] ?? 0;
        length = (((chunk[offset + 1] ?? 0) << 24) | ((chunk[offset + 2] ?? 0) << 16) | ((chunk[offset + 3] ?? 0) << 8) | (chunk[offset + 4] ?? 0)) >>> 0;
        take = HEADER;
        offset += HEADER;
      } else {
        const need = HEADER - this.header.length;
        take = Math.min(need, chunk.length - offset);
        this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + take)]);
        offset += take;
        if (this.header.length < HEADER) break;
        type = this.header[0] ?? 0;
        length = this.header.readUInt32BE(1);
        this.header = EMPTY;
      }
      const allowed = type === DATA_ROW ? this.rowAllowance() : MAX_OTHER_MESSAGE;
      if (length > allowed) {
        // Hand over what came before this message, then nothing more.
        this.forward(chunk.subarray(0, offset - take));
        this.stop(type === DATA_ROW ? 'row' : 'message', length);
        return;
      }
      this.remaining = Math.max(0, length - 4);
    }
    this.forward(chunk);
  }

  private rowAllowance(): number {
    const call = this.call;
    if (call === undefined) return MAX_UNGATED_ROW;
    try {
      return Math.min(call.dataRowAllowance(), MAX_UNGATED_ROW);
    } catch {
      return 0;
    }
  }

  private forward(bytes: Buffer): void {
    if (bytes.length === 0 || this.closed) return;
    try {
      this.parse(this.copy ? Buffer.from(bytes) : bytes);
    } catch (error) {
      this.closed = true;
      const call = this.call;
      this.call = undefined;
      try {
        if (call !== undefined) call.fault(error);
        else this.onUngatedFault(error);
      } finally {
        this.stream.destroy();
      }
    }
  }

  private stop(kind: 'row' | 'message', length: number): void {
    this.closed = true;
    const call = this.call;
    this.call = undefined;
    if (call === undefined) {
      this.onUngatedFault(new Error(`a ${kind === 'row' ? 'data row' : 'protocol message'} of ${length} bytes exceeds the limit`));
      this.stream.destroy();
      return;
    }
    try {
      call.tooLarge(kind, length);
    } catch (error) {
      call.fault(error);
      this.stream.destroy();
    }
  }
}
