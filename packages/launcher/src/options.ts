/**
 * The Launcher's command line, compatible with the reference `lguest` tool (spec §10.1):
 *
 *   lguest [--verbose|-v] [--block=<file>]… [--rng] [--initrd=<file>] [--username=<user>]
 *          <mem-in-MiB> <vmlinux|bzImage> [kernel args…]
 *
 * Like the original, the first argument that does not start with `-` is the memory size, so valued
 * options must be written `--opt=value`; long options may be shortened to any unambiguous prefix
 * (`--user`, `--verb`). Everything after the kernel file is the guest's command line.
 */

/** One device option, in the order it was given: devices are created in that order (§10.1). */
export type DeviceOption = { readonly kind: 'block'; readonly path: string } | { readonly kind: 'rng' };

/** What the command line asked for. */
export interface LaunchOptions {
  /** 0 quiet, 1 `--verbose`, 2 `-vv`. */
  readonly verbosity: number;
  /** The `--block` files, in order. */
  readonly blocks: readonly string[];
  /** True if `--rng` was given. */
  readonly rng: boolean;
  /** Every `--block` and `--rng`, in command-line order (each `--rng` adds an entropy device, as in the reference tool). */
  readonly devices: readonly DeviceOption[];
  readonly initrd: string | undefined;
  readonly username: string | undefined;
  readonly memoryMiB: number;
  readonly kernel: string;
  readonly kernelArgs: readonly string[];
}

/** The result of parsing: a launch, a request for help or the version, or a usage error. */
export type ParsedCommandLine =
  | { readonly kind: 'launch'; readonly options: LaunchOptions }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'error'; readonly message: string };

/** The usage text `--help` prints and every usage error ends with. */
export const USAGE = `Usage: lguest [--verbose|-v] [--block=<file>]... [--rng] [--initrd=<file>]
              [--username=<user>] <mem-in-MiB> <vmlinux|bzImage> [kernel args...]

Boots an i386 Linux guest built with CONFIG_LGUEST_GUEST=y (lguest bus, Linux 3.3-4.0).

Options:
  -v, --verbose          trace loading, devices and notifications (-vv: also every hypercall and trap)
      --block=<file>     add a virtio block device backed by <file> (repeatable)
      --rng              add a virtio entropy device fed from the host's randomness
      --initrd=<file>    load <file> as the initial ramdisk at the top of guest memory
      --username=<user>  drop privileges to <user> once the guest is set up
      --tunnet=...       networking (not available yet)
      --chroot=<dir>     not possible from Node.js
  -h, --help             show this text
  -V, --version          print the version
Long options may be abbreviated to any unambiguous prefix.`;

interface OptionSpec {
  readonly name: string;
  readonly value: boolean;
}

const LONG_OPTIONS: readonly OptionSpec[] = [
  { name: 'verbose', value: false },
  { name: 'block', value: true },
  { name: 'rng', value: false },
  { name: 'initrd', value: true },
  { name: 'username', value: true },
  { name: 'tunnet', value: true },
  { name: 'chroot', value: true },
  { name: 'help', value: false },
  { name: 'version', value: false },
];

/** Finds the long option `name` abbreviates, or says why it cannot. */
function matchLong(name: string): OptionSpec | string {
  const exact = LONG_OPTIONS.find((o) => o.name === name);
  if (exact) return exact;
  const candidates = LONG_OPTIONS.filter((o) => o.name.startsWith(name));
  if (candidates.length === 1) return candidates[0];
  if (candidates.length === 0) return `unrecognized option '--${name}'`;
  return `option '--${name}' is ambiguous (${candidates.map((c) => `--${c.name}`).join(', ')})`;
}

const MIB_PATTERN = /^[0-9]+$/;

/** Parses `argv` (without the node and script names). Never throws. */
export function parseCommandLine(argv: readonly string[]): ParsedCommandLine {
  let verbosity = 0;
  const blocks: string[] = [];
  const devices: DeviceOption[] = [];
  let rng = false;
  let initrd: string | undefined;
  let username: string | undefined;
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('-') || arg === '-') break;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      const value = eq < 0 ? undefined : arg.slice(eq + 1);
      const spec = matchLong(name);
      if (typeof spec === 'string') return { kind: 'error', message: spec };
      if (spec.value && value === undefined) {
        return { kind: 'error', message: `option '--${spec.name}' requires a value (--${spec.name}=...)` };
      }
      if (!spec.value && value !== undefined) {
        return { kind: 'error', message: `option '--${spec.name}' doesn't allow a value` };
      }
      switch (spec.name) {
        case 'verbose':
          verbosity++;
          break;
        case 'block':
          if (value === '') return { kind: 'error', message: "option '--block' needs a file name" };
          blocks.push(value as string);
          devices.push({ kind: 'block', path: value as string });
          break;
        case 'rng':
          rng = true;
          devices.push({ kind: 'rng' });
          break;
        case 'initrd':
          if (value === '') return { kind: 'error', message: "option '--initrd' needs a file name" };
          initrd = value;
          break;
        case 'username':
          username = value;
          break;
        case 'tunnet':
          return {
            kind: 'error',
            message: '--tunnet: networking is not available in this version of lguest',
          };
        case 'chroot':
          return {
            kind: 'error',
            message: '--chroot: changing the root directory is not possible from Node.js',
          };
        case 'help':
          return { kind: 'help' };
        case 'version':
          return { kind: 'version' };
      }
      continue;
    }
    // A bundle of short options: -v, -vv, -h, -V.
    for (const letter of arg.slice(1)) {
      if (letter === 'v') verbosity++;
      else if (letter === 'h') return { kind: 'help' };
      else if (letter === 'V') return { kind: 'version' };
      else return { kind: 'error', message: `invalid option -- '${letter}'` };
    }
  }
  const rest = argv.slice(i);
  if (rest.length < 2) {
    return { kind: 'error', message: 'expected <mem-in-MiB> and a kernel file' };
  }
  const [mem, kernel, ...kernelArgs] = rest;
  if (!MIB_PATTERN.test(mem) || Number(mem) === 0) {
    return { kind: 'error', message: `bad memory size '${mem}': give a whole number of MiB` };
  }
  return {
    kind: 'launch',
    options: {
      verbosity: Math.min(verbosity, 2),
      blocks,
      rng,
      devices,
      initrd,
      username,
      memoryMiB: Number(mem),
      kernel,
      kernelArgs,
    },
  };
}
