/** @lguest/devices — not implemented yet; see README.md. */
export {};
