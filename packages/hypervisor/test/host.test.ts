/**
 * Host behaviour seen from outside: restarts, the trace hook, the injectable clock, the control block
 * (IRQs and stops from another thread, a halted vCPU woken from a worker), direct traps costing no
 * exit, several guests side by side, and the state the Host leaves in `lguest_data`.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import {
  ERESTART,
  LGUEST_DATA_LAYOUT,
  LHCALL_HALT,
  LHCALL_LOAD_IDT_ENTRY,
  LHCALL_NOTIFY,
  LHCALL_SHUTDOWN,
} from '@lguest/abi';
import {
  HOLD_BREAK,
  raiseIrq,
  requestStop,
  setHold,
  type TraceEvent,
  VirtualClock,
} from '@lguest/hypervisor';
import { describe, expect, it } from 'vitest';
import { asmGuest, DATA_GPA, initCode } from './asm.js';
import { bootGuest, consoleString, runGuest } from './boot.js';

function expected(program: string): string {
  return readFileSync(
    new URL(`../../../tools/guests/programs/lguest/${program}.expected`, import.meta.url),
    'utf8',
  );
}

describe('SHUTDOWN', () => {
  it('restart: read() would return ERESTART, with no reason string', () => {
    const run = runGuest(bootGuest('lguest-shutdown-restart'));
    expect(run.result).toEqual({ kind: 'restart', errno: ERESTART });
    expect(run.console).toBe(expected('shutdown-restart'));
  });

  it('restart with the NULL image 0x40000000: the read fails, the restart still happens', () => {
    const guest = bootGuest('lguest-shutdown-restart-null');
    const run = runGuest(guest);
    expect(run.result).toEqual({ kind: 'restart', errno: ERESTART });
    expect(guest.death.reason).toMatch(/0x40000000/);
  });
});

describe('the trace hook', () => {
  it('sees one event per hypercall, trap, interrupt delivery and kill', () => {
    const events: TraceEvent[] = [];
    const guest = bootGuest('lguest-irqs', { trace: (e) => events.push(e) });
    runGuest(guest);
    const kinds = new Set(events.map((e) => e.kind));
    expect(kinds).toEqual(new Set(['hypercall', 'trap', 'interrupt', 'kill']));
    expect(events.filter((e) => e.kind === 'hypercall').length).toBe(guest.vcpu.hypercalls);
    expect(events.filter((e) => e.kind === 'interrupt').length).toBe(guest.vcpu.interruptsDelivered);
    expect(events.filter((e) => e.kind === 'trap').length).toBe(guest.vcpu.exits);
    expect(events.at(-1)).toEqual({ kind: 'kill', reason: 'CRASH: Power down' });
    // The first exit is the demand-paging #PF for the entry point; the first call is LGUEST_INIT.
    expect(events[0]).toMatchObject({ kind: 'trap', vector: 14 });
    expect(events.find((e) => e.kind === 'hypercall')).toMatchObject({
      kind: 'hypercall',
      call: 1,
      async: false,
    });
  });

  it('marks calls from the async ring', () => {
    const events: TraceEvent[] = [];
    runGuest(bootGuest('lguest-async-ring', { trace: (e) => events.push(e) }));
    expect(events.some((e) => e.kind === 'hypercall' && e.async)).toBe(true);
  });
});

describe('the clock', () => {
  it('irqs runs on a virtual clock driven by the instruction count, deterministically', () => {
    const transcripts: string[] = [];
    const counts: number[] = [];
    for (let i = 0; i < 2; i++) {
      let guestRef: { vcpu: { instructions: number } } | undefined;
      const clock = new VirtualClock({ instructions: () => guestRef?.vcpu.instructions ?? 0 });
      const guest = bootGuest('lguest-irqs', { clock });
      guestRef = guest;
      transcripts.push(runGuest(guest).transcript);
      counts.push(guest.vcpu.instructions);
    }
    expect(transcripts[0]).toBe(expected('irqs'));
    expect(transcripts[1]).toBe(transcripts[0]);
    expect(counts[1]).toBe(counts[0]);
  });

  it('INIT writes the wall clock and tsc_khz 0', () => {
    const clock = new VirtualClock({ instructions: () => 0, wallStartNs: 1_700_000_000e9 + 123_456_768 });
    const guest = asmGuest(initCode().spin(), { clock });
    expect(guest.vcpu.run({ budget: 100 })).toEqual({ kind: 'budget' });
    const m = guest.memory;
    expect(m.read32(DATA_GPA + LGUEST_DATA_LAYOUT.timeSec.offset)).toBe(1_700_000_000);
    expect(m.read32(DATA_GPA + LGUEST_DATA_LAYOUT.timeNsec.offset)).toBe(123_456_768);
    expect(m.read32(DATA_GPA + LGUEST_DATA_LAYOUT.tscKhz.offset)).toBe(0);
    expect(m.read32(DATA_GPA + LGUEST_DATA_LAYOUT.reserveMem.offset)).toBe(0x40_0000);
  });
});

/** A guest that halts with interrupts on and IRQ 3's gate pointing at a NOTIFY + power-off. */
function haltingGuest() {
  const handler = 0x10200;
  const code = initCode()
    .hcall(LHCALL_LOAD_IDT_ENTRY, 0x23, 0x0061_0000 | (handler & 0xffff), (handler & 0xffff_0000) | 0x8e00)
    .store(DATA_GPA + LGUEST_DATA_LAYOUT.blockedInterrupts.offset, 0)
    .hcall(LHCALL_HALT)
    .spin();
  while (code.here < handler) code.raw(0x90);
  code.hcall(LHCALL_NOTIFY, 0x3000).hcall(LHCALL_SHUTDOWN, 0x3004, 1);
  const guest = asmGuest(code);
  guest.memory.copyIn(0x3000, new TextEncoder().encode('irq\0off\0'));
  return guest;
}

describe('the control block', () => {
  it('an IRQ raised before run() wakes the halted guest and reaches its gate', () => {
    const guest = haltingGuest();
    // Let it halt: with nothing pending and no deadline the system clock would sleep, so raise first.
    expect(guest.vcpu.raiseIrq(3)).toBe(true);
    expect(guest.vcpu.raiseIrq(32)).toBe(false);
    const result = guest.vcpu.run();
    expect(result.kind).toBe('notify');
    if (result.kind === 'notify') expect(consoleString(guest, result.value)).toBe('irq');
    expect(guest.vcpu.run()).toEqual({ kind: 'dead', reason: 'CRASH: off' });
  });

  it('a worker thread wakes a vCPU sleeping in Atomics.wait with an IRQ', async () => {
    const guest = haltingGuest();
    const control = guest.vcpu.control;
    // The worker plays the Launcher: 30 ms later it raises IRQ 3 exactly as raiseIrq() does.
    const worker = new Worker(
      `const { workerData } = require('node:worker_threads');
       setTimeout(() => {
         Atomics.or(workerData, 1, 1 << 3);
         Atomics.store(workerData, 0, 1);
         Atomics.notify(workerData, 0);
       }, 30);`,
      { eval: true, workerData: control },
    );
    const started = performance.now();
    const result = guest.vcpu.run();
    const waited = performance.now() - started;
    await worker.terminate();
    expect(result.kind).toBe('notify');
    expect(guest.vcpu.halted).toBe(false);
    expect(waited).toBeGreaterThanOrEqual(20);
  });

  it('requestStop ends a spinning guest once; a held break keeps it stopped until released', () => {
    const guest = asmGuest(initCode().spin());
    const vcpu = guest.vcpu;
    expect(vcpu.run({ budget: 10_000 })).toEqual({ kind: 'budget' });
    requestStop(vcpu.control);
    expect(vcpu.run({ budget: 10_000 })).toEqual({ kind: 'stop' });
    expect(vcpu.run({ budget: 10_000 })).toEqual({ kind: 'budget' });
    setHold(vcpu.control, HOLD_BREAK, true);
    const before = vcpu.instructions;
    expect(vcpu.run({ budget: 10_000 })).toEqual({ kind: 'stop' });
    expect(vcpu.run({ budget: 10_000 })).toEqual({ kind: 'stop' });
    expect(vcpu.instructions).toBe(before);
    setHold(vcpu.control, HOLD_BREAK, false);
    expect(vcpu.run({ budget: 10_000 })).toEqual({ kind: 'budget' });
    expect(raiseIrq(vcpu.control, -1)).toBe(false);
  });

  it('a halted guest with no deadline on a virtual clock is idle, not hung', () => {
    const guest = asmGuest(initCode().hcall(LHCALL_HALT).spin(), {
      clock: new VirtualClock({ instructions: () => 0 }),
    });
    expect(guest.vcpu.run()).toEqual({ kind: 'idle' });
    expect(guest.vcpu.halted).toBe(true);
  });
});

describe('direct traps', () => {
  it('a system call through a trap gate costs no exit; through an interrupt gate one per call', () => {
    const guest = bootGuest('lguest-syscall-bench');
    const exitsAt: Record<string, number> = {};
    let line = '';
    let text = '';
    for (;;) {
      const result = guest.vcpu.run();
      if (result.kind !== 'notify') {
        if (result.kind === 'dead') text += `killed: ${result.reason}\n`;
        break;
      }
      const chunk = consoleString(guest, result.value);
      text += chunk;
      line += chunk;
      const nl = line.indexOf('\n');
      if (nl >= 0) {
        exitsAt[line.slice(0, nl).split(' ').slice(1, 3).join(' ')] = guest.vcpu.exits;
        line = line.slice(nl + 1);
      }
    }
    const direct = exitsAt['syscall-trap-gate end'] - exitsAt['syscall-trap-gate start'];
    const viaHost = exitsAt['syscall-interrupt-gate end'] - exitsAt['syscall-interrupt-gate start'];
    // Only the console's own NOTIFY hypercalls for the "end" line fall between the two lines.
    expect(direct).toBeLessThan(10);
    expect(viaHost).toBeGreaterThanOrEqual(100_000);
    expect(text).toBe(expected('syscall-bench'));
  });
});

describe('several guests in one process', () => {
  it('run interleaved without touching each other', () => {
    const a = bootGuest('lguest-traps');
    const b = bootGuest('lguest-usermode');
    const out = ['', ''];
    const guests = [a, b];
    const done = [false, false];
    while (!done[0] || !done[1]) {
      for (let i = 0; i < 2; i++) {
        if (done[i]) continue;
        const result = guests[i].vcpu.run({ budget: 5_000 });
        if (result.kind === 'notify') out[i] += consoleString(guests[i], result.value);
        else if (result.kind !== 'budget') {
          done[i] = true;
          if (result.kind === 'dead') out[i] += `killed: ${result.reason}\n`;
        }
      }
    }
    expect(out[0]).toBe(expected('traps'));
    expect(out[1]).toBe(expected('usermode'));
  });

  it('a kill in one guest leaves the other running', () => {
    const bad = bootGuest('lguest-hostile-bad-hcall');
    const good = bootGuest('lguest-hello');
    expect(runGuest(bad).result.kind).toBe('dead');
    expect(runGuest(good).transcript).toBe(expected('hello'));
    expect(bad.death.reason).toBe('Bad hypercall 3');
  });
});
