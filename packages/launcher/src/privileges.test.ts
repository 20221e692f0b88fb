/** `--username`: finding the user's ids in the password file (the drop itself is tested through the bin as root). */
import { describe, expect, it } from 'vitest';
import { lookUpUser } from './privileges.js';

describe('lookUpUser', () => {
  const passwd =
    'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\nbad:x:y:z\n';
  it('finds uid and gid by exact name', () => {
    expect(lookUpUser('nobody', passwd)).toEqual({ uid: 65534, gid: 65534 });
    expect(lookUpUser('root', passwd)).toEqual({ uid: 0, gid: 0 });
  });
  it('refuses unknown names, prefixes and malformed lines', () => {
    expect(lookUpUser('nob', passwd)).toBeUndefined();
    expect(lookUpUser('bad', passwd)).toBeUndefined();
    expect(lookUpUser('', passwd)).toBeUndefined();
  });
});
