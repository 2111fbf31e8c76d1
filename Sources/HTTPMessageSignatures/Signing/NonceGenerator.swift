import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Unguessable, unique nonces for `nonce` (RFC 9421 §2.3, §7.2.2), 128 bits each, base64url without padding.
///
/// Bytes come from the operating system's CSPRNG (`arc4random_buf`: `getrandom` on Linux), fetched 4 KiB at a
/// time so that a signature does not pay a system call for its nonce. Each byte is handed out once.
final class NonceGenerator: Sendable {
    private struct Pool {
        var bytes = [UInt8](repeating: 0, count: 4096)
        var offset = 4096

        /// The next `count` unused bytes, encoded as base64url straight into a new string (one allocation).
        mutating func nextEncoded(_ count: Int) -> String {
            if offset + count > bytes.count {
                unsafe bytes.withUnsafeMutableBytes { buffer in
                    if let base = buffer.baseAddress { unsafe arc4random_buf(base, buffer.count) }
                }
                offset = 0
            }
            defer { offset += count }
            let start = offset
            return unsafe bytes.withUnsafeBytes { pool in
                let slice = unsafe UnsafeRawBufferPointer(rebasing: pool[start..<(start + count)])
                return unsafe String(unsafeUninitializedCapacity: Base64.unpaddedLength(count)) { buffer in
                    unsafe Base64.write(slice, url: true, to: buffer, at: 0)
                }
            }
        }
    }

    private let pool = Mutex(Pool())

    func next() -> String {
        pool.withLock { $0.nextEncoded(16) }
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        var encoded: [UInt8] = []
        encoded.reserveCapacity(24)
        Base64.encode(bytes, into: &encoded)
        var out: [UInt8] = []
        out.reserveCapacity(22)
        for byte in encoded {
            switch byte {
            case UInt8(ascii: "+"): out.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): out.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="): continue
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
