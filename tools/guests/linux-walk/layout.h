/*
 * Numbers shared by the two stages of the linux-walk bzImage (decompress.S, head.S, kernel.c) and
 * checked by mkbzimage.py: where the kernel stage lives (spec §8.2, §14.8 item 1: a non-relocatable
 * 3.18 kernel is placed at pref_address = CONFIG_PHYSICAL_START = 16 MiB and linked at PAGE_OFFSET +
 * 16 MiB) and how big the decompression buffer [pref_address, pref_address + init_size) is.
 */
#ifndef LINUX_WALK_LAYOUT_H
#define LINUX_WALK_LAYOUT_H

#define PAGE_OFFSET 0xC0000000
#define PHYSICAL_START 0x1000000
#define INIT_SIZE 0x100000
#define KEEP_SEGMENTS 0x40
#define BP_SCRATCH 0x1E4
#define BP_LOADFLAGS 0x211
#define BP_VERSION 0x206
#define BP_CMD_LINE_PTR 0x228
#define BP_HARDWARE_SUBARCH 0x23C

#endif
