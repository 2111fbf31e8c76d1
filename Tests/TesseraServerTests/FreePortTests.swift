import Foundation
import TesseraServer
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `--port 0`: the port chosen before the migrations stays the server's until it listens.
@Suite struct FreePortTests {
    /// Binds `port` on 127.0.0.1 (with SO_REUSEADDR when asked), listening when asked; returns the descriptor or errno.
    static func bindLoopback(_ port: Int, reuseAddress: Bool, listening: Bool = false) -> Result<Int32, POSIXError> {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var on: Int32 = 1
        if reuseAddress { setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if bound != 0 || (listening && listen(fd, 8) != 0) {
            let code = errno
            close(fd)
            return .failure(POSIXError(POSIXErrorCode(rawValue: code) ?? .EINVAL))
        }
        return .success(fd)
    }

    @Test func aReservedPortIsRefusedToOthersButTheServerCanListenOnIt() throws {
        let reservation = try FreePort.reserve(host: "127.0.0.1")
        // Another process picking "a free port" (no SO_REUSEADDR) cannot have it.
        guard case .failure(let error) = Self.bindLoopback(reservation.port, reuseAddress: false) else {
            Issue.record("a reserved port was bound by someone else")
            return
        }
        #expect(error.code == .EADDRINUSE)
        // The server (SO_REUSEADDR, as Hummingbird binds) binds it and listens.
        let server = try Self.bindLoopback(reservation.port, reuseAddress: true, listening: true).get()
        defer { close(server) }
        reservation.release()
        // Released: the reservation no longer holds it, the server still does.
        guard case .failure = Self.bindLoopback(reservation.port, reuseAddress: true, listening: true) else {
            Issue.record("a second listener bound the server's port")
            return
        }
    }
}
