#!/usr/bin/env python3
"""Packs the linux-walk guest into a bzImage (boot protocol 2.13, spec §8.2 / §14.8 item 1).

  mkbzimage.py compress kernel.bin kernel.rle
      The kernel stage's flat image, run-length coded the way decompress.S unpacks it: a control
      byte c < 0x80 is followed by c + 1 literal bytes; c >= 0x80 by one byte repeated (c & 0x7F) + 3
      times.
  mkbzimage.py image decompress.bin kernel.rle kernel.elf layout.h out.bzImage
      31 setup sectors after the boot sector, holding the setup header at 0x1F1 with the 3.18
      values, then the protected-mode part (decompress.bin, padded to 16 bytes). Checks that the
      kernel stage and the relocated decompressor fit in [pref_address, pref_address + init_size).
Called by the Makefile; the output depends only on its inputs.
"""

import re
import struct
import sys

SETUP_SECTS = 31
SECTOR = 512
PAGE_OFFSET_LINK = 0xC1000000


def compress(data):
    out = bytearray()
    literal = bytearray()

    def flush_literal():
        while literal:
            chunk = literal[:128]
            out.append(len(chunk) - 1)
            out.extend(chunk)
            del literal[:128]

    i = 0
    while i < len(data):
        run = 1
        while i + run < len(data) and data[i + run] == data[i] and run < 130:
            run += 1
        if run >= 3:
            flush_literal()
            out.append(0x80 | (run - 3))
            out.append(data[i])
            i += run
        else:
            literal.append(data[i])
            i += 1
    flush_literal()
    return bytes(out)


def decompress(code):
    out = bytearray()
    i = 0
    while i < len(code):
        c = code[i]
        i += 1
        if c < 0x80:
            out.extend(code[i:i + c + 1])
            i += c + 1
        else:
            out.extend(bytes([code[i]]) * ((c & 0x7F) + 3))
            i += 1
    return bytes(out)


def elf_memory_end(elf):
    """Highest vaddr + memsz over the PT_LOAD segments of an ELF32 file."""
    phoff, = struct.unpack_from("<I", elf, 28)
    phentsize, phnum = struct.unpack_from("<HH", elf, 42)
    end = 0
    for i in range(phnum):
        p_type, _off, vaddr, _paddr, _filesz, memsz, _flags, _align = struct.unpack_from(
            "<8I", elf, phoff + i * phentsize)
        if p_type == 1:
            end = max(end, vaddr + memsz)
    return end


def layout_value(text, name):
    return int(re.search(rf"#define {name} (0x[0-9A-Fa-f]+)", text).group(1), 16)


def image(pm, payload, elf, layout, out_path):
    layout_text = layout
    init_size = layout_value(layout_text, "INIT_SIZE")
    pref = layout_value(layout_text, "PHYSICAL_START")
    kernel_size = elf_memory_end(elf) - PAGE_OFFSET_LINK
    reloc = (len(pm) + 4096 + 4095) & ~4095  # the copy plus its 4 KiB BSS stack, page-rounded
    if kernel_size + reloc > init_size:
        sys.exit(f"mkbzimage: kernel stage ({kernel_size:#x}) and decompressor ({reloc:#x}) exceed init_size {init_size:#x}")
    offset = pm.find(payload)
    if offset < 0:
        sys.exit("mkbzimage: the payload is not inside the decompressor stage")
    pm = pm + b"\0" * (-len(pm) % 16)

    setup = bytearray((SETUP_SECTS + 1) * SECTOR)
    setup[0:30] = b"\xeb\xfe" + b"Use an lguest launcher.\r\n\0\0\0\0\0"[:28]
    struct.pack_into("<B", setup, 0x1F1, SETUP_SECTS)
    struct.pack_into("<I", setup, 0x1F4, len(pm) // 16)            # syssize
    struct.pack_into("<H", setup, 0x1FA, 0xFFFF)                    # vid_mode: normal
    struct.pack_into("<H", setup, 0x1FE, 0xAA55)                    # boot_flag
    setup[0x200:0x202] = b"\xeb\x66"                                # jump over the header
    setup[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", setup, 0x206, 0x020D)                    # version 2.13
    struct.pack_into("<B", setup, 0x211, 0x01)                      # loadflags: LOADED_HIGH
    struct.pack_into("<I", setup, 0x214, 0x100000)                  # code32_start
    struct.pack_into("<I", setup, 0x22C, 0x7FFFFFFF)                # initrd_addr_max
    struct.pack_into("<I", setup, 0x230, 0x200000)                  # kernel_alignment
    struct.pack_into("<B", setup, 0x234, 0)                         # relocatable_kernel
    struct.pack_into("<H", setup, 0x236, 0)                         # xloadflags
    struct.pack_into("<I", setup, 0x238, 2047)                      # cmdline_size
    struct.pack_into("<I", setup, 0x248, offset)                    # payload_offset
    struct.pack_into("<I", setup, 0x24C, len(payload))              # payload_length
    struct.pack_into("<Q", setup, 0x258, pref)                      # pref_address
    struct.pack_into("<I", setup, 0x260, init_size)                 # init_size
    with open(out_path, "wb") as f:
        f.write(bytes(setup) + pm)


def main(argv):
    if len(argv) == 4 and argv[1] == "compress":
        data = open(argv[2], "rb").read()
        code = compress(data)
        if decompress(code) != data:
            sys.exit("mkbzimage: the run-length code does not round-trip")
        open(argv[3], "wb").write(code)
    elif len(argv) == 7 and argv[1] == "image":
        pm, payload, elf = (open(p, "rb").read() for p in argv[2:5])
        image(pm, payload, elf, open(argv[5]).read(), argv[6])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
