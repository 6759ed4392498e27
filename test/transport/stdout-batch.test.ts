/**
 * stdout for the stdio transport: messages sent together leave in one write, in order, nothing
 * held past the turn, and backpressure and errors pass through.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { BatchedOutput } from '../../src/transport/stdout-batch.js';

class FakeOut extends EventEmitter {
  writes: string[] = [];
  writableNeedDrain = false;
  write(chunk: string): boolean {
    this.writes.push(chunk);
    return true;
  }
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('BatchedOutput', () => {
  it('writes the messages sent together in one write, in order, and later ones in another', async () => {
    const out = new FakeOut();
    const batched = new BatchedOutput(out);
    // Answers released together, as a group of audit records resolves several calls at once:
    // their continuations are queued before the first of them writes.
    const released = Promise.resolve();
    const written: boolean[] = [];
    for (const id of [1, 2, 3]) void released.then(() => written.push(batched.write(`{"id":${id}}\n`)));
    expect(out.writes).toEqual([]);
    await nextTurn();
    expect(out.writes).toEqual(['{"id":1}\n{"id":2}\n{"id":3}\n']);
    expect(written).toEqual([true, true, true]);
    batched.write('{"id":4}\n');
    // Never held past the turn.
    await nextTurn();
    expect(out.writes).toEqual(['{"id":1}\n{"id":2}\n{"id":3}\n', '{"id":4}\n']);
  });

  it('flush writes what is pending at once (the exit path) and nothing twice', async () => {
    const out = new FakeOut();
    const batched = new BatchedOutput(out);
    batched.write('a\n');
    batched.flush();
    expect(out.writes).toEqual(['a\n']);
    await nextTurn();
    expect(out.writes).toEqual(['a\n']);
  });

  it('passes backpressure, drain and errors of the real stream through', async () => {
    const out = new FakeOut();
    const batched = new BatchedOutput(out);
    out.writableNeedDrain = true;
    expect(batched.write('x\n')).toBe(false);
    const drained = new Promise((resolve) => batched.once('drain', resolve));
    out.emit('drain');
    await drained;
    const failed = new Promise<unknown>((resolve) => batched.once('error', resolve));
    out.emit('error', new Error('EPIPE'));
    expect(((await failed) as Error).message).toBe('EPIPE');
    await nextTurn();
    expect(out.writes).toEqual(['x\n']);
  });
});
