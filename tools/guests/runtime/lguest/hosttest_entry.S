/*
 * The assembly half of the Host-test kit (hosttest.h): one entry stub per IDT vector, the common
 * trap path that saves the registers and calls lgt_dispatch() with a struct lgt_frame, the return
 * path whose last three instructions form the iret window of §6.3 (with lgt_noirq_spin, which runs
 * inside it), and the CPL 3 entry and exit (lgt_user_call, lgt_user_exit, lgt_user_return).
 */
	.file "hosttest_entry.S"

	.text
	/* 256 stubs, 16 bytes apart: the Host pushes an error code for vectors 8, 10-14 and 17 (§6.3);
	   for every other vector the stub pushes a 0 in its place, so every frame looks alike. */
	.balign 16
	.globl lgt_stubs
lgt_stubs:
	.set vec, 0
	.rept 256
	.balign 16
	.if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17)
	.else
	pushl $0
	.endif
	pushl $vec
	jmp lgt_trap_common
	.set vec, vec + 1
	.endr

lgt_trap_common:
	pushal
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	/* A trap from CPL 3 arrives with the user's data segments; the kit's C code wants its own. */
	movl $0x69, %eax
	mov %eax, %ds
	mov %eax, %es
	cld
	pushl %esp
	call lgt_dispatch
	addl $4, %esp
	popl %gs
	popl %fs
	popl %es
	popl %ds
	popal
	/* lgt_dispatch left the virtual IF to restore in the vector slot: swap it with eax. */
	xchgl %eax, (%esp)
	/* The iret window: from the store into irq_enabled through the iret no interrupt may be
	   injected (§6.3), or it would arrive with interrupts "on" but before the frame is gone. */
	.globl lgt_noirq_start
lgt_noirq_start:
	movl %eax, lguest_data
	popl %eax
	leal 4(%esp), %esp
	iret

	/* uint32_t lgt_noirq_spin(uint32_t n): inside the window too, so that a test can show that a
	   pending, unblocked interrupt with irq_enabled 0x200 is held back while eip is here. */
	.globl lgt_noirq_spin
lgt_noirq_spin:
	movl 4(%esp), %ecx
	movl $0x200, lguest_data
3:	decl %ecx
	jnz 3b
	movl lgt_irq_count, %eax
	ret
	.globl lgt_noirq_end
lgt_noirq_end:
	nop

	/* uint32_t lgt_user_call(uint32_t (*fn)(void)): iret to fn at CPL 3 on lgt_user_stack, whose
	   top holds lgt_user_exit as fn's return address. The kernel's callee-saved registers and
	   irq_enabled stay on this stack until lgt_user_return comes back to it. */
	.globl lgt_user_call
lgt_user_call:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	pushl lguest_data
	movl %esp, lgt_kernel_esp
	movl 24(%esp), %ecx
	movl $lgt_user_stack + 8192 - 4, %edx
	movl $lgt_user_exit, (%edx)
	movl $0x7b, %eax
	mov %eax, %ds
	mov %eax, %es
	xorl %eax, %eax
	mov %eax, %fs
	mov %eax, %gs
	pushl $0x7b
	pushl %edx
	pushfl
	pushl $0x73
	pushl %ecx
	iret

	/* Where a user function returns to: system call LGT_SYS_EXIT with its result. */
	.globl lgt_user_exit
lgt_user_exit:
	movl %eax, %ebx
	xorl %eax, %eax
	int $0x80
	ud2

	/* void lgt_user_return(uint32_t value): from the system-call handler at CPL 1; abandons the
	   trap frame on the ring-1 stack and returns value from lgt_user_call. */
	.globl lgt_user_return
lgt_user_return:
	movl 4(%esp), %eax
	movl lgt_kernel_esp, %esp
	movl $0x69, %ecx
	mov %ecx, %ds
	mov %ecx, %es
	popl lguest_data
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

	.section .note.GNU-stack, "", @progbits
