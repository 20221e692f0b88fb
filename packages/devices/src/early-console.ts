/**
 * The early console (spec §9.6): before virtio is up the guest prints by NOTIFYing the gpa of a
 * NUL-terminated string (at most 16 characters from Linux). A NOTIFY value below `guest_limit` that
 * is neither a descriptor nor a vring is such a string. The bus reads it with this and hands it to
 * whoever prints it (the Launcher writes it to stdout).
 */
import type { GuestMemory } from '@lguest/abi';

/**
 * The bytes of the string at `gpa`, up to (not including) its NUL, never reading at or past `limit`
 * (the reference bounds the string by `guest_limit − gpa`). A copy: the guest reuses its stack. An
 * address outside guest memory gives an empty string.
 */
export function readEarlyConsoleString(memory: GuestMemory, gpa: number, limit: number): Uint8Array {
  gpa >>>= 0;
  const end = Math.min(limit, memory.limit);
  if (!(gpa < end)) return new Uint8Array(0);
  const text = memory.bytes.subarray(gpa, end);
  const nul = text.indexOf(0);
  return text.slice(0, nul < 0 ? text.length : nul);
}
