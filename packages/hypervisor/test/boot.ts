/**
 * Test support: loads a `tools/guests` lguest image into fresh guest memory the way the Launcher will
 * (PT_LOAD segments at their physical addresses, a zeroed boot page at gpa 0 with a one-entry e820
 * map, eip = e_entry), makes the guest with `createGuest`, and runs it to its end collecting the early
 * console (§9.6: every NOTIFY is the gpa of a NUL-terminated string of at most 16 characters).
 */
import { readFileSync } from 'node:fs';
import { GuestMemory } from '@lguest/abi';
import { createGuest, type Guest, type GuestOptions, type RunResult } from '@lguest/hypervisor';
import { parseElf32 } from '@lguest/x86';
import { guestImage } from '../../../tools/guests/images.js';

/** Options for {@link bootGuest}. */
export interface BootOptions extends Partial<Omit<GuestOptions, 'memory' | 'start'>> {
  /** Guest RAM in MiB (default 4). */
  memMiB?: number;
}

/** Loads image `name` (e.g. `lguest-hello`) and returns the guest, ready to run. */
export function bootGuest(name: string, options: BootOptions = {}): Guest {
  const bytes = (options.memMiB ?? 4) << 20;
  const memory = new GuestMemory(new SharedArrayBuffer(bytes));
  const elf = parseElf32(new Uint8Array(readFileSync(guestImage(name))));
  for (const segment of elf.segments) {
    memory.bytes.set(segment.data, segment.paddr);
  }
  // boot_params e820: one RAM entry covering everything (offset 0x1e8 count, 0x2d0 table).
  memory.write8(0x1e8, 1);
  memory.write64(0x2d0, 0n);
  memory.write64(0x2d8, BigInt(bytes));
  memory.write32(0x2e0, 1);
  return createGuest({ ...options, memory, start: elf.entry });
}

/** The console string at `gpa`: up to 16 bytes, stopping at NUL. */
export function consoleString(guest: Guest, gpa: number): string {
  let text = '';
  for (let i = 0; i < 16; i++) {
    const c = guest.memory.read8(gpa + i);
    if (c === 0) break;
    text += String.fromCharCode(c);
  }
  return text;
}

/** What {@link runGuest} saw. */
export interface GuestRun {
  console: string;
  /** The result that ended the run (never a notify). */
  result: RunResult;
  /** Console text plus the Launcher's death line, in the `.expected` files' form. */
  transcript: string;
}

/** Runs `guest` until it dies, restarts, idles or spends `budget` instructions in total. */
export function runGuest(guest: Guest, budget = 500_000_000): GuestRun {
  let text = '';
  const vcpu = guest.vcpu;
  const start = vcpu.instructions;
  for (;;) {
    const left = budget - (vcpu.instructions - start);
    const result = vcpu.run({ budget: left });
    if (result.kind === 'notify') {
      text += consoleString(guest, result.value);
      continue;
    }
    const death = result.kind === 'dead' ? `killed: ${result.reason}\n` : '';
    return { console: text, result, transcript: text + death };
  }
}
