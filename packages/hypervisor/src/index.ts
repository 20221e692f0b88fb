/** @lguest/hypervisor — not implemented yet; see README.md. */
export {};
