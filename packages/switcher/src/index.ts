/** @lguest/switcher — not implemented yet; see README.md. */
export {};
