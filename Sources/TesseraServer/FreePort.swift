import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Finds a free TCP port by binding port 0 and reading back what the kernel chose.
public enum FreePort {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A port free now; nothing keeps it free (see ``reserve(host:)``).
    public static func find(host: String) throws -> Int {
        let reservation = try bound(host: host, reuseAddress: false)
        reservation.release()
        return reservation.port
    }

    /// A free port kept bound — not listening, with `SO_REUSEADDR` — until ``Reservation/release()``.
    ///
    /// The server binds the port only after its migrations and keys, seconds later on a loaded machine;
    /// a port merely found free could by then be another process's, or the local end of an outgoing
    /// connection, and the server would fail with "Address already in use". While the reservation is
    /// held the kernel gives the port to no `bind(0)` and no outgoing connection, and the server
    /// (which sets `SO_REUSEADDR` too) can still bind it and listen.
    public static func reserve(host: String) throws -> Reservation {
        try bound(host: host, reuseAddress: true)
    }

    static func bound(host: String, reuseAddress: Bool) throws -> Reservation {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "cannot create a socket to find a free port") }
        if reuseAddress {
            var on: Int32 = 1
            guard setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
                close(fd)
                throw Failure(description: "cannot set SO_REUSEADDR to reserve a port")
            }
        }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
        if address.sin_addr.s_addr == INADDR_NONE { address.sin_addr.s_addr = inet_addr("127.0.0.1") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else {
            close(fd)
            throw Failure(description: "cannot bind \(host) to find a free port")
        }
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else {
            close(fd)
            throw Failure(description: "cannot read the chosen port")
        }
        return Reservation(port: Int(UInt16(bigEndian: address.sin_port)), descriptor: fd)
    }

    /// A bound, non-listening socket holding ``port``; closed by ``release()`` or when dropped.
    public final class Reservation: Sendable {
        public let port: Int
        private let descriptor: Mutex<Int32?>

        init(port: Int, descriptor: Int32) {
            self.port = port
            self.descriptor = Mutex(descriptor)
        }

        /// Closes the socket (once): call after the server has bound the port.
        public func release() {
            if let fd = descriptor.withLock({ fd in
                defer { fd = nil }; return fd
            }) {
                close(fd)
            }
        }

        deinit { release() }
    }
}
