/**
 * Runs the TypeScript examples of a package's README, so a README never shows code that does not
 * work. Each ```ts block is written next to the package (so its imports resolve exactly as a user's
 * would: `@lguest/<name>` through the package's vitest alias, other packages through the workspace)
 * and imported; an example proves itself with `node:assert`.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The ```ts code blocks of a markdown text, in order. */
export function typescriptBlocks(markdown: string): string[] {
  const blocks: string[] = [];
  const fence = /^```ts\n([\s\S]*?)^```/gm;
  for (let m = fence.exec(markdown); m !== null; m = fence.exec(markdown)) blocks.push(m[1]);
  return blocks;
}

/** Imports every ```ts block of `<packageDir>/README.md`; resolves to how many ran. */
export async function runReadmeExamples(packageDir: URL): Promise<number> {
  const dir = fileURLToPath(packageDir);
  const blocks = typescriptBlocks(readFileSync(join(dir, 'README.md'), 'utf8'));
  if (blocks.length === 0) throw new Error(`${dir}README.md has no \`\`\`ts example`);
  for (let i = 0; i < blocks.length; i++) {
    const file = join(dir, `.readme-example-${i}.ts`);
    writeFileSync(file, blocks[i]);
    try {
      await import(/* @vite-ignore */ `${pathToFileURL(file).href}?t=${Date.now()}`);
    } finally {
      rmSync(file, { force: true });
    }
  }
  return blocks.length;
}
