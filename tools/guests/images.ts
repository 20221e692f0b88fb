/**
 * Where tests find the project's own guest programs: the ELF images built by `pnpm guests` from
 * tools/guests/ and committed in tools/guests/images/. A test in a package imports this module by a
 * relative path (`../../../tools/guests/images.ts`) and hands the path to whatever loads guests — the
 * Launcher for `lguest-*` images, a multiboot loader or CPU test harness for `multiboot-*` images.
 */
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const imagesDir = fileURLToPath(new URL('./images/', import.meta.url));

/** Names of the images that exist, without `.elf` (e.g. `lguest-hello`), sorted. */
export function guestImageNames(): string[] {
  if (!existsSync(imagesDir)) return [];
  return readdirSync(imagesDir)
    .filter((file) => file.endsWith('.elf'))
    .map((file) => file.slice(0, -'.elf'.length))
    .sort();
}

/**
 * Absolute path of `tools/guests/images/<name>.elf`.
 *
 * @param name - `<runtime>-<program>`, e.g. `lguest-hello` or `multiboot-hello`.
 * @throws Error naming the image and how to build it when the name is malformed or the file is missing.
 */
export function guestImage(name: string): string {
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name)) {
    throw new Error(
      `guest image name "${name}" is not of the form <runtime>-<program> (e.g. "lguest-hello")`,
    );
  }
  const path = `${imagesDir}${name}.elf`;
  if (!existsSync(path)) {
    const known = guestImageNames();
    throw new Error(
      `guest image ${name}.elf not found in ${imagesDir} (built images: ${known.length ? known.join(', ') : 'none'}; ` +
        `add programs/<runtime>/<program>.c and run \`pnpm guests\`)`,
    );
  }
  return path;
}
