/**
 * The wire gate in front of pg's parser, fed byte streams directly: a message longer
 * than the call allows never reaches the parser, whatever way the stream is cut into
 * chunks; a throw from the parser fails the call (or is reported) and never leaves the
 * socket's 'data' handler, where it would end the process.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { MAX_OTHER_MESSAGE, WireGate, type GateCall } from '../../src/engines/postgres-family/wire/gate.js';

class FakeStream extends EventEmitter {
  destroyed = false;
  destroy(): void {
    this.destroyed = true;
  }
}

function message(type: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(type, 0, 'latin1');
  header.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/** Only the header of a DataRow announcing `length` bytes: the rest never needs to exist. */
function hugeRowHeader(length: number): Buffer {
  const header = Buffer.alloc(5);
  header.write('D', 0, 'latin1');
  header.writeUInt32BE(length, 1);
  return header;
}

function setup(allowance = 1000): { stream: FakeStream; parsed: Buffer[]; events: string[]; gate: WireGate; call: GateCall; ungated: unknown[] } {
  const stream = new FakeStream();
  const parsed: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => parsed.push(chunk));
  const ungated: unknown[] = [];
  const gate = WireGate.install(stream, (error) => ungated.push(error));
  if (gate === undefined) throw new Error('gate not installed');
  const events: string[] = [];
  const call: GateCall = {
    dataRowAllowance: () => allowance,
    tooLarge: (kind, length) => events.push(`tooLarge ${kind} ${length}`),
    fault: (error) => events.push(`fault ${(error as Error).message}`),
  };
  gate.arm(call);
  return { stream, parsed, events, gate, call, ungated };
}

describe('wire gate', () => {
  const small = message('D', Buffer.alloc(100, 1));
  const complete = message('C', Buffer.from('SELECT 1\0'));

  it('passes messages within the allowance through unchanged, in any chunking', () => {
    const { stream, parsed, events } = setup();
    const all = Buffer.concat([small, complete, small]);
    for (let i = 0; i < all.length; i += 3) stream.emit('data', all.subarray(i, i + 3));
    expect(Buffer.concat(parsed)).toEqual(all);
    expect(events).toEqual([]);
  });

  it('a DataRow longer than the allowance: the bytes before it pass, none of it does, and nothing after it', () => {
    const { stream, parsed, events, gate } = setup();
    stream.emit('data', Buffer.concat([small, hugeRowHeader(600_000_000), Buffer.alloc(64, 7)]));
    stream.emit('data', Buffer.concat([Buffer.alloc(64, 7), complete]));
    expect(Buffer.concat(parsed)).toEqual(small);
    expect(events).toEqual(['tooLarge row 600000000']);
    expect(gate.cut).toBe(true);
  });

  it('a header split across chunks is still judged by its length', () => {
    const { stream, parsed, events } = setup();
    const header = hugeRowHeader(600_000_000);
    stream.emit('data', Buffer.concat([small, header.subarray(0, 2)]));
    stream.emit('data', header.subarray(2));
    stream.emit('data', Buffer.alloc(1000, 7));
    // At most the two header bytes that came before the length was known reach the parser.
    expect(Buffer.concat(parsed)).toEqual(Buffer.concat([small, header.subarray(0, 2)]));
    expect(events).toEqual(['tooLarge row 600000000']);
  });

  it('any other message over the fixed bound is refused too (an error message quoting a huge value)', () => {
    const { stream, parsed, events } = setup(10 * MAX_OTHER_MESSAGE);
    const header = Buffer.alloc(5);
    header.write('E', 0, 'latin1');
    header.writeUInt32BE(MAX_OTHER_MESSAGE + 1, 1);
    stream.emit('data', header);
    expect(parsed).toEqual([]);
    expect(events).toEqual([`tooLarge message ${MAX_OTHER_MESSAGE + 1}`]);
  });

  it('a throw from the parser fails the call and cuts the connection; it does not leave the data handler', () => {
    const stream = new FakeStream();
    stream.on('data', () => {
      throw new RangeError('Cannot create a string longer than 0x1fffffe8 characters');
    });
    const gate = WireGate.install(stream, () => undefined)!;
    const events: string[] = [];
    gate.arm({ dataRowAllowance: () => 1000, tooLarge: () => events.push('tooLarge'), fault: (e) => events.push(`fault ${(e as Error).message}`) });
    expect(() => stream.emit('data', small)).not.toThrow();
    expect(events).toEqual(['fault Cannot create a string longer than 0x1fffffe8 characters']);
    expect(stream.destroyed).toBe(true);
    // Later bytes on the cut connection are dropped.
    expect(() => stream.emit('data', small)).not.toThrow();
    expect(events).toHaveLength(1);
  });

  it('between calls: a throw or an oversized row is reported and the connection cut, never thrown', () => {
    const stream = new FakeStream();
    stream.on('data', () => {
      throw new Error('boom');
    });
    const reported: unknown[] = [];
    WireGate.install(stream, (error) => reported.push(error));
    expect(() => stream.emit('data', small)).not.toThrow();
    expect(reported).toHaveLength(1);
    expect(stream.destroyed).toBe(true);

    const idle = setup();
    idle.gate.arm(undefined);
    idle.stream.emit('data', hugeRowHeader(600_000_000));
    expect(idle.parsed).toEqual([]);
    expect(idle.ungated).toHaveLength(1);
    expect(idle.stream.destroyed).toBe(true);
  });
});
