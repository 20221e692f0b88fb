/**
 * What the Launcher checks in a kernel file before loading it (spec §8.2).
 *
 * A kernel is either an ELF `vmlinux` (loaded segment by segment at `p_paddr`) or a bzImage (the
 * protected-mode part loaded at 1 MiB). These are the values the spec pins; the Launcher's loader
 * uses them, and the setup-header offsets live in `boot-params.ts`.
 */

/** The four bytes an ELF file starts with: 0x7F 'E' 'L' 'F'. */
export const ELF_MAGIC: readonly number[] = [0x7f, 0x45, 0x4c, 0x46];
/** Required `e_type`: an executable. */
export const ET_EXEC = 2;
/** Required `e_machine`: i386. */
export const EM_386 = 3;
/** Required `e_phentsize`: a 32-bit program header. */
export const ELF32_PHDR_SIZE = 32;
/** Largest `e_phnum` the Launcher accepts (at least 1). */
export const ELF_MAX_PHNUM = 2048;
/** Program-header type of a loadable segment. */
export const PT_LOAD = 1;

/** Sector size of a bzImage's real-mode part: the protected-mode part starts at `(setup_sects + 1) * 512`. */
export const BZIMAGE_SECTOR_SIZE = 512;
/** Where the Launcher loads a bzImage's protected-mode part (and its usual `code32_start`). */
export const BZIMAGE_LOAD_ADDRESS = 0x10_0000;
