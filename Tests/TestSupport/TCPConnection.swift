import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A blocking TCP connection to 127.0.0.1, for tests that talk HTTP byte by byte (stalled uploads,
/// bodies sent in parts, many clients at once).
public final class TCPConnection {
    private let fd: Int32

    /// Connects to 127.0.0.1:`port`; reads time out after 30 s.
    public init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw POSIXError(.ECONNREFUSED)
        }
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    /// Sends `text` as UTF-8.
    public func send(_ text: String) throws { try send(Data(text.utf8)) }

    /// Sends `data`; stops quietly when the server has closed its side (it may answer before reading all).
    public func send(_ data: Data) throws {
        var sent = 0
        while sent < data.count {
            let n = data.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, data.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// What arrives until the server closes the connection or 30 s pass; with `untilJSON`, only
    /// until an answer whose body ends with `}` is in.
    public func receive(untilJSON: Bool = false) -> Data {
        var reply = [UInt8](), buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { break }
            reply += buffer[0..<n]
            if untilJSON, let text = String(bytes: reply, encoding: .utf8), let head = text.range(of: "\r\n\r\n"),
               text[head.upperBound...].hasSuffix("}") { break }
        }
        return Data(reply)
    }
}
