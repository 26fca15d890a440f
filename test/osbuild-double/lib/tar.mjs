// Minimal ustar writer (what the double's org.osbuild.tar stage produces): regular files, directories and
// symlinks, root-owned like an osbuild tree, padded to GNU tar's default 10240-byte record.
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';

function octal(n, width) {
  return n.toString(8).padStart(width - 1, '0') + '\0';
}

function header(name, { mode, size, mtime, typeflag, linkname = '' }) {
  const h = Buffer.alloc(512);
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    let idx = -1;
    for (let i = name.length - 2; i > 0; i--) {
      if (name[i] === '/' && Buffer.byteLength(name.slice(0, i)) <= 155 && Buffer.byteLength(name.slice(i + 1)) <= 100) {
        idx = i;
        break;
      }
    }
    if (idx < 0) throw new Error(`path too long for ustar: ${name}`);
    prefix = name.slice(0, idx);
    name = name.slice(idx + 1);
  }
  h.write(name, 0, 100, 'utf8');
  h.write(octal(mode & 0o7777, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii');
  h.write(octal(0, 8), 116, 'ascii');
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(Math.floor(mtime), 12), 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(typeflag, 156, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  h.write('root', 265, 'ascii');
  h.write('root', 297, 'ascii');
  h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + ' ', 148, 'ascii');
  return h;
}

/** Archive `root`. names: 'omit' → "etc/", "etc/x"; 'include' → "./", "./etc/". Entries in sorted order. */
export function createTar(root, { rootNode = 'include', clampMtime = null } = {}) {
  const chunks = [];
  const mt = (s) => (clampMtime !== null ? Math.min(s.mtimeMs / 1000, clampMtime) : s.mtimeMs / 1000);
  const add = (abs, name) => {
    const st = lstatSync(abs);
    if (st.isDirectory()) {
      if (name !== '') chunks.push(header(name.endsWith('/') ? name : name + '/', { mode: st.mode, size: 0, mtime: mt(st), typeflag: '5' }));
      for (const e of readdirSync(abs).sort()) add(path.join(abs, e), (name === '' ? '' : name.endsWith('/') ? name : name + '/') + e);
    } else if (st.isSymbolicLink()) {
      chunks.push(header(name, { mode: st.mode, size: 0, mtime: mt(st), typeflag: '2', linkname: readlinkSync(abs) }));
    } else if (st.isFile()) {
      const data = readFileSync(abs);
      chunks.push(header(name, { mode: st.mode, size: data.length, mtime: mt(st), typeflag: '0' }), data);
      const pad = (512 - (data.length % 512)) % 512;
      if (pad) chunks.push(Buffer.alloc(pad));
    }
  };
  if (rootNode === 'omit') add(root, '');
  else add(root, './');
  chunks.push(Buffer.alloc(1024));
  let total = chunks.reduce((n, c) => n + c.length, 0);
  const rec = 10240;
  if (total % rec) chunks.push(Buffer.alloc(rec - (total % rec)));
  return Buffer.concat(chunks);
}
