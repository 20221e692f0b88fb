/**
 * #GP emulation (spec §6.9): what the guest kernel may execute at CPL 1 although it faults — port I/O
 * (there are no ports: IN reads all ones, OUT is dropped), a stray `cli`, and the `mov %cr4, r32`
 * a 3.18 guest executes before it has an IDT (reads 0). Called by trap handling (`traps.ts`) for a
 * #GP with error code 0 at CPL 1; anything else is reflected to the guest.
 */
import {
  GP_IN_BYTE_RESULT,
  GP_IN_DWORD_RESULT,
  GP_IN_WORD_RESULT,
  GP_MOV_FROM_CR,
  GP_MOV_FROM_CR4_LENGTH,
  GP_OPCODE_CLI,
  GP_OPCODE_IN_DX,
  GP_OPCODE_IN_IMM8,
  GP_PREFIX_OPSIZE,
  isMovFromCr4,
  LGUEST_REG_EAX,
  LGUEST_REG_EIP,
  LGUEST_REG_OF_X86_REG,
  portInstructionLength,
} from '@lguest/abi';
import type { Vcpu } from './vcpu.js';

/** The instruction byte at guest-virtual `vaddr`, through the guest's page tables (a bad address kills). */
function codeByte(vcpu: Vcpu, vaddr: number): number {
  const guest = vcpu.guest;
  const gpa = guest.mmu.guestPa(vaddr >>> 0);
  return guest.dead ? 0 : guest.memory.read8(gpa);
}

/** Emulates the instruction at eip if §6.9 allows; true when done (eip advanced). */
export function emulateInstruction(vcpu: Vcpu): boolean {
  const regs = vcpu.pages.regs;
  const eip = regs[LGUEST_REG_EIP];
  let op = codeByte(vcpu, eip);
  if (vcpu.guest.dead) return false;
  if (op === GP_OPCODE_CLI) {
    regs[LGUEST_REG_EIP] = (eip + 1) >>> 0;
    return true;
  }
  if (op === GP_MOV_FROM_CR[0]) {
    if (codeByte(vcpu, eip + 1) !== GP_MOV_FROM_CR[1]) return false;
    const modrm = codeByte(vcpu, eip + 2);
    if (vcpu.guest.dead || !isMovFromCr4(modrm)) return false;
    regs[LGUEST_REG_OF_X86_REG[modrm & 7]] = 0;
    regs[LGUEST_REG_EIP] = (eip + GP_MOV_FROM_CR4_LENGTH) >>> 0;
    return true;
  }
  let prefix = 0;
  if (op === GP_PREFIX_OPSIZE) {
    prefix = 1;
    op = codeByte(vcpu, eip + 1);
  }
  const length = portInstructionLength(op);
  if (length === 0 || vcpu.guest.dead) return false;
  const base = op & 0xfe;
  if (base === GP_OPCODE_IN_IMM8 || base === GP_OPCODE_IN_DX) {
    const eax = regs[LGUEST_REG_EAX];
    if ((op & 1) === 0) regs[LGUEST_REG_EAX] = (eax | GP_IN_BYTE_RESULT) >>> 0;
    else if (prefix) regs[LGUEST_REG_EAX] = (eax | GP_IN_WORD_RESULT) >>> 0;
    else regs[LGUEST_REG_EAX] = GP_IN_DWORD_RESULT;
  }
  regs[LGUEST_REG_EIP] = (eip + length + prefix) >>> 0;
  return true;
}
