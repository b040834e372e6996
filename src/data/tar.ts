// A minimal reader for (uncompressed) tar archives: ustar and GNU headers, GNU long names and pax paths.
// Only what reading the official CIFAR-10 archive (and archives made with `tar czf`) needs; no writing.
import { DatasetError } from './cifar';

const BLOCK = 512;

export interface TarEntry {
  path: string;
  /** A view into the archive's bytes, not a copy. */
  data: Uint8Array;
}

const decoder = new TextDecoder();

function cString(bytes: Uint8Array, start: number, length: number): string {
  const field = bytes.subarray(start, start + length);
  const end = field.indexOf(0);
  return decoder.decode(end < 0 ? field : field.subarray(0, end));
}

function octal(bytes: Uint8Array, start: number, length: number): number {
  const text = cString(bytes, start, length).trim();
  return text === '' ? 0 : parseInt(text, 8);
}

function isZeroBlock(header: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (header[i] !== 0) return false;
  return true;
}

/** The header checksum counts its own 8-byte field as spaces; a mismatch means "not a tar archive". */
function checksumMatches(header: Uint8Array): boolean {
  const stored = octal(header, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i];
  return !Number.isNaN(stored) && sum === stored;
}

/** pax extended headers: records "<len> key=value\n"; only `path` matters here. */
function paxPath(data: Uint8Array): string | null {
  const text = decoder.decode(data);
  const match = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text);
  return match ? match[1] : null;
}

/** The regular files of a tar archive, in archive order. Throws DatasetError for anything that is not tar. */
export function readTar(bytes: Uint8Array, source = 'archive'): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | null = null;
  while (offset + BLOCK <= bytes.length) {
    const header = bytes.subarray(offset, offset + BLOCK);
    if (isZeroBlock(header)) break;
    if (!checksumMatches(header)) {
      throw new DatasetError(
        offset === 0
          ? `${source} is not a tar archive (its first 512 bytes are no tar header)`
          : `${source}: damaged tar header at byte ${offset}`,
      );
    }
    const size = octal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 0x30);
    const dataStart = offset + BLOCK;
    if (dataStart + size > bytes.length) {
      throw new DatasetError(`${source} is truncated: an entry at byte ${offset} needs ${size} bytes that are missing`);
    }
    const data = bytes.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'L') {
      longName = cString(data, 0, data.length);
      continue;
    }
    if (type === 'x') {
      longName = paxPath(data) ?? longName;
      continue;
    }
    const magic = cString(header, 257, 6);
    const prefix = magic.startsWith('ustar') ? cString(header, 345, 155) : '';
    const name = cString(header, 0, 100);
    const path = longName ?? (prefix ? `${prefix}/${name}` : name);
    longName = null;
    if (type === '0' || type === '7') entries.push({ path, data });
  }
  if (entries.length === 0 && offset === 0) throw new DatasetError(`${source} is not a tar archive (no entries)`);
  return entries;
}
