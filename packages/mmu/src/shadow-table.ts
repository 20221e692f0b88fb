/**
 * Shadow page tables: the tables the "hardware" (our CPU, through `ShadowMmu.translate`) really
 * walks. One {@link ShadowDirectory} per cached guest page directory; each of its 1024 slots holds a
 * {@link ShadowPageTable} once demand paging has touched that 4 MiB region.
 *
 * A shadow entry is `pfn << 12 | P/RW/US`, with the rights already combined with the guest PDE's and
 * write-protected until the guest entry is dirty, so the CPU needs nothing else; its host frame sits
 * beside it. Only the MMU's own operations (demand paging, the update hypercalls) change entries.
 */
import { type HostFrame, PAGE_PRESENT, PTRS_PER_TABLE } from '@lguest/abi';

/** One shadow page table: 1024 entries and the host frames they map. */
export class ShadowPageTable {
  /** `pfn << 12 | flags` (flags ⊆ P|RW|US); 0 = not mapped. */
  readonly entries = new Uint32Array(PTRS_PER_TABLE);
  /** The host frame of each present entry. */
  readonly frames: (HostFrame | undefined)[] = new Array<HostFrame | undefined>(PTRS_PER_TABLE).fill(
    undefined,
  );
  /**
   * RW/US of the guest PDE this table was last demand-paged through. A pre-installed `SET_PTE` entry
   * is limited by it, as hardware limits a PTE by its PDE.
   */
  pdeFlags: number;

  constructor(pdeFlags: number) {
    this.pdeFlags = pdeFlags;
  }
}

/** Tag of a directory that mirrors no guest directory (linear mode). Never equal to a u32 gpa. */
export const NO_TAG = -1;

/** The shadow of one guest page directory, tagged with the guest directory's gpa. */
export class ShadowDirectory {
  /** The guest directory gpa (the guest's `cr3`), or {@link NO_TAG}. */
  tag: number;
  /** Shadow page tables by PDE index. */
  readonly tables: (ShadowPageTable | undefined)[] = new Array<ShadowPageTable | undefined>(
    PTRS_PER_TABLE,
  ).fill(undefined);

  constructor(tag: number) {
    this.tag = tag;
  }

  /** The shadow entry for `vaddr` (0 when nothing is mapped). */
  entry(vaddr: number): number {
    const table = this.tables[vaddr >>> 22];
    return table === undefined ? 0 : table.entries[(vaddr >>> 12) & 0x3ff];
  }

  /** The table covering `vaddr`, made empty if absent; `pdeFlags` refreshes what it remembers of the PDE. */
  tableFor(vaddr: number, pdeFlags: number): ShadowPageTable {
    const index = vaddr >>> 22;
    let table = this.tables[index];
    if (table === undefined) {
      table = new ShadowPageTable(pdeFlags);
      this.tables[index] = table;
    } else {
      table.pdeFlags = pdeFlags;
    }
    return table;
  }

  /** Sets the entry for `vaddr`. Returns whether it changed. */
  set(table: ShadowPageTable, vaddr: number, entry: number, frame: HostFrame): boolean {
    const i = (vaddr >>> 12) & 0x3ff;
    if (table.entries[i] === entry >>> 0 && table.frames[i] === frame) return false;
    table.entries[i] = entry;
    table.frames[i] = frame;
    return true;
  }

  /** Clears the entry for `vaddr`. Returns whether something was mapped there. */
  clear(vaddr: number): boolean {
    const table = this.tables[vaddr >>> 22];
    if (table === undefined) return false;
    const i = (vaddr >>> 12) & 0x3ff;
    if ((table.entries[i] & PAGE_PRESENT) === 0) return false;
    table.entries[i] = 0;
    table.frames[i] = undefined;
    return true;
  }

  /**
   * Forgets the table at PDE `index`; `onPage` hears the address of every page that was mapped (so
   * the caller can invalidate exactly those TLB entries).
   */
  releaseTable(index: number, onPage?: (vaddr: number) => void): void {
    const table = this.tables[index];
    if (table === undefined) return;
    this.tables[index] = undefined;
    if (onPage === undefined) return;
    const entries = table.entries;
    for (let i = 0; i < PTRS_PER_TABLE; i++) {
      if ((entries[i] & PAGE_PRESENT) !== 0) onPage(((index << 22) | (i << 12)) >>> 0);
    }
  }

  /** Forgets the tables at PDE indices `[from, to)`. Returns whether any existed. */
  releaseRange(from: number, to: number): boolean {
    let any = false;
    for (let i = from; i < to; i++) {
      if (this.tables[i] !== undefined) {
        this.tables[i] = undefined;
        any = true;
      }
    }
    return any;
  }
}
