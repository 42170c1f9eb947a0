import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that readers see either the old or the complete new contents, never a part:
/// the bytes go to a temporary file in the same directory, are flushed to disk, then renamed over the target.
public enum AtomicFile {
    /// Replaces the file at `url` with `data` atomically, creating parent directories as needed.
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FileError(path: temporary.path, operation: "create") }
        var failed = false
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written <= 0 { failed = true; return }
                offset += written
            }
        }
        if fsync(fd) != 0 { failed = true }
        close(fd)
        guard !failed else {
            unlink(temporary.path)
            throw FileError(path: url.path, operation: "write")
        }
        guard rename(temporary.path, url.path) == 0 else {
            unlink(temporary.path)
            throw FileError(path: url.path, operation: "replace")
        }
    }

    /// Writes `text` as UTF-8, atomically.
    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }
}

/// A file operation that failed, with the reason from the system.
public struct FileError: Error, CustomStringConvertible {
    /// The file involved.
    public let path: String
    /// What was being done.
    public let operation: String
    /// The system's reason.
    public let reason: String

    init(path: String, operation: String) {
        self.path = path
        self.operation = operation
        reason = String(cString: strerror(errno))
    }

    public var description: String { "\(path): cannot \(operation) (\(reason))" }
}
