// Entry points of the injected decryptor (see stub_main.cc and docs/PROTECTION.md), as
// file-scope assembly (the project enables no ASM language).
// The blob starts with two fixed-offset entries and the patch area the tool fills in:
//   +0   exe entry: e_entry of a protected executable points here
//   +16  lib entry: DT_INIT of a protected shared object points here
//   +32  patch area (struct StubPatch in stub_layout.h), found by its magic "LICETSB1"
//
// licet_stub_exe_entry: process entry (from ld.so, or from the kernel for static
// executables): %rsp points at argc, %rdx holds the function ld.so wants registered with
// atexit. Both are preserved; StubRunExe returns the address of the original entry.
// licet_stub_lib_entry: DT_INIT of a shared object, called as init(argc, argv, envp).
// licet_stub_clone(flags, stack_top): clone(2) without libc; the child starts on
// stack_top, where the caller stored {fn, arg}, calls fn(arg) and ends the thread with
// exit (not exit_group). The parent gets the thread id or -errno.
__asm__(R"(
        .section .text.licet_start, "ax", @progbits
        .globl licet_stub_start
        .hidden licet_stub_start
licet_stub_start:
        jmp licet_stub_exe_entry
        .balign 16, 0xcc
        jmp licet_stub_lib_entry
        .balign 16, 0xcc
        .globl licet_stub_patch
        .hidden licet_stub_patch
licet_stub_patch:
        .ascii "LICETSB1"
        .fill 120, 1, 0

        .text
        .type licet_stub_exe_entry, @function
licet_stub_exe_entry:
        mov %rdx, %r12
        mov %rsp, %r13
        mov %rsp, %rdi
        and $-16, %rsp
        call StubRunExe
        mov %r13, %rsp
        mov %r12, %rdx
        xor %r12d, %r12d
        xor %r13d, %r13d
        jmp *%rax

        .type licet_stub_lib_entry, @function
licet_stub_lib_entry:
        jmp StubRunLib

        .globl licet_stub_clone
        .hidden licet_stub_clone
        .type licet_stub_clone, @function
licet_stub_clone:
        xor %edx, %edx
        xor %r10d, %r10d
        xor %r8d, %r8d
        mov $56, %eax
        syscall
        test %rax, %rax
        jnz 1f
        pop %rax
        pop %rdi
        and $-16, %rsp
        call *%rax
        mov $60, %eax
        xor %edi, %edi
        syscall
        hlt
1:      ret


)");
