/**
 * The table-driven decoder: one description per opcode form, and the decode step that turns bytes at
 * CS:EIP into the CPU's decoded-instruction fields (prefixes, opcode, ModRM operand, immediates).
 *
 * {@link OPCODE_FORMS} describes each of the 512 opcodes (one-byte and `0F`-prefixed): whether it is
 * implemented, takes a ModRM byte, which immediates follow, and which EFLAGS bits it reads and writes.
 * The interpreter (`execute.ts`) uses the decoded fields; the tests and a later JIT use the table.
 */
import { type Cpu, REG_EBP, REG_EBX, REG_EDI, REG_ESI, REG_ESP, SEG_DS, SEG_SS } from './cpu.js';
import { storeDecoded } from './decode-cache.js';
import { VEC_UD } from './fault.js';
import { FLAG_AF, FLAG_CF, FLAG_DF, FLAG_IF, FLAG_OF, FLAG_PF, FLAG_SF, FLAG_ZF } from './flags.js';

/** The opcode is implemented (absent: #UD). */
export const F_VALID = 1 << 0;
/** A ModRM byte follows. */
export const F_MODRM = 1 << 1;
/** An 8-bit immediate (sign-extended into `imm`; the executor masks where it is unsigned). */
export const F_IMM8 = 1 << 2;
/** A 16- or 32-bit immediate by operand size. */
export const F_IMMV = 1 << 3;
/** A 16-bit immediate. */
export const F_IMM16 = 1 << 4;
/** A memory offset of the address size (MOV moffs). */
export const F_MOFFS = 1 << 5;
/** A far pointer: offset of the operand size, then a 16-bit selector (in `imm2`). */
export const F_FAR = 1 << 6;
/** Group 3 (F6/F7): an immediate follows only for TEST (reg 0 and 1). */
export const F_GROUP3 = 1 << 7;
/** The operand is a byte. */
export const F_BYTE = 1 << 8;
/** A prefix byte. */
export const F_PREFIX = 1 << 9;

const OSZAPC = FLAG_OF | FLAG_SF | FLAG_ZF | FLAG_AF | FLAG_PF | FLAG_CF;
const OSZAP = OSZAPC & ~FLAG_CF;

/** One entry per opcode (index 0x100 + n for `0F n`): F_* bits. */
export const OPCODE_FORMS = new Uint16Array(512);
/** EFLAGS bits each opcode may read. */
export const FLAGS_READ = new Uint16Array(512);
/** EFLAGS bits each opcode may write. */
export const FLAGS_WRITTEN = new Uint16Array(512);

function def(ops: number | readonly number[], form: number, read = 0, written = 0): void {
  for (const op of typeof ops === 'number' ? [ops] : ops) {
    OPCODE_FORMS[op] = form | F_VALID;
    FLAGS_READ[op] = read;
    FLAGS_WRITTEN[op] = written;
  }
}

function range(from: number, to: number): number[] {
  const out: number[] = [];
  for (let i = from; i <= to; i++) out.push(i);
  return out;
}

// ALU blocks 00–3F: Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Iv.
for (let alu = 0; alu < 8; alu++) {
  const base = alu << 3;
  const reads = alu === 2 || alu === 3 ? FLAG_CF : 0;
  def(base, F_MODRM | F_BYTE, reads, OSZAPC);
  def(base + 1, F_MODRM, reads, OSZAPC);
  def(base + 2, F_MODRM | F_BYTE, reads, OSZAPC);
  def(base + 3, F_MODRM, reads, OSZAPC);
  def(base + 4, F_IMM8 | F_BYTE, reads, OSZAPC);
  def(base + 5, F_IMMV, reads, OSZAPC);
}
def([0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e, 0x1f], 0);
def([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3], F_PREFIX);
def([0x27, 0x2f], 0, FLAG_CF | FLAG_AF, OSZAPC);
def([0x37, 0x3f], 0, FLAG_AF, OSZAPC);
def(range(0x40, 0x4f), 0, 0, OSZAP);
def(range(0x50, 0x5f), 0);
def([0x60, 0x61], 0);
def(0x62, F_MODRM);
def(0x63, F_MODRM, 0, FLAG_ZF);
def(0x68, F_IMMV);
def(0x69, F_MODRM | F_IMMV, 0, OSZAPC);
def(0x6a, F_IMM8);
def(0x6b, F_MODRM | F_IMM8, 0, OSZAPC);
def([0x6c, 0x6e], F_BYTE, FLAG_DF);
def([0x6d, 0x6f], 0, FLAG_DF);
def(range(0x70, 0x7f), F_IMM8, OSZAPC);
def([0x80, 0x82], F_MODRM | F_IMM8 | F_BYTE, FLAG_CF, OSZAPC);
def(0x81, F_MODRM | F_IMMV, FLAG_CF, OSZAPC);
def(0x83, F_MODRM | F_IMM8, FLAG_CF, OSZAPC);
def(0x84, F_MODRM | F_BYTE, 0, OSZAPC);
def(0x85, F_MODRM, 0, OSZAPC);
def([0x86, 0x88, 0x8a], F_MODRM | F_BYTE);
def([0x87, 0x89, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f], F_MODRM);
def(range(0x90, 0x99), 0);
def(0x9a, F_FAR);
def(0x9b, 0);
def(0x9c, 0, 0xffff);
def(0x9d, 0, 0, 0xffff);
def(0x9e, 0, 0, OSZAPC & ~FLAG_OF);
def(0x9f, 0, OSZAPC & ~FLAG_OF);
def([0xa0, 0xa2], F_MOFFS | F_BYTE);
def([0xa1, 0xa3], F_MOFFS);
def([0xa4, 0xaa, 0xac], F_BYTE, FLAG_DF);
def([0xa5, 0xab, 0xad], 0, FLAG_DF);
def(0xa6, F_BYTE, FLAG_DF, OSZAPC);
def(0xa7, 0, FLAG_DF, OSZAPC);
def(0xae, F_BYTE, FLAG_DF, OSZAPC);
def(0xaf, 0, FLAG_DF, OSZAPC);
def(0xa8, F_IMM8 | F_BYTE, 0, OSZAPC);
def(0xa9, F_IMMV, 0, OSZAPC);
def(range(0xb0, 0xb7), F_IMM8 | F_BYTE);
def(range(0xb8, 0xbf), F_IMMV);
def(0xc0, F_MODRM | F_IMM8 | F_BYTE, FLAG_CF, OSZAPC);
def(0xc1, F_MODRM | F_IMM8, FLAG_CF, OSZAPC);
def([0xc2, 0xca], F_IMM16);
def([0xc3, 0xcb, 0xc9], 0);
def([0xc4, 0xc5], F_MODRM);
def(0xc6, F_MODRM | F_IMM8 | F_BYTE);
def(0xc7, F_MODRM | F_IMMV);
def(0xc8, F_IMM16 | F_IMM8);
def(0xcc, 0);
def(0xcd, F_IMM8);
def(0xce, 0, FLAG_OF);
def(0xcf, 0, 0, 0xffff);
def([0xd0, 0xd2], F_MODRM | F_BYTE, FLAG_CF, OSZAPC);
def([0xd1, 0xd3], F_MODRM, FLAG_CF, OSZAPC);
def([0xd4, 0xd5], F_IMM8, 0, OSZAPC);
def(0xd6, 0, FLAG_CF);
def(0xd7, 0);
def(range(0xd8, 0xdf), F_MODRM, FLAG_CF | FLAG_ZF | FLAG_PF, FLAG_CF | FLAG_ZF | FLAG_PF);
def(range(0xe0, 0xe2), F_IMM8, FLAG_ZF);
def(0xe3, F_IMM8);
def([0xe4, 0xe6], F_IMM8 | F_BYTE);
def([0xe5, 0xe7], F_IMM8);
def([0xe8, 0xe9], F_IMMV);
def(0xea, F_FAR);
def(0xeb, F_IMM8);
def([0xec, 0xee], F_BYTE);
def([0xed, 0xef], 0);
def(0xf1, 0, 0, FLAG_IF);
def(0xf4, 0);
def(0xf5, 0, FLAG_CF, FLAG_CF);
def(0xf6, F_MODRM | F_GROUP3 | F_BYTE, 0, OSZAPC);
def(0xf7, F_MODRM | F_GROUP3, 0, OSZAPC);
def([0xf8, 0xf9], 0, 0, FLAG_CF);
def([0xfa, 0xfb], 0, 0, FLAG_IF);
def([0xfc, 0xfd], 0, 0, FLAG_DF);
def(0xfe, F_MODRM | F_BYTE, 0, OSZAP);
def(0xff, F_MODRM, 0, OSZAP);

// Two-byte opcodes (0F xx).
const T = 0x100;
def([T + 0x00, T + 0x01], F_MODRM, 0, FLAG_ZF);
def([T + 0x02, T + 0x03], F_MODRM, 0, FLAG_ZF);
def([T + 0x06, T + 0x08, T + 0x09, T + 0x0b], 0);
def(range(T + 0x18, T + 0x1f), F_MODRM); // hint NOPs (NOP Ev)
def(range(T + 0x20, T + 0x23), F_MODRM);
def(range(T + 0x30, T + 0x33), 0);
def(range(T + 0x40, T + 0x4f), F_MODRM, OSZAPC);
def(range(T + 0x80, T + 0x8f), F_IMMV, OSZAPC);
def(range(T + 0x90, T + 0x9f), F_MODRM | F_BYTE, OSZAPC);
def([T + 0xa0, T + 0xa1, T + 0xa2, T + 0xa8, T + 0xa9], 0);
def([T + 0xa3, T + 0xab, T + 0xb3, T + 0xbb], F_MODRM, 0, OSZAPC);
def([T + 0xa4, T + 0xac], F_MODRM | F_IMM8, FLAG_CF, OSZAPC);
def([T + 0xa5, T + 0xad], F_MODRM, FLAG_CF, OSZAPC);
def(T + 0xaf, F_MODRM, 0, OSZAPC);
def(T + 0xb0, F_MODRM | F_BYTE, 0, OSZAPC);
def(T + 0xb1, F_MODRM, 0, OSZAPC);
def([T + 0xb2, T + 0xb4, T + 0xb5], F_MODRM);
def([T + 0xb6, T + 0xbe], F_MODRM | F_BYTE);
def([T + 0xb7, T + 0xbf], F_MODRM);
def(T + 0xba, F_MODRM | F_IMM8, 0, OSZAPC);
def([T + 0xbc, T + 0xbd], F_MODRM, 0, OSZAPC);
def(T + 0xc0, F_MODRM | F_BYTE, 0, OSZAPC);
def(T + 0xc1, F_MODRM, 0, OSZAPC);
def(T + 0xc7, F_MODRM, 0, FLAG_ZF);
def(range(T + 0xc8, T + 0xcf), 0);

/**
 * Decodes the instruction at CS:EIP into the CPU's decoded fields and leaves EIP after it.
 * Raises #UD for an opcode the table does not implement and #GP(0) past 15 bytes.
 */
export function decode(c: Cpu): void {
  let o32 = c.code32;
  let a32 = c.code32;
  let seg = -1;
  let rep = 0;
  let lock = false;
  let b = c.fetch8();
  if ((OPCODE_FORMS[b] & F_PREFIX) === 0) {
    c.o32 = o32;
    c.a32 = a32;
    c.segOverride = -1;
    c.rep = 0;
    c.lock = false;
    decodeOpcode(c, b);
    return;
  }
  for (;;) {
    switch (b) {
      case 0x26:
        seg = 0;
        break;
      case 0x2e:
        seg = 1;
        break;
      case 0x36:
        seg = 2;
        break;
      case 0x3e:
        seg = 3;
        break;
      case 0x64:
        seg = 4;
        break;
      case 0x65:
        seg = 5;
        break;
      case 0x66:
        o32 = !c.code32;
        break;
      case 0x67:
        a32 = !c.code32;
        break;
      case 0xf0:
        lock = true;
        break;
      case 0xf2:
      case 0xf3:
        rep = b;
        break;
      default:
        c.o32 = o32;
        c.a32 = a32;
        c.segOverride = seg;
        c.rep = rep;
        c.lock = lock;
        decodeOpcode(c, b);
        return;
    }
    // Only redundant prefixes make an instruction longer than the 15-byte maximum.
    if (c.eip - c.instrStart >= 14) c.gp(0);
    b = c.fetch8();
  }
}

function decodeOpcode(c: Cpu, b: number): void {
  const op = b === 0x0f ? 0x100 | c.fetch8() : b;
  c.op = op;
  const form = OPCODE_FORMS[op];
  if ((form & F_VALID) === 0) c.raise(VEC_UD, -1);
  if (form & F_MODRM) decodeModrm(c);
  if (form & (F_IMM8 | F_IMMV | F_IMM16 | F_MOFFS | F_FAR | F_GROUP3)) decodeImmediates(c, form);
  storeDecoded(c, (form & F_MOFFS) !== 0 || ((form & F_MODRM) !== 0 && c.rm < 0));
}

function decodeImmediates(c: Cpu, form: number): void {
  if (form & F_IMM16) {
    c.imm = c.fetch16();
    if (form & F_IMM8) c.imm2 = c.fetch8();
    return;
  }
  if (form & F_IMM8) {
    c.imm = (c.fetch8() << 24) >> 24;
  } else if (form & F_IMMV) {
    c.imm = c.o32 ? c.fetch32() : c.fetch16();
  } else if (form & F_MOFFS) {
    c.eaBase = NO_REG;
    c.eaIndex = NO_REG;
    c.eaDisp = c.a32 ? c.fetch32() : c.fetch16();
    c.ea = c.eaDisp;
    c.eaSeg = c.segOverride >= 0 ? c.segOverride : SEG_DS;
  } else if (form & F_FAR) {
    c.imm = c.o32 ? c.fetch32() : c.fetch16();
    c.imm2 = c.fetch16();
  } else if (form & F_GROUP3) {
    if (c.reg < 2) c.imm = form & F_BYTE ? (c.fetch8() << 24) >> 24 : c.o32 ? c.fetch32() : c.fetch16();
  }
}

/** "No register" in an effective-address recipe. */
export const NO_REG = 8;

function decodeModrm(c: Cpu): void {
  const m = c.fetch8();
  c.modrm = m;
  c.reg = (m >> 3) & 7;
  const mod = m >> 6;
  const rm = m & 7;
  // MOV to/from CRn/DRn ignore ModRM.mod: the operand is always a register.
  if (mod === 3 || (c.op >= 0x120 && c.op <= 0x123)) {
    c.rm = rm;
    return;
  }
  c.rm = -1;
  let seg = SEG_DS;
  let base = NO_REG;
  let index = NO_REG;
  let scale = 0;
  let disp = 0;
  if (c.a32) {
    if (rm === 4) {
      const sib = c.fetch8();
      const b = sib & 7;
      const i = (sib >> 3) & 7;
      if (b === 5 && mod === 0) disp = c.fetch32();
      else {
        base = b;
        if (b === REG_ESP || b === REG_EBP) seg = SEG_SS;
      }
      if (i !== 4) {
        index = i;
        scale = sib >> 6;
      }
    } else if (rm === 5 && mod === 0) {
      disp = c.fetch32();
    } else {
      base = rm;
      if (rm === REG_EBP) seg = SEG_SS;
    }
    if (mod === 1) disp = (disp + ((c.fetch8() << 24) >> 24)) | 0;
    else if (mod === 2) disp = (disp + c.fetch32()) | 0;
  } else {
    switch (rm) {
      case 0:
        base = REG_EBX;
        index = REG_ESI;
        break;
      case 1:
        base = REG_EBX;
        index = REG_EDI;
        break;
      case 2:
        base = REG_EBP;
        index = REG_ESI;
        seg = SEG_SS;
        break;
      case 3:
        base = REG_EBP;
        index = REG_EDI;
        seg = SEG_SS;
        break;
      case 4:
        base = REG_ESI;
        break;
      case 5:
        base = REG_EDI;
        break;
      case 6:
        if (mod === 0) disp = c.fetch16();
        else {
          base = REG_EBP;
          seg = SEG_SS;
        }
        break;
      default:
        base = REG_EBX;
        break;
    }
    if (mod === 1) disp += (c.fetch8() << 24) >> 24;
    else if (mod === 2) disp += c.fetch16();
  }
  c.eaBase = base;
  c.eaIndex = index;
  c.eaScale = scale;
  c.eaDisp = disp;
  c.eaSeg = c.segOverride >= 0 ? c.segOverride : seg;
  computeEa(c);
}

/** Computes `c.ea` from the decoded recipe (base + index << scale + displacement) and the current registers. */
export function computeEa(c: Cpu): void {
  let ea = c.eaDisp;
  if (c.eaBase !== NO_REG) ea += c.regs[c.eaBase];
  if (c.eaIndex !== NO_REG) ea += c.regs[c.eaIndex] << c.eaScale;
  c.ea = c.a32 ? ea | 0 : ea & 0xffff;
}
