/**
 * `@lguest/launcher`: the `lguest` program. So far: its command line.
 */
export { type LauncherIo, main } from './main.js';
export { type LaunchOptions, type ParsedCommandLine, parseCommandLine, USAGE } from './options.js';
export { VERSION } from './version.js';
