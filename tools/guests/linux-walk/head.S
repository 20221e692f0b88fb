/*
 * Entry of the linux-walk kernel stage, unpacked by decompress.S at 16 MiB physical and linked at
 * PAGE_OFFSET + 16 MiB (spec §14.1 steps 2-3, §14.8 items 1-2). startup_32 runs in linear mode at
 * physical addresses (symbol - PAGE_OFFSET); lguest_entry makes LGUEST_INIT and the first NEW_PGTABLE
 * and jumps to C (kernel.c) at the virtual address. Also here: the trap and interrupt entry stubs, the
 * iret routine whose store/pop/iret is the 8-byte noirq window of lguest_data (§6.3, §14.6), and the
 * user program kernel.c runs at CPL 3.
 */
#include "layout.h"

#define PA(x) ((x) - PAGE_OFFSET)

	.file "head.S"
	.section .text.head, "ax"
	.globl startup_32
startup_32:
	testb $KEEP_SEGMENTS, BP_LOADFLAGS(%esi)
	jnz 1f
	ud2				/* segment reloads are for native boots */
1:	movl $PA(init_stack_top), %esp
	cld
	movl $PA(__bss_start), %edi
	movl $PA(__bss_end), %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	/* boot_params (4096 bytes) and the command line (2048 bytes) into the kernel's own copies. */
	movl $PA(boot_params), %edi
	movl $1024, %ecx
	rep movsl
	movl PA(boot_params + BP_CMD_LINE_PTR), %esi
	testl %esi, %esi
	jz 2f
	movl $PA(boot_command_line), %edi
	movl $512, %ecx
	rep movsl
2:
	/* initial_page_table: 0 ... (end + 1 MiB rounded up to 4 MiB) identity and at PAGE_OFFSET;
	   PTEs 0x003 in page_tables, PDEs 0x063. */
	movl $PA(boot_page_tables), %edi
	movl $0x003, %eax		/* first PTE: page 0, P|RW */
	movl $PA(initial_page_table), %edx
3:	leal 0x063(%edi), %ecx
	movl %ecx, (%edx)
	movl %ecx, (PAGE_OFFSET >> 20)(%edx)
	addl $4, %edx
	movl $1024, %ecx
4:	stosl
	addl $0x1000, %eax
	loop 4b
	cmpl $(PA(_end) + 0x100000 + 0x003), %eax
	jb 3b
	movl %eax, PA(boot_mapped_end)
	movl $PA(fixmap_boot_table) + 0x063, %eax
	movl %eax, PA(initial_page_table) + 0xFFC

	/* The subarch test: hdr.version >= 0x207, hardware_subarch 1 = lguest. */
	cmpw $0x207, PA(boot_params + BP_VERSION)
	jb 5f
	cmpl $1, PA(boot_params + BP_HARDWARE_SUBARCH)
	jne 5f
	jmp lguest_entry
5:	ud2

lguest_entry:
	movl $1, %eax			/* LGUEST_INIT(gpa of lguest_data) */
	movl $PA(lguest_data), %ebx
	xorl %ecx, %ecx
	xorl %edx, %edx
	xorl %esi, %esi
	int $0x1f
	movl $4, %eax			/* NEW_PGTABLE(gpa of initial_page_table): linear mode ends */
	movl $PA(initial_page_table), %ebx
	int $0x1f
	movl $init_stack_top, %esp
	movl $lguest_init, %eax
	jmp *%eax

/* Exception entry: every vector pushes an error code (0 where the Host pushes none) and its number,
   then the common path saves the registers and calls trap_dispatch(frame). */
	.text
#define TRAP_NOERR(n) .globl trap_##n; trap_##n: pushl $0; pushl $n; jmp trap_common
#define TRAP_ERR(n) .globl trap_##n; trap_##n: pushl $n; jmp trap_common
TRAP_NOERR(0)
TRAP_NOERR(1)
TRAP_NOERR(2)
TRAP_NOERR(3)
TRAP_NOERR(4)
TRAP_NOERR(5)
TRAP_NOERR(6)
TRAP_NOERR(7)
TRAP_ERR(8)
TRAP_NOERR(9)
TRAP_ERR(10)
TRAP_ERR(11)
TRAP_ERR(12)
TRAP_ERR(13)
TRAP_ERR(14)
TRAP_NOERR(15)
TRAP_NOERR(16)
TRAP_ERR(17)
TRAP_NOERR(19)
TRAP_NOERR(0x80)

/* Interrupt entries 0x20-0xFF: 16-byte stubs, vector v at irq_stubs + 16 * (v - 0x20). */
	.balign 16
	.globl irq_stubs
irq_stubs:
	.set vec, 0x20
	.rept 224
	.balign 16
	pushl $0
	pushl $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

trap_common:
	pushl %eax
	pushl %ecx
	pushl %edx
	pushl %ebx
	pushl %ebp
	pushl %esi
	pushl %edi
	pushl %esp
	call trap_dispatch
	addl $4, %esp
	popl %edi
	popl %esi
	popl %ebp
	popl %ebx
	popl %edx
	popl %ecx
	popl %eax
	addl $8, %esp			/* vector and error code */
	/* The lguest iret: irq_enabled := saved EFLAGS inside the noirq window, then the real iret. */
	.globl lguest_iret
lguest_iret:
	pushl %eax
	movl 12(%esp), %eax
	.globl lguest_noirq_start
lguest_noirq_start:
	movl %eax, %ss:lguest_data
	popl %eax
	iret
	.globl lguest_noirq_end
lguest_noirq_end:

	.section .bss.stack, "aw", @nobits
	.balign 4096
	.globl init_stack
init_stack:
	.skip 8192
	.globl init_stack_top
init_stack_top:


/* The user program (§14.5): copied by the kernel into the page it maps at USER_CODE on demand, so
   it refers to itself only relatively or through UADDR. Linux system-call numbers: 4 write, 20 getpid,
   48 signal, 88 reboot, 158 sched_yield, 243 set_thread_area. */
#define USER_CODE 0x08048000
#define USER_DATA 0x0804A000
#define UADDR(x) (USER_CODE + ((x) - user_start))
#define UWRITE(msg) movl $4, %eax; movl $1, %ebx; movl $UADDR(msg), %ecx; movl $(msg##_end - msg), %edx; int $0x80

	.section .rodata.user, "a"
	.globl user_start, user_end
user_start:
	UWRITE(u_hello)
	movl $0x600DF00D, USER_DATA		/* first write to the data page: a demand fault */
	movl $20, %eax				/* getpid */
	int $0x80
	cmpl $1, %eax
	jne 1f
	UWRITE(u_pid)
1:	movl 0xBFFF0000, %eax			/* the [vvar] page, mapped by the exec batch */
	cmpl $0x76766172, %eax
	jne 2f
	UWRITE(u_vvar)
2:	pushl $0x51				/* user_desc: flags (32-bit, pages, usable) */
	pushl $0xFFFFF				/* limit */
	pushl $USER_DATA			/* base */
	pushl $-1				/* entry_number: any free */
	movl $243, %eax				/* set_thread_area */
	movl %esp, %ebx
	int $0x80
	movl (%esp), %eax
	leal 3(, %eax, 8), %eax
	movl %eax, %gs
	movl %gs:0, %eax
	addl $16, %esp
	cmpl $0x600DF00D, %eax
	jne 3f
	UWRITE(u_tls)
3:	xorl %eax, %eax
	cpuid
	rdtsc
	movl %eax, %esi
	rdtsc
	UWRITE(u_cpuid)
	fninit					/* TS is set: #NM, reflected from CPL 3 */
	fld1
	movl $158, %eax				/* sched_yield: a context switch away and back */
	int $0x80
	fld1					/* the FPU owner was switched out: #NM again */
	faddp
	fistpl USER_DATA + 4
	cmpl $2, USER_DATA + 4
	jne 4f
	UWRITE(u_fpu)
4:	movl $48, %eax				/* signal(SIGSEGV, handler) */
	movl $11, %ebx
	movl $UADDR(u_segv), %ecx
	int $0x80
	inb $0x60, %al				/* port I/O at CPL 3: #GP → SIGSEGV */
	UWRITE(u_survived)
u_segv:
	UWRITE(u_handler)
	movl $88, %eax				/* reboot(magic, magic2, POWER_OFF) */
	movl $0xfee1dead, %ebx
	movl $672274793, %ecx
	movl $0x4321FEDC, %edx
	int $0x80
5:	jmp 5b

u_hello: .ascii "init: hello from user space (CPL 3)\n"
u_hello_end:
u_pid: .ascii "init: getpid() = 1\n"
u_pid_end:
u_vvar: .ascii "init: [vvar] page readable\n"
u_vvar_end:
u_tls: .ascii "init: set_thread_area, %gs = 0x33: TLS read ok\n"
u_tls_end:
u_cpuid: .ascii "init: CPUID and RDTSC ran at CPL 3\n"
u_cpuid_end:
u_fpu: .ascii "init: FPU state survived a context switch (1 + 1 = 2)\n"
u_fpu_end:
u_survived: .ascii "init: port I/O at CPL 3 did not fault\n"
u_survived_end:
u_handler: .ascii "init: SIGSEGV handler reached, powering off\n"
u_handler_end:
user_end:

	.section .note.GNU-stack, "", @progbits
