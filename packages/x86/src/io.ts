/**
 * Port I/O as the protection rules allow it: IN/OUT/INS/OUTS at CPL ≤ IOPL, or above IOPL when the
 * TSS I/O-permission bitmap clears every bit of the access; otherwise #GP(0). The embedder's
 * {@link PortIo} handlers see only the accesses that pass.
 */
import type { Cpu } from './cpu.js';

/** Raises #GP(0) unless `size` bytes at `port` may be accessed at the current CPL. */
export function checkIo(c: Cpu, port: number, size: number): void {
  if (c.cpl > c.iopl && !c.descriptors.ioPermitted(port & 0xffff, size)) c.gp(0);
}

/** IN: the handler's value masked to `size` bytes. */
export function portIn(c: Cpu, port: number, size: 1 | 2 | 4): number {
  checkIo(c, port, size);
  const v = c.io.in(port & 0xffff, size);
  return size === 1 ? v & 0xff : size === 2 ? v & 0xffff : v | 0;
}

/** OUT */
export function portOut(c: Cpu, port: number, size: 1 | 2 | 4, value: number): void {
  checkIo(c, port, size);
  c.io.out(port & 0xffff, size, size === 1 ? value & 0xff : size === 2 ? value & 0xffff : value >>> 0);
}
