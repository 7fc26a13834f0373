import { pack } from 'tar-stream';
import { ZipFile } from 'yazl';
import { crc32, gzipSync } from 'node:zlib';
import { encodePng } from './png.js';

/** Archives, CSV files and small images for the import tests, built in memory. */

/** A 28×28 grayscale PNG, white on black: a bar whose position tells the class apart. */
export function classPng(cls: number, variant = 0): Buffer {
  const data = new Uint8Array(28 * 28);
  for (let y = 4; y < 24; y++) for (let x = 0; x < 4; x++) data[y * 28 + ((cls * 5 + x + variant) % 28)] = 255;
  return encodePng({ width: 28, height: 28, channels: 1, data });
}

export interface ArchiveFile {
  path: string;
  data?: Buffer;
  /** tar only: a link to this target, or a directory. */
  type?: 'file' | 'directory' | 'symlink' | 'link';
  target?: string;
}

export async function makeZip(files: ArchiveFile[], opts: { compress?: boolean } = {}): Promise<Buffer> {
  const zip = new ZipFile();
  for (const f of files) {
    if (f.type === 'directory') zip.addEmptyDirectory(f.path);
    else if (f.type === 'symlink') zip.addBuffer(Buffer.from(f.target ?? ''), f.path, { mode: 0o120777 });
    else zip.addBuffer(f.data ?? Buffer.alloc(0), f.path, { compress: opts.compress ?? false });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const c of zip.outputStream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A ZIP of `count` stored one-byte files `c<i mod 2>/<i>.png`, written directly: yazl takes most
 * of a minute for 100,000 entries. Past 65,535 entries it ends with the ZIP64 records.
 */
export function makeManyEntryZip(count: number): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  const crc = crc32(Buffer.alloc(1));
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const name = Buffer.from(`c${i % 2}/${i}.png`);
    const local = Buffer.alloc(30 + name.length + 1);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(1, 18);
    local.writeUInt32LE(1, 22);
    local.writeUInt16LE(name.length, 26);
    name.copy(local, 30);
    const central = Buffer.alloc(46 + name.length);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(1, 20);
    central.writeUInt32LE(1, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    name.copy(central, 46);
    locals.push(local);
    centrals.push(central);
    offset += local.length;
  }
  const directory = Buffer.concat(centrals);
  const zip64 = count > 0xffff;
  const end64 = Buffer.alloc(zip64 ? 56 + 20 : 0);
  if (zip64) {
    end64.writeUInt32LE(0x06064b50, 0);
    end64.writeBigUInt64LE(44n, 4);
    end64.writeUInt16LE(45, 12);
    end64.writeUInt16LE(45, 14);
    end64.writeBigUInt64LE(BigInt(count), 24);
    end64.writeBigUInt64LE(BigInt(count), 32);
    end64.writeBigUInt64LE(BigInt(directory.length), 40);
    end64.writeBigUInt64LE(BigInt(offset), 48);
    end64.writeUInt32LE(0x07064b50, 56);
    end64.writeBigUInt64LE(BigInt(offset + directory.length), 64);
    end64.writeUInt32LE(1, 72);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Math.min(count, 0xffff), 8);
  end.writeUInt16LE(Math.min(count, 0xffff), 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end64, end]);
}

export async function makeTar(files: ArchiveFile[], gzip = false): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p) chunks.push(c as Buffer);
  })();
  for (const f of files) {
    const type = f.type ?? 'file';
    if (type === 'file') p.entry({ name: f.path }, f.data ?? Buffer.alloc(0));
    else p.entry({ name: f.path, type, linkname: f.target });
  }
  p.finalize();
  await done;
  const tar = Buffer.concat(chunks);
  return gzip ? gzipSync(tar) : tar;
}

/** Class folders `<root><cls>/<i>.png` for `classes` × `perClass` images. */
export function classFolders(classes: string[], perClass: number, root = ''): ArchiveFile[] {
  return classes.flatMap((c, ci) =>
    Array.from({ length: perClass }, (_, i) => ({ path: `${root}${c}/${i}.png`, data: classPng(ci, i % 3) })),
  );
}

/** A CSV of `rows` rows in Kaggle's form; `label(i)` names row i's class. */
export function makeCsv(rows: number, label: (i: number) => string): Buffer {
  const header = ['label', ...Array.from({ length: 784 }, (_, i) => `pixel${i}`)].join(',');
  const lines = [header];
  for (let i = 0; i < rows; i++) {
    const px = new Array<number>(784).fill(0);
    const cls = i % 3;
    for (let y = 4; y < 24; y++) for (let x = 0; x < 4; x++) px[y * 28 + cls * 8 + x] = 255;
    lines.push([label(i), ...px].join(','));
  }
  return Buffer.from(`${lines.join('\n')}\n`);
}
