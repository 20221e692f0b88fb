/**
 * The seam between the CPU core and the x87 unit (`fpu/x87.ts`). The core decodes ESC opcodes
 * (D8–DF), applies #NM (CR0.EM or CR0.TS) and #MF (a pending unmasked exception before a waiting
 * instruction, CR0.NE) and hands the instruction to the unit with an {@link X87Host} whose memory
 * accessors do the core's own checks (segment limits were applied to the address; paging is checked
 * on access) and throw the core's fault sentinel.
 */

/** What the x87 unit calls back into. */
export interface X87Host {
  read8(linear: number): number;
  read16(linear: number): number;
  read32(linear: number): number;
  write8(linear: number, v: number): void;
  write16(linear: number, v: number): void;
  write32(linear: number, v: number): void;
  /** For FCMOVcc. */
  readEflags(): number;
  /** FCOMI/FUCOMI family: ZF, PF, CF set; OF, SF, AF cleared. */
  setCompareFlags(zf: boolean, pf: boolean, cf: boolean): void;
  /** FNSTSW AX. */
  writeAx(value: number): void;
}

/** The x87 unit as the core uses it (implemented by `X87` in `fpu/x87.ts`). */
export interface X87Unit {
  /** FNINIT state. */
  reset(): void;
  /** Executes ESC `opcode` with `modrm`; returns 0, or 6 for an invalid encoding (#UD). */
  execute(opcode: number, modrm: number, linear: number, operand32: boolean, host: X87Host): number;
  /** Whether the instruction checks for pending unmasked exceptions first. */
  isWaiting(opcode: number, modrm: number): boolean;
  readonly exceptionPending: boolean;
  /**
   * Whether the instruction records the last-instruction pointers (not the control instructions).
   * Optional: without it the core uses its own list.
   */
  updatesPointers?(opcode: number, modrm: number): boolean;
  lastIp: number;
  lastCs: number;
  lastDp: number;
  lastDs: number;
  lastOpcode: number;
}
