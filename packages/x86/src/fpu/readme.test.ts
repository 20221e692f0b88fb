/**
 * Runs the ```ts examples of this directory's README.md. Until the integrator exports `X87` from the
 * package index, `@lguest/x86` is pointed at `./x87.js` for the run.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect, it } from 'vitest';
import { typescriptBlocks } from '../../../../tools/testing/readme.js';

it('runs the FPU README examples', async () => {
  const blocks = typescriptBlocks(readFileSync(new URL('./README.md', import.meta.url), 'utf8'));
  expect(blocks.length).toBeGreaterThan(0);
  for (let i = 0; i < blocks.length; i++) {
    const file = fileURLToPath(new URL(`./.readme-example-${i}.ts`, import.meta.url));
    writeFileSync(file, blocks[i].replace(/from '@lguest\/x86'/g, "from './x87.js'"));
    try {
      await import(/* @vite-ignore */ `${pathToFileURL(file).href}?t=${Date.now()}`);
    } finally {
      rmSync(file, { force: true });
    }
  }
});
