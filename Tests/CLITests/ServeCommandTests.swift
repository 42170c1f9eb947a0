import Checkpoint
import Foundation
import Imaging
import Models
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc  // kill
#endif

/// `fashion serve` as a process: refusals before it starts, and SIGTERM answering the request in flight.
final class ServeCommandTests: XCTestCase, RunsFashion {
    func testBadSettingsAreRefusedBeforeItStarts() throws {
        let directory = try TestSupport.temporaryDirectory()
        let weights = try weights(in: directory)
        try expectUsageError(["serve"], mentioning: "--weights")
        try expectUsageError(["serve", "--weights", weights, "--port", "70000"], mentioning: "--port must be from 0 to 65535")
        try expectUsageError(["serve", "--weights", weights, "--max-batch", "0"], mentioning: "--max-batch")
        try expectUsageError(["serve", "--weights", weights, "--max-delay-ms", "-1"], mentioning: "--max-delay-ms")
        try expectUsageError(["serve", "--weights", weights, "--max-body-mib", "0"], mentioning: "--max-body-mib")
        try expectUsageError(["serve", "--weights", weights, "--model-name", "a/b"], mentioning: "--model-name")
        try expectUsageError(["serve", "--weights", weights, "--body-timeout", "nan"], mentioning: "--body-timeout")
        try expectFailure(["serve", "--weights", "/nonexistent.safetensors"], mentioning: "cannot read")
        try expectFailure(["serve", "--weights", weights, "--index", "/nonexistent.index"], mentioning: "nonexistent.index")
        let empty = directory.appendingPathComponent("token")
        try Data("\n".utf8).write(to: empty)
        try expectFailure(["serve", "--weights", weights, "--token-file", empty.path], mentioning: "one non-empty line")
        try expectFailure(["serve", "--weights", weights, "--token-file", "/nonexistent-token"], mentioning: "cannot read")
    }

    func testAPortInUseIsOneLine() throws {
        let directory = try TestSupport.temporaryDirectory()
        let weights = try weights(in: directory)
        let (server, port, _) = try start(["serve", "--weights", weights, "--port", "0"])
        defer { server.terminate(); server.waitUntilExit() }
        try expectFailure(["serve", "--weights", weights, "--port", "\(port)"], mentioning: "the service stopped")
    }

    /// SIGTERM while a request's body is still arriving: the request is answered, then the process exits 0.
    func testSigtermAnswersTheRequestInFlightThenExits() throws {
        let directory = try TestSupport.temporaryDirectory()
        let weights = try weights(in: directory)
        let (server, port, output) = try start(["serve", "--weights", weights, "--port", "0"])
        let photo = PNGFile.gray(width: 40, height: 40)
        let socket = try TCPConnection(port: port)
        try socket.send("POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: \(photo.count)\r\n\r\n")
        try socket.send(photo.prefix(photo.count / 2))
        Thread.sleep(forTimeInterval: 0.2)
        kill(server.processIdentifier, SIGTERM)
        Thread.sleep(forTimeInterval: 0.5)
        try socket.send(photo.suffix(from: photo.count / 2))
        let reply = String(decoding: socket.receive(untilJSON: true), as: UTF8.self)
        XCTAssertTrue(reply.hasPrefix("HTTP/1.1 200"), reply)
        XCTAssertTrue(reply.contains("\"label\""), reply)
        server.waitUntilExit()
        XCTAssertEqual(server.terminationStatus, 0)
        XCTAssertTrue(output.text.contains("stopped"), output.text)
    }

    /// Starts `fashion` and waits for its "listening on" line; returns the process, its port and its output.
    func start(_ arguments: [String]) throws -> (Process, Int, Output) {
        let process = try fashion(arguments)
        let pipe = Pipe(), output = Output()
        process.standardOutput = pipe
        process.standardError = pipe
        pipe.fileHandleForReading.readabilityHandler = { output.append($0.availableData) }
        try process.run()
        for _ in 0..<600 {
            if let line = output.text.split(separator: "\n").first(where: { $0.hasPrefix("listening on http://") }),
               let port = line.split(separator: ":").dropFirst(2).first.flatMap({ Int($0.prefix { $0.isNumber }) }) {
                // Ready after the warm-up.
                for _ in 0..<600 where !output.text.contains("ready:") { Thread.sleep(forTimeInterval: 0.05) }
                return (process, port, output)
            }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        process.terminate()
        throw ServerDidNotStart(description: "fashion serve did not start: \(output.text)")
    }
}

/// A process's output as it arrives.
final class Output: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ more: Data) { lock.withLock { data += more } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}

/// A PNG made in memory.
enum PNGFile {
    /// A light square with a dark disk, as PNG bytes.
    static func gray(width: Int, height: Int) -> Data {
        var image = RGBImage(width: width, height: height, fill: RGB(210, 210, 200))
        for y in 0..<height {
            for x in 0..<width where (x - width / 2) * (x - width / 2) + (y - height / 2) * (y - height / 2) < 100 { image[x, y] = RGB(40, 40, 60) }
        }
        return PNG.encode(image)
    }
}

/// `fashion serve` did not get to listening.
struct ServerDidNotStart: Error, CustomStringConvertible {
    var description: String
}
