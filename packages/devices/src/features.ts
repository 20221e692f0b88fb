/**
 * Feature negotiation on the lguest bus (spec §9.1, §9.2).
 *
 * A device descriptor carries two feature bitmaps of `feature_len` bytes each: the bits the host
 * offers and the bits the guest accepts (bit k is byte k/8, mask 1 << (k % 8)). The guest reads at
 * most 32 offered bits, so lguest.ts keeps a device's features as one unsigned 32-bit word. The bus
 * writes the offered bitmap when it places a device and reads the accepted one back when the guest
 * finalizes (the status-3 notification); devices only ever see the negotiated word.
 */
import { featureByte, type GuestMemory, LGUEST_MAX_FEATURE_BITS } from '@lguest/abi';

/** The word with only feature bit `bit` (0–31) set, as an unsigned 32-bit number. */
export function featureBit(bit: number): number {
  return (1 << bit) >>> 0;
}

/** True when `word` has feature bit `bit` set. */
export function hasFeature(word: number, bit: number): boolean {
  return bit >= 0 && bit < LGUEST_MAX_FEATURE_BITS && ((word >>> bit) & 1) === 1;
}

/** Bytes per bitmap needed to hold every set bit of `word` (0 when no feature is offered). */
export function featureLenFor(word: number): number {
  word >>>= 0;
  return word === 0 ? 0 : featureByte(31 - Math.clz32(word)) + 1;
}

/**
 * Writes the `len`-byte bitmap of `word` at `gpa` (bytes past the fourth are zero). False when a
 * write was dropped (the bus checks the whole descriptor fits before writing, so that is a host bug).
 */
export function writeFeatureBitmap(memory: GuestMemory, gpa: number, word: number, len: number): boolean {
  let ok = true;
  for (let i = 0; i < len; i++) {
    const byte = i < 4 ? (word >>> (8 * i)) & 0xff : 0;
    ok = memory.write8(gpa + i, byte) && ok;
  }
  return ok;
}

/** Reads the first 32 bits of the `len`-byte bitmap at `gpa` as a word (missing bytes read as 0). */
export function readFeatureBitmap(memory: GuestMemory, gpa: number, len: number): number {
  let word = 0;
  const bytes = Math.min(len, 4);
  for (let i = 0; i < bytes; i++) word |= memory.read8(gpa + i) << (8 * i);
  return word >>> 0;
}

/**
 * The features both sides agreed on: what the guest accepted, limited to what the host offered. A
 * guest may write any bits into its bitmap; a bit the host never offered means nothing (§9.1: of the
 * transport bits only INDIRECT_DESC and EVENT_IDX survive, and only if they were offered).
 */
export function negotiateFeatures(offered: number, accepted: number): number {
  return (offered & accepted) >>> 0;
}
