/**
 * The one error the Launcher's loading stage throws: a kernel, initrd or device file it cannot use,
 * or a memory size that does not fit. `main` prints its message as `lguest: <message>` and exits 1;
 * everything else that escapes is a bug in the Launcher.
 */

/** A file or a size the Launcher refuses, with a message that names the file and the offending value. */
export class LoadError extends Error {
  override name = 'LoadError';
  /** The file the problem is in, when there is one (the message names it already). */
  readonly file: string | undefined;

  constructor(message: string, file?: string) {
    super(file === undefined ? message : `${file}: ${message}`);
    this.file = file;
  }
}

/** `0x…` for messages; addresses and sizes read best in hex. */
export function hex(value: number): string {
  return `0x${value.toString(16)}`;
}
