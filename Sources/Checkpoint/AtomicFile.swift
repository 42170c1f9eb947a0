import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes files so that readers see either the old or the complete new contents, never a part:
/// the bytes go to a temporary file in the same directory (`.<name>.<pid>.tmp`), are flushed to
/// disk, renamed over the target, and the directory is flushed so that the rename survives a
/// power cut. A process killed mid-write leaves only its temporary file, which
/// `removeLeftovers(in:)` deletes on the next run.
public enum AtomicFile {
    /// Replaces the file at `url` with `data` atomically, creating parent directories as needed.
    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FileError(path: temporary.path, operation: "create") }
        var failed = false
        let killAt = killPoint(for: url.lastPathComponent, size: data.count)
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                if let killAt, offset >= killAt {
                    fsync(fd)
                    kill(getpid(), SIGKILL)  // the crash-safety tests' simulated kill, half-way through
                }
                let chunk = killAt.map { max(1, $0 - offset) } ?? raw.count - offset
                let written = Glibc.write(fd, raw.baseAddress! + offset, min(chunk, raw.count - offset))
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
        let directoryFD = open(directory.path, O_RDONLY | O_DIRECTORY)
        if directoryFD >= 0 {
            defer { close(directoryFD) }
            guard fsync(directoryFD) == 0 else { throw FileError(path: directory.path, operation: "flush") }
        }
    }

    /// Deletes the temporary files that killed writers left in `directory` (those of processes
    /// that no longer run); returns their names.
    @discardableResult
    public static func removeLeftovers(in directory: URL) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.filter { name in
            let parts = name.split(separator: ".")
            guard name.hasPrefix("."), name.hasSuffix(".tmp"), parts.count >= 3, let pid = Int32(parts[parts.count - 2]),
                  pid != getpid(), kill(pid, 0) != 0, errno == ESRCH else { return false }
            return unlink(directory.appendingPathComponent(name).path) == 0
        }
    }

    /// Where to stop writing `name` for the crash-safety tests: set FASHION_TEST_KILL_WRITING to
    /// `NAME:N` and the process kills itself with SIGKILL half-way through its N-th write of NAME.
    private static func killPoint(for name: String, size: Int) -> Int? {
        guard let setting = ProcessInfo.processInfo.environment["FASHION_TEST_KILL_WRITING"] else { return nil }
        let parts = setting.split(separator: ":")
        guard parts.count == 2, parts[0] == name, let n = Int(parts[1]) else { return nil }
        let count = writesLock.withLock { () -> Int in
            writes[name, default: 0] += 1
            return writes[name]!
        }
        return count == n ? size / 2 : nil
    }

    /// Writes of each file name so far (for killPoint), behind writesLock.
    nonisolated(unsafe) private static var writes: [String: Int] = [:]
    private static let writesLock = NSLock()

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

