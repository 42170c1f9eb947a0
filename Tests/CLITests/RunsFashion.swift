import Checkpoint
import Foundation
import Models
import TestSupport
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

    /// A `fashion` process (not started) for `arguments`; the dataset it reads is the generated
    /// stand-in (TinyFashionMNIST: 600 training, 300 test images) unless `--data` says otherwise.
    func fashion(_ arguments: [String], environment extra: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["FASHION_MNIST_DIR"] = try TinyFashionMNIST.directory().path
        process.environment = environment.merging(extra) { $1 }
        return process
    }

    /// A seeded, untrained seed-cnn saved as a checkpoint in `directory`; returns its path.
    func weights(in directory: URL) throws -> String {
        let url = directory.appendingPathComponent("model.safetensors")
        try ModelCheckpoint.save(Models.seedCNN(seed: 2), architecture: "seed-cnn",
                                 classNames: ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"],
                                 to: url)
        return url.path
    }

    /// Runs `fashion` with `arguments` to its end.
    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> CommandResult {
        let process = try fashion(arguments, environment: extra)
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

    /// A refused run under the exit-status contract: `status` (1: an input does not fit; 64: the
    /// command line is wrong) and exactly one line on stderr, `Error: …`, that mentions `text`.
    func expectFailure(_ arguments: [String], mentioning text: String, status: Int32 = 1,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try run(arguments)
        XCTAssertEqual(result.status, status, "exit status of \(arguments.joined(separator: " ")): \(result.stderr)", file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one line on stderr: '\(result.stderr)'", file: file, line: line)
        XCTAssertTrue(result.stderr.hasPrefix("Error: "), "stderr '\(result.stderr)' starts with 'Error: '", file: file, line: line)
        XCTAssertTrue(result.stderr.contains(text), "stderr '\(result.stderr)' should mention '\(text)'", file: file, line: line)
    }

    /// A command line refused before anything is read (exit status 64, one `Error:` line naming the help).
    func expectUsageError(_ arguments: [String], mentioning text: String, file: StaticString = #filePath, line: UInt = #line) throws {
        try expectFailure(arguments, mentioning: text, status: 64, file: file, line: line)
        XCTAssertTrue(try run(arguments).stderr.contains("--help')"), "names the help", file: file, line: line)
    }
}
