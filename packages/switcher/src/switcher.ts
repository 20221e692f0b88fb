/**
 * The Switcher: lguest's world switch (`switcher_32.S` and the entry half of `x86/core.c`), for a CPU
 * written in TypeScript. The Host calls {@link Switcher.runGuestOnce} with a vCPU's lguest pages; it
 * copies in the tables that changed, loads the register frame into the CPU, runs it, and copies the
 * registers back with the trap vector, error code and CR2 that ended the run — or reports a stop (a
 * host event raised through the shared control block) or a spent budget, which are never confused
 * with a guest vector.
 *
 * The CPU reads the Switcher's host-side tables ({@link HostDescriptorTables}): the guest's sanitised
 * GDT with the host-owned entries 10, 11, 16 and 31 (§5.2), an IDT where only direct traps (§6.5)
 * are real guest gates and every other vector is an exit, and the ring-1 stack of `SET_STACK`.
 */
import {
  FLAT_SEGMENT_LO,
  GATE_HI_DPL_MASK,
  GDT_ENTRIES,
  GDT_ENTRY_DOUBLEFAULT_TSS,
  GDT_ENTRY_LGUEST_CS,
  GDT_ENTRY_LGUEST_DS,
  GDT_ENTRY_TLS_ENTRIES,
  GDT_ENTRY_TLS_MIN,
  GDT_ENTRY_TSS,
  GUEST_PL,
  type GuestMemory,
  IDT_ENTRIES,
  isHostGdtEntry,
  LGUEST_CS_HI,
  LGUEST_DS_HI,
  LGUEST_GATE_LO_SELECTOR,
  LGUEST_GUEST_CR0,
  LGUEST_REG_CS,
  LGUEST_REG_DS,
  LGUEST_REG_EFLAGS,
  LGUEST_REG_EIP,
  LGUEST_REG_ERRCODE,
  LGUEST_REG_ES,
  LGUEST_REG_FS,
  LGUEST_REG_GS,
  LGUEST_REG_OF_X86_REG,
  LGUEST_REG_SS,
  LGUEST_REG_TRAPNUM,
  LGUEST_TRAP_ENTERING_GUEST,
  LGUEST_TRAP_ENTRY,
  X86_CR0_TS,
  X86_EFLAGS_FIXED,
  X86_EFLAGS_IF,
  X86_EFLAGS_IOPL,
  X86_EFLAGS_VM,
} from '@lguest/abi';
import {
  Cpu,
  HostDescriptorTables,
  type PhysicalMemory,
  SEG_CS,
  SEG_DS,
  SEG_ES,
  SEG_FS,
  SEG_GS,
  SEG_SS,
  type TranslationProvider,
  type X87Unit,
} from '@lguest/x86';
import { isDirectTrap } from './direct-traps.js';
import { CHANGED_ALL, CHANGED_GDT, CHANGED_GDT_TLS, CHANGED_IDT, type LguestPages } from './lguest-pages.js';
import { DATA_FAULT, DATA_NULLED, GdtCache, loadCodeAndStack, loadDataSegment } from './segment-load.js';

/** {@link Switcher.runGuestOnce}: the guest trapped; `trapnum`, `errcode` and `cr2` say how. */
export const RUN_TRAP = 0;
/** {@link Switcher.runGuestOnce}: a host event stopped the CPU (control block or `requestStop`). */
export const RUN_STOP = 1;
/** {@link Switcher.runGuestOnce}: the instruction budget ran out; the guest is fine to resume. */
export const RUN_BUDGET = 2;
/** What {@link Switcher.runGuestOnce} returns. */
export type RunOutcome = typeof RUN_TRAP | typeof RUN_STOP | typeof RUN_BUDGET;

/** Options for {@link Switcher}. */
export interface SwitcherOptions {
  /** Guest memory (host frames by pfn). */
  memory: GuestMemory | PhysicalMemory;
  /** The shadow MMU (`@lguest/mmu`'s `ShadowMmu`), the CPU's translation provider. */
  mmu: TranslationProvider;
  /** The shared control block whose word `CONTROL_STOP` (from `@lguest/x86`) stops the CPU. */
  control?: Int32Array;
  /** The x87 unit; default a fresh one (a guest kernel needs it, §6.10). */
  fpu?: X87Unit;
  /**
   * Let the CPU deliver direct traps (§6.5) itself. Default true; false routes every trap through the
   * Host (for measurements, or to trace every system call).
   */
  directTraps?: boolean;
}

/** The TSS descriptor the Switcher keeps in entry 16: 32-bit busy TSS, DPL 0 (never loaded by the guest). */
const TSS_LO = 0x0000_0067;
const TSS_HI = 0x0000_8b00;

const DATA_SEGMENTS = [SEG_DS, SEG_ES, SEG_FS, SEG_GS] as const;
const DATA_FRAME_WORDS = [LGUEST_REG_DS, LGUEST_REG_ES, LGUEST_REG_FS, LGUEST_REG_GS] as const;

/** The world switch for one physical CPU: owns the CPU and the host-side tables it reads. */
export class Switcher {
  /** The CPU the guest runs on. */
  readonly cpu: Cpu;
  /** The descriptor tables the CPU sees (host-side; never mapped in the guest). */
  readonly tables = new HostDescriptorTables(GDT_ENTRIES);
  /** Runs that ended in a guest trap (exits to the Host), for statistics and benchmarks. */
  trapExits = 0;
  readonly #exitBits = new Uint32Array(8);
  /** The host GDT's entries decoded, until the next copy of changed GDT entries. */
  readonly #gdtCache: GdtCache;
  /**
   * The guest IDT as last copied (raw gate words), with the system-call vector it was copied for:
   * a changed IDT is compared with it gate by gate, so only the gates that really changed are redone.
   * `#idtCopied` false forces every gate (new pages, or after {@link Switcher.invalidate}).
   */
  readonly #guestIdt = new Uint32Array(IDT_ENTRIES * 2);
  #idtSyscallVector = -1;
  #idtCopied = false;
  #lastPages: LguestPages | undefined;
  /** Selectors as last loaded into the CPU: CS, SS, DS, ES, FS, GS (-1 = reload). */
  readonly #loaded = new Int32Array(6).fill(-1);
  #lastTs = -1;
  /** Data segments (bit i: DS, ES, FS, GS) last loaded null because the CPL may not use their selector. */
  #nulledForPrivilege = 0;
  readonly #directTraps: boolean;

  constructor(options: SwitcherOptions) {
    this.#directTraps = options.directTraps ?? true;
    this.cpu = new Cpu({
      memory: options.memory,
      translation: options.mmu,
      control: options.control,
      fpu: options.fpu,
    });
    this.cpu.setDescriptorSource(this.tables);
    this.#gdtCache = new GdtCache(this.tables.gdt);
    this.cpu.cr0 = LGUEST_GUEST_CR0;
    this.tables.setGdtEntry(GDT_ENTRY_LGUEST_CS, FLAT_SEGMENT_LO, LGUEST_CS_HI);
    this.tables.setGdtEntry(GDT_ENTRY_LGUEST_DS, FLAT_SEGMENT_LO, LGUEST_DS_HI);
    this.tables.setGdtEntry(GDT_ENTRY_TSS, TSS_LO, TSS_HI);
    this.tables.setGdtEntry(GDT_ENTRY_DOUBLEFAULT_TSS, 0, 0);
  }

  /**
   * Enters the guest described by `pages` for at most `budget` instructions. On {@link RUN_TRAP} the
   * frame's `trapnum`/`errcode` and `pages.cr2` describe the trap (trapnum 256: the frame could not be
   * entered); the registers are always copied back.
   */
  runGuestOnce(pages: LguestPages, budget: number): RunOutcome {
    const cpu = this.cpu;
    const regs = pages.regs;
    if (this.#lastPages !== pages) {
      pages.changed = CHANGED_ALL;
      this.#lastPages = pages;
      this.#idtCopied = false;
    }
    if (pages.changed !== 0) this.#copyTables(pages);
    const tables = this.tables;
    tables.setStack(GUEST_PL, pages.ss1, pages.esp1);
    const ts = pages.ts ? 1 : 0;
    if (ts !== this.#lastTs) {
      cpu.cr0 = ts ? LGUEST_GUEST_CR0 | X86_CR0_TS : LGUEST_GUEST_CR0;
      this.#lastTs = ts;
    }
    if (!this.#loadSegments(regs)) {
      regs[LGUEST_REG_TRAPNUM] = LGUEST_TRAP_ENTERING_GUEST;
      regs[LGUEST_REG_ERRCODE] = 0;
      return RUN_TRAP;
    }
    const r = cpu.regs;
    for (let i = 0; i < 8; i++) r[i] = regs[LGUEST_REG_OF_X86_REG[i]];
    cpu.eip = regs[LGUEST_REG_EIP];
    // The guest's IF is virtual (lguest_data.irq_enabled): the CPU's stays 1 and IOPL 0, so port I/O,
    // cli and sti fault at CPL 1 and popf/iret can never turn interrupts off (§5.1, §13).
    cpu.setEflags(
      ((regs[LGUEST_REG_EFLAGS] | X86_EFLAGS_IF | X86_EFLAGS_FIXED) & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM)) >>>
        0,
    );

    const exit = cpu.run(budget);

    for (let i = 0; i < 8; i++) regs[LGUEST_REG_OF_X86_REG[i]] = r[i];
    regs[LGUEST_REG_EIP] = cpu.eip;
    regs[LGUEST_REG_EFLAGS] = cpu.getEflags();
    this.#saveSegments(regs);
    switch (exit.kind) {
      case 'budget':
        return RUN_BUDGET;
      case 'stop':
        return RUN_STOP;
      case 'vector':
        this.trapExits++;
        regs[LGUEST_REG_TRAPNUM] = exit.vector;
        regs[LGUEST_REG_ERRCODE] = exit.errorCode ?? 0;
        pages.cr2 = exit.cr2;
        return RUN_TRAP;
      default:
        // A triple fault or HLT at CPL 0 cannot come from a guest at CPL 1/3 through these tables
        // (#DF is an exit); should one happen, the guest cannot continue.
        this.trapExits++;
        regs[LGUEST_REG_TRAPNUM] = LGUEST_TRAP_ENTERING_GUEST;
        regs[LGUEST_REG_ERRCODE] = 0;
        return RUN_TRAP;
    }
  }

  /** Forces the next run to copy every table and reload every segment (e.g. after a restore). */
  invalidate(): void {
    this.#lastPages = undefined;
    this.#loaded.fill(-1);
    this.#lastTs = -1;
    this.#idtCopied = false;
  }

  #copyTables(pages: LguestPages): void {
    const changed = pages.changed;
    pages.changed = 0;
    const gdt = this.tables.gdt;
    if (changed & CHANGED_GDT) {
      for (let i = 0; i < GDT_ENTRIES; i++) {
        if (isHostGdtEntry(i)) continue;
        gdt[i * 2] = pages.gdt[i * 2];
        gdt[i * 2 + 1] = pages.gdt[i * 2 + 1];
      }
    } else if (changed & CHANGED_GDT_TLS) {
      for (let i = GDT_ENTRY_TLS_MIN; i < GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES; i++) {
        gdt[i * 2] = pages.gdt[i * 2];
        gdt[i * 2 + 1] = pages.gdt[i * 2 + 1];
      }
    }
    // A descriptor may have changed under a loaded selector: reload every segment on entry, as the
    // real Switcher does on every entry anyway.
    if (changed & (CHANGED_GDT | CHANGED_GDT_TLS)) {
      this.#loaded.fill(-1);
      this.#gdtCache.invalidate();
    }
    if (changed & CHANGED_IDT) this.#copyIdt(pages);
  }

  /**
   * Direct traps get the guest's gate; every other vector is an exit whose gate carries only the
   * guest's DPL, so the CPU still makes the `int n` privilege check (§6.5): 0x1F has DPL 1, and
   * vectors the guest left empty (including 2, 8 and 15, which it cannot set) DPL 0.
   */
  #copyIdt(pages: LguestPages): void {
    const idt = this.tables.idt;
    const bits = this.#exitBits;
    const seen = this.#guestIdt;
    const guest = pages.idt;
    // A new system-call vector changes which gate may be direct: redo everything then too.
    const all = !this.#idtCopied || pages.syscallVector !== this.#idtSyscallVector;
    let exitsChanged = false;
    for (let v = 0; v < IDT_ENTRIES; v++) {
      const lo = guest[v * 2];
      const hi = guest[v * 2 + 1];
      if (!all && lo === seen[v * 2] && hi === seen[v * 2 + 1]) continue;
      seen[v * 2] = lo;
      seen[v * 2 + 1] = hi;
      const word = v >>> 5;
      const bit = 1 << (v & 31);
      const before = bits[word];
      if (this.#directTraps && isDirectTrap(v, hi, pages.syscallVector)) {
        idt[v * 2] = lo;
        idt[v * 2 + 1] = hi;
        bits[word] = before & ~bit;
      } else {
        const dpl = v === LGUEST_TRAP_ENTRY ? GUEST_PL << 13 : hi & GATE_HI_DPL_MASK;
        idt[v * 2] = LGUEST_GATE_LO_SELECTOR;
        idt[v * 2 + 1] = 0x8e00 | dpl;
        bits[word] = before | bit;
      }
      if (bits[word] !== before) exitsChanged = true;
    }
    if (all || exitsChanged) this.cpu.setExitVectors(bits);
    this.#idtSyscallVector = pages.syscallVector;
    this.#idtCopied = true;
  }

  #loadSegments(regs: Uint32Array): boolean {
    const cpu = this.cpu;
    const gdt = this.#gdtCache;
    const loaded = this.#loaded;
    const cs = regs[LGUEST_REG_CS] & 0xffff;
    const ss = regs[LGUEST_REG_SS] & 0xffff;
    const cpl = cs & 3;
    if (cs !== loaded[0] || ss !== loaded[1]) {
      const oldCpl = loaded[0] < 0 ? -1 : loaded[0] & 3;
      loaded[0] = -1;
      loaded[1] = -1;
      if (!loadCodeAndStack(cpu, gdt, cs, ss)) {
        loaded.fill(-1);
        return false;
      }
      loaded[0] = cs;
      loaded[1] = ss;
      // A data segment usable at the old CPL stays usable at the same or an inner one (the Host's
      // frame for a trap from user mode): only one nulled for its privilege, or a move outwards,
      // needs the checks again.
      for (let i = 0; i < 4; i++) {
        if (oldCpl < 0 || cpl > oldCpl || (this.#nulledForPrivilege & (1 << i)) !== 0) loaded[2 + i] = -1;
      }
    }
    for (let i = 0; i < 4; i++) {
      const sel = regs[DATA_FRAME_WORDS[i]] & 0xffff;
      if (sel === loaded[2 + i]) continue;
      const result = loadDataSegment(cpu, gdt, DATA_SEGMENTS[i], sel, cpl);
      if (result === DATA_FAULT) return false;
      if (result === DATA_NULLED) this.#nulledForPrivilege |= 1 << i;
      else this.#nulledForPrivilege &= ~(1 << i);
      loaded[2 + i] = sel;
    }
    return true;
  }

  #saveSegments(regs: Uint32Array): void {
    const cpu = this.cpu;
    const loaded = this.#loaded;
    const cs = cpu.getSelector(SEG_CS);
    const ss = cpu.getSelector(SEG_SS);
    regs[LGUEST_REG_CS] = cs;
    regs[LGUEST_REG_SS] = ss;
    loaded[0] = cs;
    loaded[1] = ss;
    for (let i = 0; i < 4; i++) {
      const sel = cpu.getSelector(DATA_SEGMENTS[i]);
      regs[DATA_FRAME_WORDS[i]] = sel;
      loaded[2 + i] = sel;
    }
  }
}
