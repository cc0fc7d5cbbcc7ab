'use strict';
/**
 * File writes from JS into a data folder, with the same rules as the core's fsutil: the
 * text goes to a temporary file created exclusively (O_EXCL) under an unpredictable name
 * and never through a symbolic link (O_NOFOLLOW), is flushed, then renamed over the
 * target. A link planted at the target's (predictable) name is replaced, never written
 * through, and a crash never leaves half a file.
 */
const fs = require('node:fs/promises');
const path = require('node:path');
const crypto = require('node:crypto');

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW } = require('node:fs').constants;
/** O_NOFOLLOW is 0 where the platform lacks it; O_EXCL alone already refuses an existing link. */
const TEMP_FLAGS = O_WRONLY | O_CREAT | O_EXCL | (O_NOFOLLOW || 0);

/** Writes `text` to `file` atomically (see the module comment). */
async function writeFileAtomic(file, text) {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `.${path.basename(file)}.${crypto.randomBytes(8).toString('hex')}.tmp`);
  const handle = await fs.open(tmp, TEMP_FLAGS, 0o644);
  try {
    await handle.writeFile(text);
    await handle.sync();
  } catch (err) {
    await handle.close().catch(() => {});
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

module.exports = { writeFileAtomic };
