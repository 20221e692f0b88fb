/**
 * Kernel images built as bytes, for the loader's tests (no committed binaries): a minimal ELF32 i386
 * executable and a bzImage with a chosen setup header. Used only by `*.test.ts` in this package; each
 * builder takes overrides so a test can spoil exactly one field.
 */
import { SETUP_HEADER_LAYOUT, SETUP_HEADER_MAGIC } from '@lguest/abi';

/** One program header of a test ELF. */
export interface TestSegment {
  readonly type?: number;
  readonly paddr: number;
  /** File bytes (default: `filesz` bytes of 0x90). */
  readonly data?: Uint8Array;
  readonly filesz?: number;
  readonly memsz?: number;
  /** Force `p_offset` (default: where the builder puts the data). */
  readonly offset?: number;
}

/** Fields of a test ELF; every header field can be overridden. */
export interface TestElf {
  readonly entry?: number;
  readonly segments?: readonly TestSegment[];
  readonly type?: number;
  readonly machine?: number;
  readonly eiClass?: number;
  readonly phentsize?: number;
  /** Force `e_phnum` (default: the number of segments). */
  readonly phnum?: number;
}

const ELF_HEADER_SIZE = 52;

/** An ELF32 little-endian i386 executable; by default one 4 KiB PT_LOAD at 1 MiB, entered at its start. */
export function buildElf(spec: TestElf = {}): Uint8Array {
  const segments = spec.segments ?? [{ paddr: 0x10_0000, filesz: 0x1000, memsz: 0x2000 }];
  const phentsize = spec.phentsize ?? 32;
  const tableEnd = ELF_HEADER_SIZE + segments.length * phentsize;
  const datas = segments.map((s) => s.data ?? new Uint8Array(s.filesz ?? 0x100).fill(0x90));
  let size = tableEnd;
  const offsets = datas.map((d) => {
    const at = size;
    size += d.length;
    return at;
  });
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, spec.eiClass ?? 1, 1, 1]);
  view.setUint16(16, spec.type ?? 2, true);
  view.setUint16(18, spec.machine ?? 3, true);
  view.setUint32(20, 1, true);
  view.setUint32(24, spec.entry ?? segments[0]?.paddr ?? 0, true);
  view.setUint32(28, ELF_HEADER_SIZE, true);
  view.setUint16(40, ELF_HEADER_SIZE, true);
  view.setUint16(42, phentsize, true);
  view.setUint16(44, spec.phnum ?? segments.length, true);
  segments.forEach((s, i) => {
    const at = ELF_HEADER_SIZE + i * phentsize;
    view.setUint32(at, s.type ?? 1, true);
    view.setUint32(at + 4, s.offset ?? offsets[i], true);
    view.setUint32(at + 8, s.paddr, true);
    view.setUint32(at + 12, s.paddr, true);
    view.setUint32(at + 16, s.filesz ?? datas[i].length, true);
    view.setUint32(at + 20, s.memsz ?? datas[i].length, true);
    bytes.set(datas[i], offsets[i]);
  });
  return bytes;
}

/** Fields of a test bzImage's setup header; a field is written only if the protocol version has it, unless forced. */
export interface TestBzImage {
  /** Boot protocol version, e.g. 0x020d for 2.13 (default). */
  readonly version?: number;
  /** The raw `setup_sects` byte (default 31, as the 3.18 image). */
  readonly setupSects?: number;
  /** Bytes of protected-mode part (default 0x2000). */
  readonly payloadSize?: number;
  /** `syssize` (default: the payload size in 16-byte units, rounded up). */
  readonly syssize?: number;
  readonly loadflags?: number;
  readonly code32Start?: number;
  readonly cmdlineSize?: number;
  readonly prefAddress?: bigint;
  readonly initSize?: number;
  /** Replace the "HdrS" magic. */
  readonly magic?: number;
}

/** A bzImage: setup sectors with the header, then the protected-mode part (bytes 0xB0 0x01 …). */
export function buildBzImage(spec: TestBzImage = {}): Uint8Array {
  const H = SETUP_HEADER_LAYOUT;
  const version = spec.version ?? 0x020d;
  const rawSects = spec.setupSects ?? 31;
  const sects = rawSects === 0 ? 4 : rawSects;
  const payloadSize = spec.payloadSize ?? 0x2000;
  const setupBytes = (sects + 1) * 512;
  const bytes = new Uint8Array(setupBytes + payloadSize);
  const view = new DataView(bytes.buffer);
  bytes[H.setupSects.offset] = rawSects;
  view.setUint32(H.syssize.offset, spec.syssize ?? Math.ceil(payloadSize / 16), true);
  view.setUint16(H.bootFlag.offset, 0xaa55, true);
  view.setUint32(H.header.offset, spec.magic ?? SETUP_HEADER_MAGIC, true);
  view.setUint16(H.version.offset, version, true);
  bytes[H.loadflags.offset] = spec.loadflags ?? 0x01;
  view.setUint32(H.code32Start.offset, spec.code32Start ?? 0x10_0000, true);
  if (version >= 0x0206) view.setUint32(H.cmdlineSize.offset, spec.cmdlineSize ?? 2047, true);
  if (version >= 0x020a) {
    view.setBigUint64(H.prefAddress.offset, spec.prefAddress ?? 0x100_0000n, true);
    view.setUint32(H.initSize.offset, spec.initSize ?? 0x37_6000, true);
  }
  for (let i = setupBytes; i < bytes.length; i++) bytes[i] = (i - setupBytes) & 0xff;
  return bytes;
}
