/**
 * The lguest pages of one vCPU: the register frame and the read-only state (the guest's GDT, IDT and
 * ring-1 stack) that the Switcher installs on every entry. In lguest these were two pages mapped at
 * the top of the guest's address space; here they live host-side and are never visible to the guest.
 *
 * The Host writes them (hypercalls, trap reflection) and marks what it changed with the "changed"
 * flags; the Switcher (`switcher.ts`) copies only the changed tables into the CPU before a run.
 */
import {
  FLAT_SEGMENT_LO,
  GDT_ENTRIES,
  GDT_ENTRY_KERNEL_CS,
  GDT_ENTRY_KERNEL_DS,
  IDT_ENTRIES,
  INITIAL_KERNEL_CS_HI,
  INITIAL_KERNEL_DS_HI,
  initialLguestRegs,
  LGUEST_REGS_COUNT,
  SYSCALL_VECTOR,
} from '@lguest/abi';

/** The guest IDT changed since the last run. */
export const CHANGED_IDT = 1;
/** A guest GDT entry outside the TLS entries changed. */
export const CHANGED_GDT = 2;
/** The TLS entries (6–8) changed. */
export const CHANGED_GDT_TLS = 4;
/** Everything: a fresh vCPU, or a Switcher that last ran another vCPU. */
export const CHANGED_ALL = CHANGED_IDT | CHANGED_GDT | CHANGED_GDT_TLS;

/** One vCPU's register frame and descriptor-table copies (lguest's `struct lguest_pages`). */
export class LguestPages {
  /** The register frame in `struct lguest_regs` order (`LGUEST_REG_*` from `@lguest/abi`). */
  readonly regs = new Uint32Array(LGUEST_REGS_COUNT);
  /** The guest's GDT as the Host keeps it (sanitised): `gdt[2*i]` low word, `gdt[2*i+1]` high word. */
  readonly gdt = new Uint32Array(GDT_ENTRIES * 2);
  /** The guest's IDT as `LOAD_IDT_ENTRY` stored it (§6.6), same layout, 256 gates. */
  readonly idt = new Uint32Array(IDT_ENTRIES * 2);
  /** The ring-1 stack for traps from user mode (`SET_STACK`): selector and top of stack. */
  ss1 = 0;
  esp1 = 0;
  /** The guest's virtual CR0.TS (§6.10). */
  ts = false;
  /** The guest's system-call vector (`lguest_data.syscall_vec`), the one vector ≥ 32 that may be a direct trap. */
  syscallVector = SYSCALL_VECTOR;
  /** `CHANGED_*` bits: tables the Switcher must copy in before the next run. */
  changed = CHANGED_ALL;
  /** CR2 of the last #PF exit. */
  cr2 = 0;

  /** The state right after `LHREQ_INITIALIZE` (§5.5), entering at `start`. */
  constructor(start: number) {
    initialLguestRegs(this.regs, start);
    this.gdt[GDT_ENTRY_KERNEL_CS * 2] = FLAT_SEGMENT_LO;
    this.gdt[GDT_ENTRY_KERNEL_CS * 2 + 1] = INITIAL_KERNEL_CS_HI;
    this.gdt[GDT_ENTRY_KERNEL_DS * 2] = FLAT_SEGMENT_LO;
    this.gdt[GDT_ENTRY_KERNEL_DS * 2 + 1] = INITIAL_KERNEL_DS_HI;
  }
}
