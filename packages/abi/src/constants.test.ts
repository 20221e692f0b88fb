import { describe, expect, it } from 'vitest';
import * as c from './constants.js';
import * as f from './eflags.js';

describe('§0 key constants', () => {
  it('match the spec table', () => {
    expect(c.LGUEST_TRAP_ENTRY).toBe(0x1f);
    expect(c.GUEST_PL).toBe(1);
    expect(c.LGUEST_IRQS).toBe(32);
    expect(c.FIRST_EXTERNAL_VECTOR).toBe(0x20);
    expect(c.SYSCALL_VECTOR).toBe(0x80);
    expect(c.LHCALL_RING_SIZE).toBe(64);
    expect(c.LGUEST_VRING_ALIGN).toBe(4096);
    expect(c.LGUEST_SHUTDOWN_POWEROFF).toBe(1);
    expect(c.LGUEST_SHUTDOWN_RESTART).toBe(2);
    expect(f.X86_EFLAGS_IF).toBe(0x200);
    expect(f.X86_EFLAGS_FIXED).toBe(0x002);
    expect(c.X86_SUBARCH_LGUEST).toBe(1);
    expect(c.DEVICE_PAGES).toBe(256);
    expect(c.VIRTQUEUE_NUM).toBe(256);
    expect(c.LG_CLOCK_MIN_DELTA).toBe(100);
    expect(c.GUEST_THREAD_SIZE).toBe(8192);
  });

  it('derive the stack pages and message sizes the spec states', () => {
    expect(c.LGUEST_STACK_PAGES).toBe(2);
    expect(c.LGUEST_STACK_PAGES).toBe(c.GUEST_THREAD_SIZE / 4096);
    expect(c.LGUEST_SHUTDOWN_MESSAGE_SIZE).toBe(128);
    expect(c.LG_CLOCK_MAX_DELTA).toBe(2 ** 32 - 1);
  });

  it('exports nothing the table does not pin', () => {
    expect(Object.keys(c).sort()).toEqual(
      [
        'DEVICE_PAGES',
        'FIRST_EXTERNAL_VECTOR',
        'GUEST_PL',
        'GUEST_THREAD_SIZE',
        'LGUEST_IRQS',
        'LGUEST_SHUTDOWN_MESSAGE_SIZE',
        'LGUEST_SHUTDOWN_POWEROFF',
        'LGUEST_SHUTDOWN_RESTART',
        'LGUEST_STACK_PAGES',
        'LGUEST_TRAP_ENTRY',
        'LGUEST_VRING_ALIGN',
        'LG_CLOCK_MAX_DELTA',
        'LG_CLOCK_MIN_DELTA',
        'LHCALL_RING_SIZE',
        'SYSCALL_VECTOR',
        'VIRTQUEUE_NUM',
        'X86_SUBARCH_LGUEST',
      ].sort(),
    );
  });
});

describe('EFLAGS bits', () => {
  it('are the architectural bits the spec names', () => {
    expect(f.X86_EFLAGS_CF).toBe(1 << 0);
    expect(f.X86_EFLAGS_ZF).toBe(1 << 6);
    expect(f.X86_EFLAGS_TF).toBe(0x100);
    expect(f.X86_EFLAGS_DF).toBe(1 << 10);
    expect(f.X86_EFLAGS_IOPL).toBe(3 << 12);
    expect(f.X86_EFLAGS_NT).toBe(0x4000);
    expect(f.X86_EFLAGS_RF).toBe(0x10000);
    expect(f.X86_EFLAGS_VM).toBe(0x20000);
    expect(f.X86_EFLAGS_AC).toBe(1 << 18);
    expect(f.X86_EFLAGS_ID).toBe(1 << 21);
  });

  it('clears TF, NT, RF and VM on delivery (§6.3 step 4)', () => {
    expect(f.LGUEST_DELIVERY_CLEARED_EFLAGS).toBe(0x100 | 0x4000 | 0x10000 | 0x20000);
  });

  it('starts the guest with eflags 0x202 (§5.5)', () => {
    expect(f.LGUEST_INITIAL_EFLAGS).toBe(0x202);
  });
});
