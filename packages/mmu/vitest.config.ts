import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

export default defineProject({
  resolve: {
    // The package's own name resolves to its sources, so tests and README examples import it as users do.
    alias: { '@lguest/mmu': fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // CI machines are small and shared: a fuzz or conformance batch may take a while under load.
    testTimeout: 120_000,
  },
});
