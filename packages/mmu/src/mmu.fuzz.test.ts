/**
 * Fuzz test: random guest page tables and random sequences of faults and page-table hypercalls,
 * checked against a small reference model of §7.4–§7.5. The model remembers, per cached directory
 * and page, which guest entries the MMU may currently be using (those last read by demand paging or
 * stack pinning, or last passed in SET_PTE), and forgets them exactly when SET_PTE, SET_PGD,
 * FLUSH_TLB or NEW_PGTABLE invalidate them. Every translation the MMU grants — including ones a
 * fake CPU TLB still caches — must be allowed by one of those entries and must point at the frame
 * the frame source now supplies (a fake grant layer remaps pfns now and then). A demand fault that
 * succeeds must make the retried access succeed, guestPa must agree with the guest tables, and
 * nothing may throw; when a kill ends the guest, a fresh guest starts.
 */
import {
  DeathRecord,
  GuestMemory,
  type HostFrame,
  PAGE_ACCESSED,
  PAGE_DIRTY,
  PAGE_GLOBAL,
  PAGE_PRESENT,
  PAGE_PSE,
  PAGE_RW,
  PAGE_USER,
} from '@lguest/abi';
import { ACCESS_READ, ACCESS_WRITE, type Access, createTranslation, PF_USER, PF_WRITE } from '@lguest/x86';
import { expect, it } from 'vitest';
import { seededRandom } from '../../../tools/testing/random.js';
import { BAD_GPA, FrameOverlay, type FrameSource, ShadowMmu } from './index.js';

// CI runs 100,000 operations; MMU_FUZZ_OPS and MMU_FUZZ_SEED allow longer or different runs by hand.
const OPS = Number(process.env.MMU_FUZZ_OPS ?? 100_000);
const SEED = Number(process.env.MMU_FUZZ_SEED ?? 0x1c0ffee);

const PAGES = 64;
const PFN_LIMIT = 60;
const DIRS = [0, 1, 2, 3, 4, 5].map((p) => p * 0x1000);
const TABLES = [8, 9, 10, 11, 12, 13, 14, 15].map((p) => p * 0x1000);
const FIRST_DATA = 16;
const PDE_INDICES = [0, 1, 0x2ff, 0x300, 0x301, 0x3fe, 0x3ff];
const KERNEL_INDEX = 0x300;
const SWITCHER = 0xffc0_0000;
const SLOTS = 4;

interface ModelSlot {
  tag: number;
  pages: Map<number, number[]>;
}

/** The reference model: which guest entries each cached directory may be using. */
class Model {
  linear = true;
  slots: (ModelSlot | undefined)[] = new Array(SLOTS).fill(undefined);
  cursor = 0;
  current: ModelSlot | undefined;

  private dropWhere(slot: ModelSlot, pred: (page: number) => boolean): void {
    for (const page of [...slot.pages.keys()]) if (pred(page)) slot.pages.delete(page);
  }

  /** Returns true when the new directory was blank (so the stack is re-pinned). */
  newPgtable(gpa: number): boolean {
    if (this.linear) {
      this.linear = false;
      this.slots.fill(undefined);
      this.cursor = 0;
    } else {
      const hit = this.slots.find((s) => s?.tag === gpa);
      if (hit) {
        this.current = hit;
        return false;
      }
    }
    const i = this.cursor;
    this.cursor = (i + 1) % SLOTS;
    const old = this.slots[i];
    if (old) {
      old.tag = gpa;
      this.dropWhere(old, (page) => page >>> 10 < KERNEL_INDEX);
      this.current = old;
      return false;
    }
    this.current = { tag: gpa, pages: new Map() };
    this.slots[i] = this.current;
    return true;
  }

  setPte(pgdir: number, vaddr: number, pte: number): void {
    if (this.linear) return;
    const page = vaddr >>> 12;
    const allowed = (pte & PAGE_PRESENT) !== 0 && (pte & (PAGE_ACCESSED | PAGE_DIRTY)) !== 0 ? [pte] : [];
    for (const slot of this.slots) {
      if (slot && (vaddr >>> 22 >= KERNEL_INDEX || slot.tag === pgdir)) slot.pages.set(page, allowed);
    }
  }

  setPgd(pgdir: number, index: number): void {
    if (this.linear) return;
    const slot = this.slots.find((s) => s?.tag === pgdir);
    if (slot) this.dropWhere(slot, (page) => page >>> 10 === index);
  }

  flush(all: boolean): void {
    if (this.linear) return;
    if (all) for (const slot of this.slots) slot?.pages.clear();
    else if (this.current) this.dropWhere(this.current, (page) => page >>> 10 < KERNEL_INDEX);
  }

  /** Demand paging read guest entry `pte` for `vaddr` and installed it: it replaces what was there. */
  read(vaddr: number, pte: number): void {
    if (this.linear || !this.current) return;
    this.current.pages.set(vaddr >>> 12, [pte]);
  }

  /** Why a granted translation is not allowed, or undefined when it is. */
  violation(
    frames: FrameSource,
    vaddr: number,
    t: { frame: HostFrame | undefined; writable: boolean; user: boolean },
  ): string | undefined {
    const page = vaddr >>> 12;
    if (vaddr >>> 0 >= SWITCHER) return 'mapped in the switcher region';
    if (this.linear) {
      return t.frame === frames.frame(page) && !t.user ? undefined : 'linear mode mapping differs from 1:1';
    }
    const allowed = this.current?.pages.get(page) ?? [];
    for (const pte of allowed) {
      if ((pte & PAGE_PRESENT) === 0 || t.frame !== frames.frame(pte >>> 12)) continue;
      if (t.writable && ((pte & PAGE_RW) === 0 || (pte & PAGE_DIRTY) === 0)) continue;
      if (t.user && (pte & PAGE_USER) === 0) continue;
      return undefined;
    }
    return `granted ${JSON.stringify({ page: page.toString(16), writable: t.writable, user: t.user })} allowed by none of [${allowed.map((p) => p.toString(16))}]`;
  }
}

it(
  `survives ${OPS} random operations and never grants what the guest did not allow`,
  { timeout: 120_000 },
  () => {
    const rnd = seededRandom(SEED);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
    const chance = (p: number) => rnd() < p;
    const kills = new Map<string, number>();
    let episodes = 0;
    let grants = 0;
    let fixed = 0;

    const randomPte = (): number => {
      if (chance(0.15)) return chance(0.5) ? 0 : (FIRST_DATA << 12) | PAGE_ACCESSED; // not present (maybe swap-like)
      let pfn = FIRST_DATA + Math.floor(rnd() * (PFN_LIMIT - FIRST_DATA));
      if (chance(0.0005)) pfn = PFN_LIMIT + Math.floor(rnd() * (PAGES - PFN_LIMIT));
      let flags = PAGE_PRESENT;
      if (chance(0.6)) flags |= PAGE_RW;
      if (chance(0.5)) flags |= PAGE_USER;
      if (chance(0.5)) flags |= PAGE_ACCESSED;
      if (chance(0.3)) flags |= PAGE_DIRTY;
      if (chance(0.2)) flags |= PAGE_GLOBAL;
      if (chance(0.0005)) flags |= PAGE_PSE;
      return ((pfn << 12) | flags) >>> 0;
    };
    const randomPde = (): number => {
      if (chance(0.1)) return 0;
      let flags = PAGE_PRESENT | PAGE_ACCESSED;
      if (chance(0.9)) flags |= PAGE_RW;
      if (chance(0.8)) flags |= PAGE_USER;
      if (chance(0.5)) flags |= PAGE_DIRTY;
      if (chance(0.0005)) flags |= PAGE_GLOBAL;
      const pfn = chance(0.0005) ? PFN_LIMIT : pick(TABLES) >>> 12;
      return ((pfn << 12) | flags) >>> 0;
    };
    /** A guest-virtual address in the few regions the tables cover; the switcher region only rarely. */
    const randomVaddr = (): number => {
      // Linear mode maps 1:1, so (nearly) only low addresses are inside guest memory there.
      if (mmu.linear && chance(0.97)) return Math.floor(rnd() * PFN_LIMIT * 4096);
      const index = chance(0.02) ? 0x3ff : pick(PDE_INDICES.slice(0, -1));
      return ((index << 22) | (Math.floor(rnd() * 8) << 12) | Math.floor(rnd() * 4096)) >>> 0;
    };
    /** Addresses demand paging fixed lately: the ones a guest really uses. */
    const recent: number[] = [];

    let memory!: GuestMemory;
    let overlay!: FrameOverlay;
    // Pages of another memory that a grant layer maps into the guest now and then.
    const peer = new GuestMemory(new ArrayBuffer(4 * 4096));
    let killer!: DeathRecord;
    let mmu!: ShadowMmu;
    let model!: Model;
    const tlb = new Map<number, { frame: HostFrame | undefined; writable: boolean; user: boolean }>();
    let stack = { esp: 0, pages: 0 };

    const pdeOf = (dir: number, vaddr: number) => memory.read32(dir + (vaddr >>> 22) * 4);
    /** The guest PTE for vaddr through the current directory, or undefined when the walk stops. */
    const guestPte = (vaddr: number): number | undefined => {
      const tag = mmu.pgdir;
      if (tag === undefined) return undefined;
      const pde = pdeOf(tag, vaddr);
      if ((pde & PAGE_PRESENT) === 0 || pde >>> 12 >= PFN_LIMIT) return undefined;
      return memory.read32((pde & 0xfffff000) + ((vaddr >>> 12) & 0x3ff) * 4);
    };
    const out = createTranslation();
    /** Stack pages the current shadow already maps writable (pinning leaves those alone). */
    const pinnedAlready = (esp: number, pages: number): Set<number> => {
      const done = new Set<number>();
      for (let i = 0; i < pages; i++) {
        const v = (esp - 1 - 4096 * i) >>> 0;
        if (mmu.translate(v, ACCESS_WRITE, false, out) === 0 && out.writable) done.add(v);
      }
      return done;
    };
    const recordPinned = (skip?: Set<number>) => {
      for (let i = 0; i < stack.pages; i++) {
        const v = (stack.esp - 1 - 4096 * i) >>> 0;
        if (skip?.has(v)) continue;
        const pte = guestPte(v);
        if (pte !== undefined) model.read(v, pte);
      }
    };

    const start = () => {
      episodes++;
      memory = new GuestMemory(new ArrayBuffer(PAGES * 4096), { pfnLimit: PFN_LIMIT });
      killer = new DeathRecord();
      overlay = new FrameOverlay(memory);
      mmu = new ShadowMmu({ memory, killer, switcherAddr: SWITCHER, frames: overlay });
      model = new Model();
      tlb.clear();
      stack = { esp: 0, pages: 0 };
      recent.length = 0;
      mmu.bind({ invalidatePage: (linear) => tlb.delete(linear >>> 12), invalidateAll: () => tlb.clear() });
      for (const dir of DIRS) {
        for (const idx of PDE_INDICES) {
          // Kernel page tables are mostly shared between directories, as in Linux.
          const shared = idx >= KERNEL_INDEX && chance(0.8);
          memory.write32(dir + idx * 4, shared ? TABLES[idx % TABLES.length] | 0x67 : randomPde());
        }
      }
      for (const table of TABLES) for (let i = 0; i < 8; i++) memory.write32(table + i * 4, randomPte());
    };

    const check = (vaddr: number, t: { frame: HostFrame | undefined; writable: boolean; user: boolean }) => {
      grants++;
      const why = model.violation(overlay, vaddr, t);
      if (why !== undefined) expect.fail(`at 0x${vaddr.toString(16)}: ${why}`);
    };

    /** One CPU access through the fake TLB, then the MMU. Returns whether it succeeded. */
    const cpuAccess = (vaddr: number, access: Access, user: boolean): boolean => {
      const cached = tlb.get(vaddr >>> 12);
      if (cached && (access !== ACCESS_WRITE || cached.writable) && (!user || cached.user)) {
        check(vaddr, cached);
        return true;
      }
      if (mmu.translate(vaddr, access, user, out) !== 0) return false;
      const t = { frame: out.frame, writable: out.writable, user: out.user };
      tlb.set(vaddr >>> 12, t);
      check(vaddr, t);
      return true;
    };

    start();
    for (let op = 0; op < OPS; op++) {
      if (killer.dead) {
        const kind = killer.reason!.replace(/ 0x.*| \d+.*/, '');
        kills.set(kind, (kills.get(kind) ?? 0) + 1);
        start();
      }
      const r = rnd();
      if (r < 0.22) {
        cpuAccess(
          chance(0.5) && recent.length > 0 ? pick(recent) : randomVaddr(),
          pick([ACCESS_READ, ACCESS_WRITE, 2] as const),
          chance(0.4),
        );
      } else if (r < 0.44) {
        const vaddr = randomVaddr();
        const errcode = pick([0, PF_WRITE, PF_USER, PF_WRITE | PF_USER]) | (chance(0.3) ? 1 : 0);
        if (mmu.demandPage(vaddr, errcode)) {
          fixed++;
          if (recent.push(vaddr) > 16) recent.shift();
          const pte = guestPte(vaddr);
          if (pte !== undefined) model.read(vaddr, pte);
          // The retried access must now succeed, or the guest would fault for ever.
          if (
            !killer.dead &&
            !cpuAccess(vaddr, errcode & PF_WRITE ? ACCESS_WRITE : ACCESS_READ, (errcode & PF_USER) !== 0)
          ) {
            expect.fail(`demand_page(0x${vaddr.toString(16)}, ${errcode}) fixed nothing`);
          }
        }
      } else if (r < 0.59) {
        const pgdir = chance(0.7) && mmu.pgdir !== undefined ? mmu.pgdir : pick(DIRS);
        const vaddr = randomVaddr();
        const pte = randomPte();
        const pde = pdeOf(pgdir, vaddr);
        if ((pde & PAGE_PRESENT) !== 0 && pde >>> 12 < PFN_LIMIT)
          memory.write32((pde & 0xfffff000) + ((vaddr >>> 12) & 0x3ff) * 4, pte);
        mmu.setPte(pgdir, vaddr, pte);
        if (vaddr >= SWITCHER) expect(killer.reason).toMatch(/^attempt to set pte into Switcher pages/);
        model.setPte(pgdir, vaddr, pte);
      } else if (r < 0.65) {
        const pgdir = pick(DIRS);
        const index = chance(0.002) ? 1025 + Math.floor(rnd() * 100) : pick(PDE_INDICES);
        if (index < 1024) memory.write32(pgdir + index * 4, randomPde());
        mmu.setPgd(pgdir, index);
        if (index > 1024) expect(killer.reason).toMatch(/^SET_PGD index/);
        model.setPgd(pgdir, index);
      } else if (r < 0.72) {
        const all = chance(0.25);
        mmu.flushTlb(all);
        model.flush(all);
        if (all) recordPinned();
      } else if (r < 0.83) {
        const gpa = pick(DIRS);
        mmu.newPgtable(gpa);
        if (model.newPgtable(gpa)) recordPinned();
      } else if (r < 0.84) {
        const esp =
          ((pick([KERNEL_INDEX, KERNEL_INDEX + 1]) << 22) + (1 + Math.floor(rnd() * 7)) * 4096) >>> 0;
        const pages = chance(0.01) ? 3 : Math.floor(rnd() * 3);
        // Usually the guest's stack is a good writable mapping, as Linux's is.
        if (chance(0.97) && mmu.pgdir !== undefined) {
          const pde = pdeOf(mmu.pgdir, esp - 1);
          if ((pde & PAGE_PRESENT) !== 0 && pde >>> 12 < PFN_LIMIT) {
            for (let i = 0; i < pages; i++) {
              const v = (esp - 1 - 4096 * i) >>> 0;
              memory.write32(
                (pde & 0xfffff000) + ((v >>> 12) & 0x3ff) * 4,
                ((FIRST_DATA + i) << 12) | PAGE_PRESENT | PAGE_RW,
              );
            }
          }
        }
        const skip = pinnedAlready(esp, pages);
        if (mmu.setStack(chance(0.01) ? 0x68 : 0x69, esp, pages)) {
          stack = { esp, pages };
          recordPinned(skip);
        }
      } else if (r < 0.845) {
        const vaddr = chance(0.9) && recent.length > 0 ? pick(recent) : randomVaddr();
        const expected = mmu.linear ? vaddr : guestPte(vaddr);
        const gpa = mmu.guestPa(vaddr);
        if (!killer.dead) {
          expect(expected).toBeDefined();
          const want = mmu.linear ? vaddr : ((expected! & 0xfffff000) | (vaddr & 0xfff)) >>> 0;
          expect(gpa).toBe(want);
        } else {
          expect(gpa).toBe(BAD_GPA);
        }
      } else if (r < 0.855) {
        // A grant layer maps a foreign frame at a guest pfn, or takes it away again.
        const pfn = FIRST_DATA + Math.floor(rnd() * (PFN_LIMIT - FIRST_DATA));
        if (chance(0.5)) overlay.map(pfn, peer.frame(Math.floor(rnd() * 4))!);
        else overlay.unmap(pfn);
        mmu.frameSourceChanged(pfn);
      } else {
        // The guest writes its tables without telling the host (allowed; the host may keep old entries).
        if (chance(0.8)) memory.write32(pick(TABLES) + Math.floor(rnd() * 8) * 4, randomPte());
        else memory.write32(pick(DIRS) + pick(PDE_INDICES) * 4, randomPde());
      }
    }

    // The run must have exercised the interesting paths, kills included.
    expect(episodes).toBeGreaterThan(5);
    expect(grants).toBeGreaterThan(OPS / 20);
    expect(fixed).toBeGreaterThan(OPS / 50);
    for (const kind of [
      'bad page table entry',
      'bad page directory entry',
      'attempt to set pte into Switcher pages at',
      'SET_PGD index',
      'bad stack page',
      'Bad address',
    ]) {
      expect(kills.get(kind), `kills of kind "${kind}" in ${JSON.stringify([...kills])}`).toBeGreaterThan(0);
    }
  },
);
