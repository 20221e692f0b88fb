/** `-vv`: one readable line per Host trace event. */
import { describe, expect, it } from 'vitest';
import { formatTraceEvent } from './trace-format.js';

describe('formatTraceEvent (-vv)', () => {
  it('writes one readable line per Host event', () => {
    expect(formatTraceEvent({ kind: 'hypercall', call: 17, args: [0x1000, 2, 0, 0], async: false })).toBe(
      'hypercall 17(0x1000, 0x2, 0x0, 0x0)',
    );
    expect(formatTraceEvent({ kind: 'hypercall', call: 9, args: [0, 0, 0, 0], async: true })).toBe(
      'hypercall 9(0x0, 0x0, 0x0, 0x0) from the async ring',
    );
    expect(
      formatTraceEvent({ kind: 'trap', vector: 14, errorCode: 2, eip: 0xc0100000, cr2: 0xdead0000 }),
    ).toBe('trap 14 at eip 0xc0100000, error code 0x2, cr2 0xdead0000');
    expect(formatTraceEvent({ kind: 'interrupt', irq: 0, vector: 0x20, eip: 0x100 })).toBe(
      'interrupt: irq 0 through vector 0x20 at eip 0x100',
    );
    expect(formatTraceEvent({ kind: 'kill', reason: 'CRASH: x' })).toBe('kill: CRASH: x');
  });
});
