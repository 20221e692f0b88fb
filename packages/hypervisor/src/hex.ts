/** Formatting for kill reasons: guest numbers as unsigned hexadecimal (`0xfffff000`). */
export function hex(value: number): string {
  return `0x${(value >>> 0).toString(16)}`;
}
