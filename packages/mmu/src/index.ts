/** @lguest/mmu — not implemented yet; see README.md. */
export {};
