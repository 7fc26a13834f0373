import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import {
  copyFile,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  rmdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkKey, checkPrefix, type ObjectStorage } from './types.js';

/**
 * Objects as files under `dir` (the key is the relative path). Every write goes to a
 * temporary file beside its target and is then renamed (or, for putIfAbsent, hard-linked,
 * which fails when the target exists), so a reader or a crash never leaves half a file.
 * Names starting with a dot are those temporary files and are never listed. Failures name the
 * key and the error code, not the file's path (see `guarded`).
 */
export function createFsStorage({ dir }: { dir: string }): ObjectStorage {
  const pathOf = (key: string) => join(dir, checkKey(key));

  /** A temporary file beside `target` holding `body` (bytes, or a local file's path to copy). */
  async function writeTemp(target: string, body: Uint8Array | { path: string }): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      await mkdir(dirname(target), { recursive: true });
      const tmp = join(dirname(target), `.tmp-${randomBytes(6).toString('hex')}`);
      try {
        // A copy-on-write clone where the filesystem has them, else a kernel-side copy.
        if (body instanceof Uint8Array) await writeFile(tmp, body);
        else await copyFile(body.path, tmp, constants.COPYFILE_FICLONE);
        return tmp;
      } catch (err) {
        // A concurrent delete removed the directory as empty between the mkdir and the write.
        if (!isMissing(err) || attempt === 3) throw err;
      }
    }
  }

  async function replace(target: string, body: Uint8Array | { path: string }): Promise<void> {
    const tmp = await writeTemp(target, body);
    try {
      await rename(tmp, target);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
  }

  /**
   * Removes the directories a delete left empty, from `segments`' parent up to (not including)
   * the top-level one, so removed objects leave no empty folders behind. rmdir refuses a
   * directory that is not empty, which ends the climb.
   */
  async function pruneParents(segments: string[]): Promise<void> {
    for (let n = segments.length - 1; n >= 2; n--) {
      try {
        await rmdir(join(dir, ...segments.slice(0, n)));
      } catch {
        return;
      }
    }
  }

  async function walk(path: string, key: string, out: string[]): Promise<void> {
    let entries;
    try {
      entries = await readdir(path, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return; // none yet, or removed while listing
      throw err;
    }
    await Promise.all(
      entries
        .filter((e) => !e.name.startsWith('.'))
        .map((e) =>
          e.isDirectory() ? walk(join(path, e.name), `${key}${e.name}/`, out) : void out.push(`${key}${e.name}`),
        ),
    );
  }

  const storage: ObjectStorage = {
    location: `file:${dir}`,

    async put(key, body) {
      await replace(pathOf(key), body);
    },

    async putFile(key, path) {
      await replace(pathOf(key), { path });
    },

    async putIfAbsent(key, body) {
      const target = pathOf(key);
      const tmp = await writeTemp(target, body);
      try {
        await link(tmp, target);
        return true;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') return false;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
        // A filesystem without hard links: check, then rename. Not exclusive against another
        // writer in the same instant, but never a partial file.
        const taken = await stat(target).then(Boolean, () => false);
        if (taken) return false;
        await rename(tmp, target);
        return true;
      } finally {
        await rm(tmp, { force: true });
      }
    },

    async get(key) {
      try {
        return await readFile(pathOf(key));
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
    },

    async getStream(key) {
      let handle;
      try {
        handle = await open(pathOf(key), 'r');
      } catch (err) {
        if (isMissing(err)) return undefined;
        throw err;
      }
      // Size and bytes from one open file: a put renaming a new file over it meanwhile changes neither.
      try {
        const info = await handle.stat();
        if (!info.isFile()) {
          await handle.close();
          return undefined;
        }
        return { body: handle.createReadStream(), size: info.size };
      } catch (err) {
        await handle.close().catch(() => {});
        throw err;
      }
    },

    async list(prefix) {
      const out: string[] = [];
      await walk(join(dir, checkPrefix(prefix)), prefix, out);
      return out.sort();
    },

    async delete(key) {
      await unlink(pathOf(key)).catch((err: unknown) => {
        if (!isMissing(err)) throw err;
      });
      await pruneParents(key.split('/'));
    },

    async check() {
      // A real write, not a permission check (root passes those): a path that is a file, a
      // read-only mount or a full disk fails. Dot files are never listed.
      await mkdir(dir, { recursive: true });
      const probe = join(dir, `.ready-${randomBytes(6).toString('hex')}`);
      await writeFile(probe, 'ok');
      await unlink(probe);
    },

    async deletePrefix(prefix) {
      await rm(join(dir, checkPrefix(prefix)), { recursive: true, force: true });
      await pruneParents(prefix.slice(0, -1).split('/'));
    },
  };
  return guarded(storage);
}

/**
 * The storage with every failure replaced by one that names the key and the error code only:
 * Node's messages carry the absolute path ("ENOTDIR: not a directory, mkdir '/srv/…'"), and
 * these errors reach job errors and logs that clients may see. The original stays as `cause`.
 */
function guarded(storage: ObjectStorage): ObjectStorage {
  const wrap =
    <A extends unknown[], R>(action: string, run: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await run(...args);
      } catch (err) {
        throw storageFailure(action, typeof args[0] === 'string' ? args[0] : undefined, err);
      }
    };
  return {
    location: storage.location,
    put: wrap('write', storage.put),
    putFile: wrap('write', storage.putFile),
    putIfAbsent: wrap('write', storage.putIfAbsent),
    get: wrap('read', storage.get),
    getStream: wrap('read', storage.getStream),
    list: wrap('list', storage.list),
    delete: wrap('delete', storage.delete),
    deletePrefix: wrap('delete', storage.deletePrefix),
    check: wrap('check', storage.check),
  };
}

/** An error saying what failed on which key, with the errno code kept (callers and tests match on it). */
export function storageFailure(action: string, key: string | undefined, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  // Key checks and our own errors carry no path: they pass as they are.
  if (typeof code !== 'string') return err instanceof Error ? err : new Error(String(err));
  const failure: NodeJS.ErrnoException = new Error(
    `storage could not ${action} ${key === undefined ? 'its directory' : JSON.stringify(key)}: ${code}`,
    { cause: err },
  );
  failure.code = code;
  return failure;
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR';
}
