/**
 * The i386 two-level page walk: the CPU's default {@link TranslationProvider} for standalone use.
 *
 * With CR0.PG clear, linear = physical and page N is `memory.frame(N)`. With paging on, the walker
 * reads the page directory at CR3 and the page table it names, applies P, U/S and R/W (with CR0.WP
 * deciding whether supervisor writes honour R/W), sets the accessed and dirty bits as the hardware
 * does, and honours 4 MiB pages when CR4.PSE is set. A physical page nothing backs reads as all ones.
 * Error codes carry P/W/U exactly as the hardware sets them (no fetch bit: i386 has no NX).
 */
import type { HostFrame } from '@lguest/abi';
import { type Cpu, CR0_PG, CR0_WP, CR4_PSE } from './cpu.js';
import { frameWritten } from './decode-cache.js';
import {
  ACCESS_WRITE,
  type Access,
  PF_PRESENT,
  PF_USER,
  PF_WRITE,
  type TlbInvalidator,
  TRANSLATE_FAULT,
  type Translation,
  type TranslationProvider,
} from './translation.js';

const PTE_P = 1;
const PTE_W = 2;
const PTE_U = 4;
const PTE_A = 0x20;
const PTE_D = 0x40;
const PDE_PS = 0x80;

/** The hardware page walker over the CPU's CR0/CR3/CR4 and physical memory. */
export class PageWalker implements TranslationProvider {
  constructor(private readonly cpu: Cpu) {}

  bind(_tlb: TlbInvalidator): void {
    // The CPU flushes its own TLB on CR0/CR3/CR4 writes and INVLPG; nothing else changes mappings.
  }

  translate(linear: number, access: Access, user: boolean, out: Translation): number {
    const cpu = this.cpu;
    if ((cpu.cr0 & CR0_PG) === 0) {
      out.frame = cpu.memory.frame(linear >>> 12);
      out.writable = true;
      out.user = true;
      return 0;
    }
    const write = access === ACCESS_WRITE;
    const faultBits = (write ? PF_WRITE : 0) | (user ? PF_USER : 0);
    const pdeAddr = ((cpu.cr3 & 0xffff_f000) + ((linear >>> 22) << 2)) >>> 0;
    const pde = readPhys32(cpu, pdeAddr);
    if ((pde & PTE_P) === 0) return TRANSLATE_FAULT | faultBits;
    let entry: number;
    let entryAddr: number;
    let rights: number;
    let frameNumber: number;
    if (pde & PDE_PS && cpu.cr4 & CR4_PSE) {
      entry = pde;
      entryAddr = pdeAddr;
      rights = pde;
      frameNumber = ((pde & 0xffc0_0000) >>> 12) + ((linear >>> 12) & 0x3ff);
    } else {
      entryAddr = ((pde & 0xffff_f000) + (((linear >>> 12) & 0x3ff) << 2)) >>> 0;
      entry = readPhys32(cpu, entryAddr);
      if ((entry & PTE_P) === 0) return TRANSLATE_FAULT | faultBits;
      rights = pde & entry;
      frameNumber = entry >>> 12;
    }
    const allowUser = (rights & PTE_U) !== 0;
    const allowWrite = (rights & PTE_W) !== 0;
    if (user && !allowUser) return TRANSLATE_FAULT | faultBits | PF_PRESENT;
    if (write && !allowWrite && (user || cpu.cr0 & CR0_WP)) return TRANSLATE_FAULT | faultBits | PF_PRESENT;
    // Accessed bits on both levels; dirty on the mapping entry for a write.
    if ((pde & PTE_A) === 0) writePhys32(cpu, pdeAddr, pde | PTE_A);
    const entryNow = entryAddr === pdeAddr ? pde | PTE_A : entry;
    const wanted = entryNow | PTE_A | (write ? PTE_D : 0);
    if (wanted !== entryNow) writePhys32(cpu, entryAddr, wanted);
    out.frame = cpu.memory.frame(frameNumber);
    out.user = allowUser;
    // Cache write rights only once the dirty bit is set, so the first write still sets it.
    out.writable = allowWrite && (wanted & PTE_D) !== 0;
    return 0;
  }
}

function frameOf(cpu: Cpu, addr: number): HostFrame | undefined {
  return cpu.memory.frame(addr >>> 12);
}

/** A physical dword read (page-table entries are naturally aligned). Unbacked memory reads as ones. */
function readPhys32(cpu: Cpu, addr: number): number {
  const f = frameOf(cpu, addr);
  if (f === undefined) return -1;
  const o = addr & 0xffc;
  const b = f.bytes;
  return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24);
}

function writePhys32(cpu: Cpu, addr: number, v: number): void {
  const f = frameOf(cpu, addr);
  if (f === undefined) return;
  const o = addr & 0xffc;
  const b = f.bytes;
  b[o] = v;
  b[o + 1] = v >> 8;
  b[o + 2] = v >> 16;
  b[o + 3] = v >> 24;
  // A page table may share a page with code; tell decoded-code caches of every thread.
  frameWritten(f);
}
