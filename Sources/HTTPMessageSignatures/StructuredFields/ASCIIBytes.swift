/// Byte predicates over a string's UTF-8 without the per-index overhead of iterating `String.UTF8View`.
enum ASCIIBytes {
    /// Whether every UTF-8 byte of `string` satisfies `predicate`.
    @inline(__always)
    static func all(_ string: String, _ predicate: (UInt8) -> Bool) -> Bool {
        // Native strings are contiguous UTF-8: scanning the buffer directly is several times faster on this hot
        // path (every component name, parameter and field value goes through here). The pointer never escapes.
        if let result = unsafe string.utf8.withContiguousStorageIfAvailable({ buffer in unsafe buffer.allSatisfy(predicate) }) {
            return result
        }
        return string.utf8.allSatisfy(predicate)
    }
}
