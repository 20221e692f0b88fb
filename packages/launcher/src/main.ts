/**
 * The `lguest` program's entry: parse the command line, then boot. Returns the exit status, so the
 * same function serves the bin and tests.
 */
import { parseCommandLine, USAGE } from './options.js';
import { VERSION } from './version.js';

/** Where the Launcher writes; tests pass their own. */
export interface LauncherIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

const processIo: LauncherIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** Runs the Launcher on `argv` (without node and script names); resolves to the exit status. */
export async function main(argv: readonly string[], io: LauncherIo = processIo): Promise<number> {
  const parsed = parseCommandLine(argv);
  switch (parsed.kind) {
    case 'help':
      io.stdout(`${USAGE}\n`);
      return 0;
    case 'version':
      io.stdout(`lguest ${VERSION}\n`);
      return 0;
    case 'error':
      io.stderr(`lguest: ${parsed.message}\n${USAGE}\n`);
      return 1;
    case 'launch':
      // The Host and the loaders are not part of this release; say so instead of pretending.
      io.stderr('lguest: booting a guest needs the Host, which is not implemented yet\n');
      return 1;
  }
}
