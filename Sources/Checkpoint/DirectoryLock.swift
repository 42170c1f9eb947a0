import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive claim on a directory (a run being trained), held until released or until the
/// process ends, however it ends: an advisory `flock` on `<directory>/.lock`, which names the
/// holder's process id for the message a second claimant gets.
public final class DirectoryLock {
    private var descriptor: Int32
    /// The directory claimed.
    public let directory: URL

    /// Claims `directory` (created if needed) for `use` (e.g. "fashion train"); throws at once,
    /// naming the process that holds it, when another process has claimed it.
    public init(_ directory: URL, for use: String) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(".lock").path
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileError(path: path, operation: "create") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var buffer = [UInt8](repeating: 0, count: 32)
            let count = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            let holder = String(decoding: buffer.prefix(max(0, count)), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw LockError(description: "\(directory.relativePath) is in use by another \(use)\(holder.isEmpty ? "" : " (pid \(holder))"); wait for it to finish or stop it")
        }
        let pid = Data("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        descriptor = fd
        self.directory = directory
    }

    /// Gives up the claim (also done when the lock is freed).
    public func release() {
        guard descriptor >= 0 else { return }
        flock(descriptor, LOCK_UN)
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}

/// A directory already claimed by another process.
public struct LockError: Error, CustomStringConvertible {
    /// Which directory, and who holds it.
    public var description: String
}
