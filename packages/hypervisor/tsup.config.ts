import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/vcpu-worker.ts'],
  dts: { entry: 'src/index.ts' },
  format: ['esm'],
  target: 'node20',
  sourcemap: true,
  clean: true,
});
