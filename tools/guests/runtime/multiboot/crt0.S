/*
 * Entry of every bare-metal multiboot program, and its multiboot v1 header. The loader finds the
 * header (4-byte aligned, within the first 8 KiB of the file: the linker script puts it first in the
 * first segment), loads the ELF by its program headers and jumps to e_entry in flat 32-bit
 * protected mode, CPL 0, interrupts off, EAX = 0x2BADB002, EBX = multiboot information. The loader's
 * GDT may be gone by then (the multiboot spec says GDTR may be invalid), so before any segment load
 * the runtime installs its own: null, flat code 0x08, flat data 0x10.
 */
	/* Names the file symbol ourselves: otherwise it is gcc's random temporary name, and the image
	   bytes would differ from build to build. */
	.file "crt0.S"
#define MB_MAGIC 0x1BADB002
/* Flags: bit 0 = align modules on pages, bit 1 = provide memory information. Bit 16 (the a.out
   address fields) stays clear: the image is ELF and is loaded by its program headers. */
#define MB_FLAGS 0x00000003

	.section .multiboot, "a"
	.balign 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .text.entry, "ax"
	.globl _start
	.type _start, @function
_start:
	cli
	movl $mb_stack_top, %esp
	movl %eax, %esi		/* keep the loader's magic; ebx (info) survives the code below */

	lgdt gdt_pointer
	ljmp $0x08, $1f
1:	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	movw %ax, %ss

	/* Zero .bss (a multiboot loader zeroes it too, but a test harness might not). */
	cld
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorl %eax, %eax
	rep stosb

	xorl %ebp, %ebp
	pushl %ebx
	pushl %esi
	call mb_start
	/* mb_start never returns. */
2:	cli
	hlt
	jmp 2b
	.size _start, . - _start

	/* The accessed bits (type 0xB, 0x3) are preset so the CPU never needs to write the table. */
	.section .rodata
	.balign 8
gdt:
	.quad 0				/* 0x00: null */
	.quad 0x00CF9B000000FFFF	/* 0x08: code, base 0, limit 4 GiB, DPL 0, 32-bit */
	.quad 0x00CF93000000FFFF	/* 0x10: data, base 0, limit 4 GiB, DPL 0, writable */
gdt_end:
	.balign 4
	.word 0
gdt_pointer:
	.word gdt_end - gdt - 1
	.long gdt

	.section .bss
	.balign 16
mb_stack:
	.skip 16384
mb_stack_top:

	.section .note.GNU-stack, "", @progbits
