/**
 * `--username=<user>` (spec §10.1 step 3): once the guest is set up, the Launcher gives up root —
 * supplementary groups, then the group, then the user, in that order (after the user change the
 * others would no longer be allowed). Called by `main` after `LHREQ_INITIALIZE` of the first boot.
 */
import { readFileSync } from 'node:fs';

/** A user's ids, from the password file. */
export interface UserIds {
  readonly uid: number;
  readonly gid: number;
}

/** Looks `username` up in `passwd` (the text of `/etc/passwd`). */
export function lookUpUser(username: string, passwd: string): UserIds | undefined {
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 4 && fields[0] === username) {
      const uid = Number(fields[2]);
      const gid = Number(fields[3]);
      if (Number.isInteger(uid) && Number.isInteger(gid)) return { uid, gid };
    }
  }
  return undefined;
}

/** Becomes `username` (initgroups, setgid, setuid); throws an Error saying what failed. */
export function dropPrivileges(username: string): void {
  const ids = lookUpUser(username, readFileSync('/etc/passwd', 'utf8'));
  if (ids === undefined) throw new Error(`cannot become ${username}: no such user`);
  try {
    const posix = process as NodeJS.Process & { initgroups?: (user: string, group: number) => void };
    posix.initgroups?.(username, ids.gid);
    process.setgid?.(ids.gid);
    process.setuid?.(ids.uid);
  } catch (error) {
    throw new Error(`cannot become ${username}: ${(error as Error).message}`);
  }
  if (process.getuid?.() !== ids.uid)
    throw new Error(`cannot become ${username}: still uid ${process.getuid?.()}`);
}
