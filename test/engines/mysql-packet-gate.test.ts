/**
 * The packet gate in front of mysql2's parser, fed byte streams directly: a packet (or a
 * run of 16 MiB continuation packets) longer than the call allows never reaches the
 * parser, however the stream is cut into chunks; a throw from the parser fails the call
 * and never leaves the socket's 'data' handler. The last test pins the hook on the
 * installed mysql2: a version that no longer feeds chunks through
 * `connection.packetParser.execute` fails here, loudly.
 */
import mysql from 'mysql2';
import { describe, expect, it } from 'vitest';
import { MAX_UNGATED_PACKET, PacketGate, type GatedConnection, type PacketGateCall } from '../../src/engines/mysql/packet-gate.js';
import { mariadb, MYSQL_ADMIN_URL } from '../helpers/mariadb.js';

const CONTINUED = 0xffffff;

function packet(sequence: number, body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUIntLE(body.length, 0, 3);
  header[3] = sequence;
  return Buffer.concat([header, body]);
}

/** Only the header of a packet announcing `length` bytes: the body never needs to exist. */
function header(length: number, sequence = 1): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUIntLE(length, 0, 3);
  bytes[3] = sequence;
  return bytes;
}

interface Setup {
  connection: GatedConnection & { destroyed: boolean };
  parsed: Buffer[];
  events: string[];
  gate: PacketGate;
  ungated: unknown[];
}

function setup(allowance = 1000, parse: (chunk: Buffer) => void = () => undefined): Setup {
  const parsed: Buffer[] = [];
  const connection = {
    destroyed: false,
    packetParser: {
      execute(chunk: Buffer) {
        parsed.push(Buffer.from(chunk));
        parse(chunk);
      },
    },
    stream: {
      destroy() {
        connection.destroyed = true;
      },
    },
  };
  const ungated: unknown[] = [];
  const gate = PacketGate.install(connection, (error) => ungated.push(error));
  if (gate === undefined) throw new Error('gate not installed');
  const events: string[] = [];
  const call: PacketGateCall = {
    packetAllowance: () => allowance,
    tooLarge: (length) => events.push(`tooLarge ${length}`),
    fault: (error) => events.push(`fault ${(error as Error).message}`),
  };
  gate.arm(call);
  return { connection, parsed, events, gate, ungated };
}

/** What mysql2 does with each socket chunk: look the parser up, call execute. */
function feed(connection: GatedConnection, chunk: Buffer): void {
  (connection.packetParser as { execute(chunk: Buffer): void }).execute(chunk);
}

describe('mysql packet gate', () => {
  const small = packet(1, Buffer.alloc(100, 1));
  const eof = packet(2, Buffer.from([0xfe, 0, 0, 2, 0]));

  it('passes packets within the allowance through unchanged, in any chunking', () => {
    const { connection, parsed, events } = setup();
    const all = Buffer.concat([small, eof, small]);
    for (let i = 0; i < all.length; i += 3) feed(connection, all.subarray(i, i + 3));
    expect(Buffer.concat(parsed)).toEqual(all);
    expect(events).toEqual([]);
  });

  it('a packet longer than the allowance: the bytes before it pass, none of it does, and nothing after it', () => {
    const { connection, parsed, events, gate } = setup();
    feed(connection, Buffer.concat([small, header(15 * 1024 * 1024), Buffer.alloc(64, 7)]));
    feed(connection, Buffer.concat([Buffer.alloc(64, 7), eof]));
    expect(Buffer.concat(parsed)).toEqual(small);
    expect(events).toEqual([`tooLarge ${15 * 1024 * 1024}`]);
    expect(gate.cut).toBe(true);
  });

  it('a header split across chunks is still judged by its length', () => {
    const { connection, parsed, events } = setup();
    const big = header(5_000_000);
    feed(connection, Buffer.concat([small, big.subarray(0, 2)]));
    feed(connection, big.subarray(2));
    feed(connection, Buffer.alloc(1000, 7));
    // At most the header bytes that came before the length was known reach the parser.
    expect(Buffer.concat(parsed)).toEqual(Buffer.concat([small, big.subarray(0, 2)]));
    expect(events).toEqual(['tooLarge 5000000']);
  });

  it('a value sent as a run of 16 MiB packets is judged by the whole run, before its last packet is read', () => {
    // The allowance lets one 16 MiB packet pass but not two: the run stops at the second header.
    const { connection, parsed, events } = setup(CONTINUED + 10);
    const first = Buffer.concat([header(CONTINUED, 1), Buffer.alloc(CONTINUED, 0x61)]);
    feed(connection, first);
    feed(connection, header(CONTINUED, 2));
    feed(connection, Buffer.alloc(100, 0x61));
    expect(Buffer.concat(parsed).length).toBe(first.length);
    expect(events).toEqual([`tooLarge ${2 * CONTINUED}`]);
  });

  it('a run that ends in a short packet resets the count for the next packet', () => {
    const { connection, events } = setup(CONTINUED + 10);
    feed(connection, Buffer.concat([header(CONTINUED, 1), Buffer.alloc(CONTINUED), header(5, 2), Buffer.alloc(5)]));
    feed(connection, Buffer.concat([header(CONTINUED, 3), Buffer.alloc(CONTINUED)]));
    expect(events).toEqual([]);
  });

  it('a throw from the parser fails the call and cuts the connection; it does not leave the data handler', () => {
    const { connection, events } = setup(1000, () => {
      throw new RangeError('Cannot create a string longer than 0x1fffffe8 characters');
    });
    expect(() => feed(connection, small)).not.toThrow();
    expect(events).toEqual(['fault Cannot create a string longer than 0x1fffffe8 characters']);
    expect(connection.destroyed).toBe(true);
    expect(() => feed(connection, small)).not.toThrow();
    expect(events).toHaveLength(1);
  });

  it('between calls: a run of packets past the fixed bound is reported and the connection cut, never parsed whole', () => {
    const idle = setup();
    idle.gate.arm(undefined);
    const body = Buffer.alloc(CONTINUED);
    let sent = 0;
    for (let sequence = 0; sent + CONTINUED <= MAX_UNGATED_PACKET; sequence++, sent += CONTINUED) feed(idle.connection, Buffer.concat([header(CONTINUED, sequence), body]));
    idle.parsed.length = 0;
    feed(idle.connection, header(CONTINUED, 9));
    expect(idle.parsed).toEqual([]);
    expect(idle.ungated).toHaveLength(1);
    expect(idle.connection.destroyed).toBe(true);
  });

  it('is not put on a connection using the compressed protocol (its frames have other headers)', () => {
    expect(PacketGate.install({ packetParser: { execute: () => undefined }, config: { compress: true } }, () => undefined)).toBeUndefined();
    expect(PacketGate.install({}, () => undefined)).toBeUndefined();
  });

  it.skipIf(!mariadb.ok)('the hook holds on the installed mysql2: every chunk of a real connection goes through the gate', async () => {
    const connection = mysql.createConnection({ uri: MYSQL_ADMIN_URL });
    try {
      await new Promise<void>((resolve, reject) => connection.connect((error) => (error ? reject(error) : resolve())));
      const gate = PacketGate.install(connection, () => undefined);
      expect(gate, 'mysql2 no longer exposes connection.packetParser.execute: the packet gate cannot be installed').toBeDefined();
      let allowance = 1_000_000;
      const seen: number[] = [];
      gate?.arm({ packetAllowance: () => allowance, tooLarge: (length) => seen.push(length), fault: () => undefined });
      const rows = await new Promise<unknown>((resolve, reject) => connection.query('SELECT 41 + 1 AS v', (error, result) => (error ? reject(error) : resolve(result))));
      expect(rows).toEqual([{ v: 42 }]);
      // A row past the allowance is refused by the gate: proof the bytes pass through it.
      allowance = 1000;
      connection.query("SELECT REPEAT('x', 5000) AS v", () => undefined);
      await expect.poll(() => seen, { timeout: 5000 }).toEqual([expect.any(Number)]);
      expect(gate?.cut).toBe(true);
    } finally {
      connection.destroy();
    }
  });
});
