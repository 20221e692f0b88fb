/** @lguest/gntalloc — not implemented yet; see README.md. */
export {};
