import Foundation
import XCTest

/// What a run of the `fashion` executable gave.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Tests that run the real `fashion` executable.
protocol RunsFashion {}

extension RunsFashion {
    /// The built executable, next to the test bundle.
    var executable: URL {
        var directory = Bundle.main.bundleURL
        if directory.pathExtension == "xctest" { directory.deleteLastPathComponent() }
        return directory.appendingPathComponent("fashion")
    }

    func run(_ arguments: [String]) throws -> CommandResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// A failed run: non-zero status and a one-line error that mentions `text`.
    func expectFailure(_ arguments: [String], mentioning text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try run(arguments)
        XCTAssertNotEqual(result.status, 0, file: file, line: line)
        let message = result.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        XCTAssertTrue(message.contains(text), "stderr '\(message)' should mention '\(text)'", file: file, line: line)
        XCTAssertFalse(message.contains("Fatal error") || message.contains("Stack dump"), "crashed: \(message)", file: file, line: line)
    }
}
