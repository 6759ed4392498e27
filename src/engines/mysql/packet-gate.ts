/**
 * A gate in front of mysql2's packet parser on one connection. mysql2 buffers each
 * packet whole before the command sees it, and joins a value past 16 MiB (sent as a
 * run of 16 MiB packets) into one buffer: a row is bounded only by the server's
 * max_allowed_packet (up to 1 GiB), and a throw while it is decoded would leave the
 * socket's 'data' handler and end the process.
 *
 * The gate reads only each packet's 4-byte header (3-byte length, sequence id) as the
 * bytes stream by. A packet, or a run of continuation packets, longer than the current
 * call allows never reaches the parser: the gate stops forwarding, tells the call
 * (which answers with the rows before it, has the statement killed and the connection
 * cut) and drops every later byte. A throw from the parser or the handlers it calls is
 * caught here, fails that call only, and the connection is cut.
 *
 * The hook: mysql2 (3.x) feeds every chunk of the socket, plain or TLS, to
 * `connection.packetParser.execute(chunk)`, looking the parser up on each chunk. The gate
 * takes that property's place and hands what passes to the parser it replaced. A mysql2
 * without that property gets no gate, and `install` says so (test/engines/mysql-packet-gate
 * checks the hook on the installed mysql2).
 */

/** What a call on this connection says about the packets it accepts. */
export interface PacketGateCall {
  /** Largest packet (or run of continuation packets), in payload bytes, to let through now. */
  packetAllowance(): number;
  /** A packet was longer than allowed; nothing of it reached the parser. */
  tooLarge(length: number): void;
  /** Something threw while a packet was handled: fail the call. */
  fault(error: unknown): void;
}

/**
 * A packet when no governed read is running (introspection, session set-up, KILL): far
 * more than any of them needs, far under the longest string V8 can make.
 */
export const MAX_UNGATED_PACKET = 64 * 1024 * 1024;

/** A packet up to this size always passes (and is dropped by the read when over its cap). */
export const SMALL_PACKET = 64 * 1024;

/** A payload of exactly this length says the value goes on in the next packet. */
const CONTINUED = 0xffffff;
const HEADER = 4;

interface PacketParser {
  execute(chunk: Buffer): unknown;
}

/** The part of a mysql2 core connection the gate needs. */
export interface GatedConnection {
  packetParser?: unknown;
  /** With the compressed protocol the parser sees compressed frames, whose headers differ. */
  config?: { compress?: unknown };
  stream?: { destroy(): void } | undefined;
}

export class PacketGate {
  private call: PacketGateCall | undefined;
  /** Bytes of the current packet still to pass (after its header). */
  private remaining = 0;
  /** Payload bytes of the continuation packets before the current one, in one run. */
  private run = 0;
  /** A header split across chunks. */
  private header = Buffer.alloc(0);
  /** Once closed, every later byte is dropped: the connection is being cut. */
  private closed = false;

  private constructor(
    private readonly connection: GatedConnection,
    private readonly parser: PacketParser,
    private readonly onUngatedFault: (error: unknown) => void,
  ) {}

  /** Puts a gate in front of `connection`'s packet parser; undefined when mysql2 is not as expected. */
  static install(connection: GatedConnection, onUngatedFault: (error: unknown) => void): PacketGate | undefined {
    const parser = connection.packetParser as Partial<PacketParser> | undefined;
    if (parser === undefined || parser === null || typeof parser.execute !== 'function') return undefined;
    if (parser instanceof GateParser || connection.config?.compress === true) return undefined;
    const gate = new PacketGate(connection, parser as PacketParser, onUngatedFault);
    connection.packetParser = new GateParser(gate);
    return gate;
  }

  /** The call that now owns the connection; undefined between calls. */
  arm(call: PacketGateCall | undefined): void {
    this.call = call;
  }

  get cut(): boolean {
    return this.closed;
  }

  receive(chunk: Buffer): void {
    if (this.closed) return;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.remaining > 0) {
        const step = Math.min(this.remaining, chunk.length - offset);
        this.remaining -= step;
        offset += step;
        continue;
      }
      const take = Math.min(HEADER - this.header.length, chunk.length - offset);
      this.header = Buffer.concat([this.header, chunk.subarray(offset, offset + take)]);
      offset += take;
      if (this.header.length < HEADER) break;
      const length = this.header.readUIntLE(0, 3);
      this.header = Buffer.alloc(0);
      const total = this.run + length;
      if (total > this.allowance()) {
        // Hand over what came before this packet's header, then nothing more.
        this.forward(chunk.subarray(0, offset - take));
        this.stop(total);
        return;
      }
      this.run = length === CONTINUED ? total : 0;
      this.remaining = length;
    }
    this.forward(chunk);
  }

  private allowance(): number {
    const call = this.call;
    if (call === undefined) return MAX_UNGATED_PACKET;
    try {
      return Math.min(call.packetAllowance(), MAX_UNGATED_PACKET);
    } catch {
      return 0;
    }
  }

  private forward(bytes: Buffer): void {
    if (bytes.length === 0 || this.closed) return;
    try {
      this.parser.execute(bytes);
    } catch (error) {
      this.closed = true;
      const call = this.call;
      this.call = undefined;
      try {
        if (call !== undefined) call.fault(error);
        else this.onUngatedFault(error);
      } finally {
        this.connection.stream?.destroy();
      }
    }
  }

  private stop(length: number): void {
    this.closed = true;
    const call = this.call;
    this.call = undefined;
    if (call === undefined) {
      this.onUngatedFault(new Error(`a packet of ${length} bytes exceeds the limit`));
      this.connection.stream?.destroy();
      return;
    }
    try {
      call.tooLarge(length);
    } catch (error) {
      call.fault(error);
      this.connection.stream?.destroy();
    }
  }
}

/** What mysql2 finds at `connection.packetParser` once gated. */
class GateParser implements PacketParser {
  constructor(private readonly gate: PacketGate) {}

  execute(chunk: Buffer): void {
    this.gate.receive(chunk);
  }
}
