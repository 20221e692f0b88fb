/** Console input: the triple Ctrl-C rule on an injected clock, and the end of input (spec §10.4). */
import { describe, expect, it } from 'vitest';
import { ConsoleInput } from './console-input.js';

function harness(times: number[]) {
  const got: string[] = [];
  let ends = 0;
  let stops = 0;
  let t = 0;
  const input = new ConsoleInput({ onTripleCtrlC: () => stops++, now: () => times[t++] ?? 0 });
  input.attach({ input: (b) => got.push(Buffer.from(b).toString('latin1')), endInput: () => ends++ });
  return { input, got, counts: () => ({ ends, stops }) };
}
const CTRL_C = Uint8Array.of(3);

describe('ConsoleInput (the triple Ctrl-C rule on an injectable clock)', () => {
  it('three lone Ctrl-C within about a second stop; the first two still reach the guest', () => {
    const h = harness([10_000, 10_400, 10_900]);
    for (let i = 0; i < 3; i++) h.input.feed(CTRL_C);
    expect(h.counts().stops).toBe(1);
    expect(h.got).toEqual(['\x03', '\x03']);
  });

  it('three spread over more than the next second do not stop', () => {
    const h = harness([10_000, 11_000, 12_100]);
    for (let i = 0; i < 3; i++) h.input.feed(CTRL_C);
    expect(h.counts().stops).toBe(0);
    expect(h.got).toHaveLength(3);
  });

  it('other input in between resets the count, and a Ctrl-C inside a longer chunk is just input', () => {
    const h = harness([0, 1, 2, 3, 4]);
    h.input.feed(CTRL_C);
    h.input.feed(CTRL_C);
    h.input.feed(Uint8Array.of(0x61, 3));
    h.input.feed(CTRL_C);
    h.input.feed(CTRL_C);
    expect(h.counts().stops).toBe(0);
    expect(h.got).toEqual(['\x03', '\x03', 'a\x03', '\x03', '\x03']);
  });

  it('EOF ends the console input once, also for a console attached later (after a restart)', () => {
    const h = harness([]);
    h.input.end();
    h.input.end();
    expect(h.counts().ends).toBe(1);
    let later = 0;
    h.input.attach({ input: () => {}, endInput: () => later++ });
    expect(later).toBe(1);
    expect(h.input.ended).toBe(true);
  });
});
