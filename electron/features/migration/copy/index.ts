/** The content copy engine used by the migration. */
export { copyTree } from './copy-tree.js';
export { readJournal } from './journal.js';
export { PARTIAL_SUFFIX, hashFile } from './copy-file.js';
export type { CopyOptions, CopyProgress, CopyResult, CopiedFile, JournalEntry, SkippedEntry } from './types.js';
