import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Random bytes for secrets and identifiers, from the operating system's CSPRNG (`arc4random_buf`, which is
/// `getrandom` on Linux), fetched 4 KiB at a time.
///
/// One grant needs a dozen random values (token ids, management and continuation tokens, the grant handle);
/// asking the kernel for each 8 bytes, as `SystemRandomNumberGenerator` does, cost ~45 system calls per GNAP
/// grant. Each byte of the pool is handed out once and overwritten with zeros when taken.
package enum SecureRandom {
    private struct Pool: ~Copyable {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var offset = 4096

        mutating func take<Result>(_ count: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
            precondition(count <= bytes.count, "at most 4 KiB of random bytes at a time")
            if offset + count > bytes.count {
                unsafe bytes.withUnsafeMutableBytes { buffer in
                    if let base = buffer.baseAddress { unsafe arc4random_buf(base, buffer.count) }
                }
                offset = 0
            }
            let start = offset
            offset += count
            return unsafe bytes.withUnsafeMutableBytes { pool in
                let slice = unsafe UnsafeMutableRawBufferPointer(rebasing: pool[start..<(start + count)])
                defer { unsafe slice.initializeMemory(as: UInt8.self, repeating: 0) }
                return unsafe body(UnsafeRawBufferPointer(slice))
            }
        }
    }

    private static let pool = Mutex(Pool())

    /// Hands `count` fresh random bytes (at most 4 KiB) to `body`; they are erased afterwards.
    package static func withBytes<Result: Sendable>(_ count: Int, _ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        pool.withLock { unsafe $0.take(count, body) }
    }

    /// `count` fresh random bytes.
    package static func bytes(_ count: Int) -> [UInt8] {
        unsafe withBytes(count) { unsafe Array($0) }
    }
}
