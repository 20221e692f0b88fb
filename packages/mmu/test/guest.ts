/**
 * Test fixtures: a guest memory with hand-built i386 page tables, a ShadowMmu over it, and a fake CPU
 * TLB that records what the MMU invalidates. Used by the package's tests, the fuzz test and the bench.
 */
import { DeathRecord, GuestMemory, type HostFrame } from '@lguest/abi';
import { ACCESS_READ, type Access, createTranslation, type TlbInvalidator } from '@lguest/x86';
import { ShadowMmu, type ShadowMmuOptions } from '../src/index.js';

/** Records invalidations the way a CPU TLB would receive them. */
export class RecordingTlb implements TlbInvalidator {
  pages: number[] = [];
  all = 0;
  invalidatePage(linear: number): void {
    this.pages.push(linear >>> 0);
  }
  invalidateAll(): void {
    this.all++;
  }
  reset(): void {
    this.pages = [];
    this.all = 0;
  }
}

/** The result of one translate() call, as plain data. */
export interface Access1 {
  ok: boolean;
  error: number;
  frame: HostFrame | undefined;
  writable: boolean;
  user: boolean;
}

export const KERNEL = 0xc000_0000;
/** Flags Linux uses for a page table in a PDE: P|RW|US|A|D. */
export const PDE_TABLE = 0x067;

/** A guest with `pages` pages of RAM (`pfnLimit` of them usable) and an MMU over it. */
export class Guest {
  readonly memory: GuestMemory;
  readonly killer = new DeathRecord();
  readonly tlb = new RecordingTlb();
  readonly mmu: ShadowMmu;
  readonly #out = createTranslation();

  constructor(pages = 1024, pfnLimit = pages, options: Partial<ShadowMmuOptions> = {}) {
    this.memory = new GuestMemory(new ArrayBuffer(pages * 4096), { pfnLimit });
    this.mmu = new ShadowMmu({ memory: this.memory, killer: this.killer, ...options });
    this.mmu.bind(this.tlb);
    this.tlb.reset();
  }

  /** Writes the PDE for `vaddr` in directory `dir`. */
  setPde(dir: number, vaddr: number, value: number): void {
    this.memory.write32(dir + (vaddr >>> 22) * 4, value);
  }

  pde(dir: number, vaddr: number): number {
    return this.memory.read32(dir + (vaddr >>> 22) * 4);
  }

  /** Writes the PTE for `vaddr` in page table `table`. */
  setPte(table: number, vaddr: number, value: number): void {
    this.memory.write32(table + ((vaddr >>> 12) & 0x3ff) * 4, value);
  }

  pte(table: number, vaddr: number): number {
    return this.memory.read32(table + ((vaddr >>> 12) & 0x3ff) * 4);
  }

  /** Maps `vaddr` → `gpa` with PTE `flags` through page table `table` (PDE flags `pdeFlags`). */
  map(dir: number, table: number, vaddr: number, gpa: number, flags: number, pdeFlags = PDE_TABLE): void {
    this.setPde(dir, vaddr, (table | pdeFlags) >>> 0);
    this.setPte(table, vaddr, (gpa | flags) >>> 0);
  }

  /** One translate() call. */
  access(vaddr: number, access: Access = ACCESS_READ, user = false): Access1 {
    const out = this.#out;
    out.frame = undefined;
    out.writable = false;
    out.user = false;
    const error = this.mmu.translate(vaddr, access, user, out);
    return { ok: error === 0, error, frame: out.frame, writable: out.writable, user: out.user };
  }

  /** The frame of gpa `gpa` in this guest's RAM. */
  frame(gpa: number): HostFrame | undefined {
    return this.memory.frame(gpa >>> 12);
  }
}
