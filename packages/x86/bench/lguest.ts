/**
 * Runs the benchmark kernel on this package's CPU: the multiboot loading of `runMultiboot`, with a
 * port hook that feeds COM1 to a {@link PhaseClock} (reading `cpu.instructionCount` at each marker)
 * and stops at the debug-exit port. The CPU is the default one `createFlatCpu` builds — the same
 * decoder, TLB and page walker that run Linux.
 */
import { GuestMemory } from '@lguest/abi';
import {
  COM1,
  COM1_LSR,
  createFlatCpu,
  DEBUG_EXIT_PORT,
  findMultibootHeader,
  MULTIBOOT_BOOTLOADER_MAGIC,
  parseElf32,
  REG_EAX,
  REG_EBX,
  REG_ESP,
  writeMultibootInfo,
} from '../src/index.js';
import { PhaseClock, type PhaseResult } from './phases.js';

const MEMORY_BYTES = 32 << 20;
/** Where the multiboot information block goes: below the kernel at 1 MiB, in free low memory. */
const INFO_AT = 0x9000;

export function runOnLguest(image: Uint8Array): PhaseResult[] {
  findMultibootHeader(image);
  const elf = parseElf32(image);
  const memory = new GuestMemory(new ArrayBuffer(MEMORY_BYTES));
  for (const seg of elf.segments) memory.bytes.set(seg.data, seg.paddr);
  writeMultibootInfo(memory.bytes.subarray(INFO_AT, INFO_AT + 88), MEMORY_BYTES);

  const clock = new PhaseClock();
  // The line-control register: while its DLAB bit is set, port 0x3F8 is the divisor latch, not data.
  let lcr = 0;
  let exited = false;
  const count = (): number => cpu.instructionCount;
  const cpu = createFlatCpu(memory, {
    io: {
      in: (port) => (port === COM1_LSR ? 0x60 : 0xffff_ffff),
      out(port, _size, value) {
        if (port === COM1 + 3) lcr = value;
        else if (port === COM1 && (lcr & 0x80) === 0) clock.byte(value, count);
        else if (port === DEBUG_EXIT_PORT) {
          exited = true;
          cpu.requestStop();
        }
      },
    },
  });
  cpu.eip = elf.entry;
  cpu.regs[REG_EAX] = MULTIBOOT_BOOTLOADER_MAGIC;
  cpu.regs[REG_EBX] = INFO_AT;
  cpu.regs[REG_ESP] = INFO_AT;
  while (!exited) {
    const exit = cpu.run(1 << 24);
    if (exit.kind !== 'budget' && exit.kind !== 'stop') {
      throw new Error(`lguest-x86: the kernel ended with ${exit.kind} at 0x${(cpu.eip >>> 0).toString(16)}`);
    }
  }
  return clock.check('lguest-x86');
}
