/**
 * Runs the benchmark kernel on the npm `v86` package, the reference the issue measures against: its
 * multiboot loader boots the ELF with no BIOS, its UART's output events feed a {@link PhaseClock}, and
 * its own instruction counter (`get_instruction_counter()`) gives the instructions per phase. v86
 * ends a multiboot kernel's write to port 0xF4 by throwing the string "HALT" out of its run loop; that
 * surfaces as an uncaught exception, which is caught here and ends the run. v86 also logs a line on
 * `console.log` then, which goes to stderr so stdout keeps only JSON lines.
 */
import { createRequire } from 'node:module';
import { V86 } from 'v86';
import { PhaseClock, type PhaseResult } from './phases.js';

const MEMORY_BYTES = 32 << 20;
/** A run that takes longer than this has gone wrong (the kernel takes a few seconds). */
const TIMEOUT_MS = 120_000;

/** Boots `image` on v86 with its JIT on or off and resolves with the phase timings. */
export function runOnV86(image: Uint8Array, jit: boolean): Promise<PhaseResult[]> {
  const who = `v86 ${jit ? 'JIT' : 'interpreter'}`;
  const buffer = image.buffer.slice(image.byteOffset, image.byteOffset + image.byteLength) as ArrayBuffer;
  const clock = new PhaseClock();
  const consoleLog = console.log;
  console.log = (...args: unknown[]) => process.stderr.write(`${who}: ${args.join(' ')}\n`);
  return new Promise<PhaseResult[]>((resolve, reject) => {
    const emulator = new V86({
      wasm_path: createRequire(import.meta.url).resolve('v86/build/v86.wasm'),
      memory_size: MEMORY_BYTES,
      vga_memory_size: 0,
      multiboot: { buffer },
      autostart: true,
      disable_jit: !jit,
      disable_keyboard: true,
      disable_mouse: true,
      disable_speaker: true,
    });
    const count = (): number => emulator.get_instruction_counter();
    emulator.add_listener('serial0-output-byte', (value: number) => clock.byte(value, count));
    const finish = (error?: unknown): void => {
      clearTimeout(timer);
      process.off('uncaughtException', onUncaught);
      console.log = consoleLog;
      void emulator.destroy().catch(() => {});
      if (error !== undefined) reject(error);
      else {
        try {
          resolve(clock.check(who));
        } catch (e) {
          reject(e);
        }
      }
    };
    const onUncaught = (error: unknown): void => finish(error === 'HALT' ? undefined : error);
    const timer = setTimeout(() => finish(new Error(`${who}: no exit after ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    process.on('uncaughtException', onUncaught);
  });
}
