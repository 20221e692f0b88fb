/*
 * Stage 1 of the linux-walk bzImage: the protected-mode part the Launcher loads at 1 MiB and enters
 * at code32_start (spec §8.2), playing Linux 3.18's decompressor as §14.1 step 1 describes it. CPL 1,
 * linear mode, esi = 0 (boot_params). KEEP_SEGMENTS is set, so no segment register is loaded; the
 * 4-byte `scratch` field of boot_params is a one-word stack for learning our own address; `popf` of 0
 * (which leaves IF alone at CPL 1); a backward `rep movsl` copies this stage to the top of the
 * decompression buffer; its BSS is cleared; the kernel stage is unpacked (a run-length code written by
 * mkbzimage.py) to 16 MiB and entered with esi still 0. No hypercalls, no faults.
 *
 * Linked at 0: every address below is an offset, added to the load address (ebp) or the relocated
 * copy's address (ebx), so the code runs wherever it is.
 *
 * Payload code: a control byte c < 0x80 is followed by c + 1 literal bytes; c >= 0x80 by one byte to
 * repeat (c & 0x7F) + 3 times.
 */
#include "layout.h"

	.file "decompress.S"
	.section .text, "ax"
	.code32
	.globl startup
startup:
	testb $KEEP_SEGMENTS, BP_LOADFLAGS(%esi)
	jnz 1f
	ud2				/* a loader that wants segments reloaded is not lguest's */
1:	leal (BP_SCRATCH + 4)(%esi), %esp	/* scratch is the stack: the call writes 0x1E4 */
	call 2f
2:	popl %ebp
	subl $2b, %ebp			/* ebp = where we were loaded (0x100000) */

	/* The relocated copy sits at the top of the buffer, page-aligned below pref + init_size. */
	movl $(PHYSICAL_START + INIT_SIZE), %ebx
	subl $reloc_size, %ebx
	andl $~0xFFF, %ebx
	leal boot_stack_end(%ebx), %esp
	pushl $0
	popfl				/* EFLAGS := 0; at CPL 1 IF is simply left as it was */

	/* Backward copy, as the destination is above the source: DF set, then cleared. */
	pushl %esi
	leal (copy_end - 4)(%ebp), %esi
	leal (copy_end - 4)(%ebx), %edi
	movl $copy_end, %ecx
	shrl $2, %ecx
	std
	rep movsl
	cld
	popl %esi
	leal relocated(%ebx), %eax
	jmp *%eax

relocated:
	leal bss_start(%ebx), %edi
	leal bss_end(%ebx), %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	pushl %esi
	leal payload(%ebx), %esi
	leal payload_end(%ebx), %edx
	movl $PHYSICAL_START, %edi
3:	cmpl %edx, %esi
	jae 6f
	movzbl (%esi), %ecx
	incl %esi
	testb $0x80, %cl
	jnz 4f
	incl %ecx
	rep movsb
	jmp 3b
4:	andl $0x7F, %ecx
	addl $3, %ecx
	lodsb
	rep stosb
	jmp 3b
6:	popl %esi			/* esi = 0 again: boot_params for the kernel */
	movl $PHYSICAL_START, %eax
	jmp *%eax

	.section .rodata, "a"
	.balign 4
	.globl payload
payload:
	.incbin "build/linux-walk/kernel.rle"
payload_end:
	.balign 4
copy_end:

	.section .bss, "aw", @nobits
	.balign 4
bss_start:
boot_stack:
	.skip 4096
boot_stack_end:
bss_end:

	.section .note.GNU-stack, "", @progbits
