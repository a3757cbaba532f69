// Public surface of the record-batch compression codecs (no I/O).
export {
  compress,
  compressionName,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
  type DecompressOptions,
  decompress,
} from './codec.ts'
