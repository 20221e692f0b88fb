#!/usr/bin/env python3
"""Structural checks of built guest images, run by check.sh on every committed image.

Proves, without running them, what the Launcher and a multiboot loader rely on: an ELF32 i386
executable whose PT_LOAD segments sit at 1 MiB and up with gva = gpa, an entry point inside loaded
code; for multiboot-*.elf a valid multiboot v1 header in the first 8 KiB; for lguest-*.elf an
lguest_data with the initial image the Host expects at LGUEST_INIT (spec §4, §3.3, §3.5) and entry
code whose first hypercall is LGUEST_INIT of that lguest_data. Prints one line per check; exits 1 if any
check failed.
"""

import os
import struct
import sys

ELF_HEADER = struct.Struct("<16sHHIIIIIHHHHHH")
PROGRAM_HEADER = struct.Struct("<IIIIIIII")
SECTION_HEADER = struct.Struct("<IIIIIIIIII")
SYMBOL = struct.Struct("<IIIBBH")

PT_LOAD = 1
PF_X = 1
SHT_SYMTAB = 2
ONE_MIB = 0x100000
MAX_IMAGE_BYTES = 64 * 1024
MULTIBOOT_MAGIC = 0x1BADB002
MULTIBOOT_SEARCH = 8192
MULTIBOOT_KNOWN_FLAGS = 0x3  # page-aligned modules, memory information
LGUEST_DATA_SIZE = 1392
SWITCHER_ADDR = 0xFFC00000  # the spec's recommended switcher_addr for an emulating host (§5.4)


class Image:
    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        with open(path, "rb") as f:
            self.data = f.read()
        self.failures = 0

    def check(self, ok, what):
        print(f"  {'ok  ' if ok else 'FAIL'} {what}")
        if not ok:
            self.failures += 1
        return ok

    def u32(self, offset):
        return struct.unpack_from("<I", self.data, offset)[0]


def elf_checks(img):
    d = img.data
    if not img.check(len(d) >= ELF_HEADER.size and d[:4] == b"\x7fELF", "ELF magic"):
        return None
    (ident, e_type, e_machine, e_version, e_entry, e_phoff, e_shoff, _flags, e_ehsize, e_phentsize,
     e_phnum, e_shentsize, e_shnum, _shstrndx) = ELF_HEADER.unpack_from(d, 0)
    img.check(ident[4] == 1 and ident[5] == 1, "ELFCLASS32, little-endian")
    img.check(e_type == 2 and e_machine == 3, "ET_EXEC for EM_386")
    img.check(e_phentsize == 32 and 1 <= e_phnum <= 2048, f"{e_phnum} program headers of 32 bytes")
    img.check(len(d) <= MAX_IMAGE_BYTES, f"size {len(d)} bytes (at most {MAX_IMAGE_BYTES})")
    if not img.check(e_phoff + e_phnum * e_phentsize <= len(d), "program headers inside the file"):
        return None

    loads = []
    for i in range(e_phnum):
        p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, _align = PROGRAM_HEADER.unpack_from(
            d, e_phoff + i * e_phentsize)
        if p_type != PT_LOAD:
            continue
        loads.append((p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags))
        span = f"PT_LOAD {i}: gpa {p_paddr:#x}..{p_paddr + p_memsz:#x} ({p_filesz} bytes from file)"
        img.check(p_paddr >= ONE_MIB and p_paddr + p_memsz < 1 << 32, f"{span} at or above 1 MiB")
        img.check(p_vaddr == p_paddr, f"PT_LOAD {i}: vaddr = paddr (linear / paging off)")
        img.check(p_filesz <= p_memsz and p_offset + p_filesz <= len(d), f"PT_LOAD {i}: file bytes in range")
    img.check(len(loads) > 0, f"{len(loads)} PT_LOAD segment(s)")
    for a in range(len(loads)):
        for b in range(a + 1, len(loads)):
            pa, pb = loads[a], loads[b]
            img.check(pa[2] + pa[4] <= pb[2] or pb[2] + pb[4] <= pa[2], f"PT_LOAD {a} and {b} do not overlap")

    entry_ok = any(p[5] & PF_X and p[2] <= e_entry < p[2] + p[3] for p in loads)
    img.check(entry_ok, f"entry {e_entry:#x} inside an executable loaded segment")

    symbols = {}
    if e_shoff and e_shentsize == SECTION_HEADER.size and e_shoff + e_shnum * e_shentsize <= len(d):
        sections = [SECTION_HEADER.unpack_from(d, e_shoff + i * e_shentsize) for i in range(e_shnum)]
        for sh in sections:
            if sh[1] == SHT_SYMTAB:
                strtab = sections[sh[6]]
                for off in range(sh[4], sh[4] + sh[5], SYMBOL.size):
                    st_name, st_value, st_size, _info, _other, _shndx = SYMBOL.unpack_from(d, off)
                    start = strtab[4] + st_name
                    name = d[start:d.index(b"\0", start)].decode()
                    symbols[name] = (st_value, st_size)
    return {"entry": e_entry, "loads": loads, "symbols": symbols}


def file_offset(elf, addr, length):
    """File offset of [addr, addr+length) when it lies in a segment's file-backed part, else None."""
    for p_offset, _vaddr, p_paddr, p_filesz, _memsz, _flags in elf["loads"]:
        if p_paddr <= addr and addr + length <= p_paddr + p_filesz:
            return p_offset + addr - p_paddr
    return None


def multiboot_checks(img, elf):
    d = img.data
    found = None
    for off in range(0, min(len(d), MULTIBOOT_SEARCH) - 11, 4):
        if img.u32(off) == MULTIBOOT_MAGIC:
            found = off
            break
    if not img.check(found is not None, f"multiboot magic {MULTIBOOT_MAGIC:#x} 4-aligned in the first 8 KiB"):
        return
    flags, checksum = img.u32(found + 4), img.u32(found + 8)
    img.check((MULTIBOOT_MAGIC + flags + checksum) & 0xFFFFFFFF == 0,
              f"header at file offset {found:#x}: flags {flags:#x}, checksum {checksum:#x} sums to 0")
    img.check(flags & (1 << 16) == 0, "flags bit 16 clear: loaded by ELF program headers")
    img.check(flags & 0xFFFF & ~MULTIBOOT_KNOWN_FLAGS == 0, "no required feature beyond bits 0-1")
    in_segment = any(p[0] <= found and found + 12 <= p[0] + p[3] for p in elf["loads"])
    img.check(in_segment, "header inside a loaded segment")


def lguest_checks(img, elf):
    sym = elf["symbols"].get("lguest_data")
    if not img.check(sym is not None, "symbol lguest_data present"):
        return
    addr, size = sym
    img.check(size == LGUEST_DATA_SIZE, f"lguest_data at gpa {addr:#x}, {size} bytes (spec: {LGUEST_DATA_SIZE})")
    img.check(addr % 4 == 0, "lguest_data 4-byte aligned")
    off = file_offset(elf, addr, LGUEST_DATA_SIZE)
    if not img.check(off is not None, "lguest_data initialised in the file (not .bss)"):
        return
    block = img.data[off:off + LGUEST_DATA_SIZE]
    img.check(block[24:88] == b"\xff" * 64, "hcall_status[64] all 0xFF (async ring empty)")
    kernel_address, syscall_vec = struct.unpack_from("<II", block, 1384)
    noirq_start, noirq_end = struct.unpack_from("<II", block, 1376)
    img.check(syscall_vec == 0x80, f"syscall_vec {syscall_vec:#x} = 0x80")
    img.check(kernel_address < SWITCHER_ADDR, f"kernel_address {kernel_address:#x} below the Switcher region")
    img.check(noirq_start <= noirq_end, f"noirq window [{noirq_start:#x}, {noirq_end:#x})")

    # The first hypercall the entry code makes must be LGUEST_INIT(&lguest_data): mov $1,%eax and
    # mov $lguest_data,%ebx, both before the first int $0x1f.
    code_off = file_offset(elf, elf["entry"], 64)
    if not img.check(code_off is not None, "64 bytes of entry code in the file"):
        return
    code = img.data[code_off:code_off + 64]
    trap = code.find(b"\xcd\x1f")
    eax = code.find(b"\xb8\x01\x00\x00\x00")
    ebx = code.find(b"\xbb" + struct.pack("<I", addr))
    img.check(0 <= eax < trap and 0 <= ebx < trap,
              "first int $0x1f is LGUEST_INIT (eax = 1) with ebx = gpa of lguest_data")


def bzimage_checks(img):
    """The setup header of the linux-walk bzImage: boot protocol 2.13 with Linux 3.18's values (spec §8.2),
    a protected-mode part of syssize paragraphs, and a payload and decompression buffer that fit."""
    d = img.data
    if not img.check(len(d) > 0x264 and d[0x202:0x206] == b"HdrS", "setup header magic HdrS at 0x202"):
        return
    setup_sects = d[0x1F1]
    version, = struct.unpack_from("<H", d, 0x206)
    syssize, = struct.unpack_from("<I", d, 0x1F4)
    code32_start, = struct.unpack_from("<I", d, 0x214)
    payload_offset, payload_length = struct.unpack_from("<II", d, 0x248)
    pref_address, = struct.unpack_from("<Q", d, 0x258)
    init_size, = struct.unpack_from("<I", d, 0x260)
    pm = (setup_sects + 1) * 512
    img.check(setup_sects == 31 and version == 0x020D, f"setup_sects {setup_sects}, version {version:#06x}")
    img.check(struct.unpack_from("<H", d, 0x1FE)[0] == 0xAA55, "boot_flag 0xAA55")
    img.check(d[0x211] == 0x01 and code32_start == ONE_MIB, f"loadflags {d[0x211]:#x}, code32_start {code32_start:#x}")
    img.check(d[0x234] == 0 and struct.unpack_from("<H", d, 0x236)[0] == 0, "not relocatable, xloadflags 0")
    img.check(struct.unpack_from("<I", d, 0x238)[0] == 2047, "cmdline_size 2047")
    img.check(syssize * 16 == len(d) - pm, f"syssize {syssize} paragraphs = the {len(d) - pm}-byte protected-mode part")
    img.check(payload_offset + payload_length <= len(d) - pm, f"payload {payload_offset:#x}+{payload_length:#x} inside it")
    img.check(pref_address == 0x1000000 and 0 < init_size <= 0x1000000,
              f"pref_address {pref_address:#x}, init_size {init_size:#x}")


def main(paths):
    failed = []
    for path in paths:
        img = Image(path)
        print(f"{img.name}:")
        if img.name.endswith(".bzImage"):
            bzimage_checks(img)
            if img.failures:
                failed.append(img.name)
            continue
        elf = elf_checks(img)
        if elf is not None:
            if img.name.startswith("multiboot-"):
                multiboot_checks(img, elf)
            elif img.name.startswith("lguest-"):
                lguest_checks(img, elf)
            else:
                img.check(False, "name starts with a known runtime (lguest-, multiboot-)")
        if img.failures:
            failed.append(img.name)
    if failed:
        print(f"guest images: structure check failed for {', '.join(failed)}")
        return 1
    print(f"guest images: structure of {len(paths)} image(s) checked")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
