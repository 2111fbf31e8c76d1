/// Comparison whose running time does not depend on where two secrets differ.
package enum ConstantTime {
    /// `true` when both byte sequences are equal; time depends only on their lengths.
    package static func equals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        // Contiguous storage (Data, [UInt8], a digest's bytes) takes the pointer loop: the generic walk over
        // `zip` costs a witness-table call per byte from another module (issue 22: ~15 µs per client secret).
        if let result = lhs.withContiguousStorageIfAvailable({ left in
            rhs.withContiguousStorageIfAvailable { right in equals(UnsafeRawBufferPointer(left), UnsafeRawBufferPointer(right)) }
        }), let result {
            return result
        }
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(lhs, rhs) { difference |= a ^ b }
        return difference == 0
    }

    /// `true` when both buffers hold the same bytes; time depends only on their lengths.
    /// - Parameters:
    ///   - lhs: The first buffer.
    ///   - rhs: The second buffer.
    /// - Returns: Whether the bytes are equal.
    package static func equals(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for index in 0..<lhs.count { difference |= lhs[index] ^ rhs[index] }
        return difference == 0
    }
}
