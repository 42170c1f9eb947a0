import Checkpoint
import Foundation
import TestSupport
import XCTest

/// Training killed with SIGKILL (mid-epoch, and half-way through writing each kind of file)
/// never leaves a file that reads back damaged, loses at most the unfinished epoch, and resumes
/// to the same weights as a run that was never interrupted; a second process is kept out of a
/// run directory in use.
final class CrashSafetyTests: XCTestCase, RunsFashion {
    let common = ["train", "--epochs", "3", "--validation", "100", "--limit", "320", "--seed", "3", "--quiet"]

    /// Starts `fashion` and returns it once a line of its output contains `text` (or it ended).
    func start(_ arguments: [String], environment: [String: String] = [:], waitingFor text: String) throws -> (Process, String) {
        let process = try fashion(arguments, environment: environment)
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = ""
        while !seen.contains(text) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += String(decoding: chunk, as: UTF8.self)
        }
        return (process, seen)
    }

    /// The weights of two checkpoints agree (the resumed run continued exactly).
    func assertSameWeights(_ a: URL, _ b: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let x = try SafeTensors.read(a).tensors, y = try SafeTensors.read(b).tensors
        XCTAssertEqual(x.keys.sorted(), y.keys.sorted(), file: file, line: line)
        for (name, tensor) in x {
            XCTAssertLessThanOrEqual(TestSupport.maxDifference(tensor, y[name]!), 1e-6, name, file: file, line: line)
        }
    }

    /// Every file a killed run left is whole: it reads back, and holds `epochs` finished epochs.
    func assertIntact(_ run: URL, epochs: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let last = try ModelCheckpoint.load(run.appendingPathComponent("last.safetensors"), defaultClassNames: [])
        XCTAssertEqual(last.metadata["epoch"], String(epochs), file: file, line: line)
        XCTAssertNoThrow(try ModelCheckpoint.load(run.appendingPathComponent("model.safetensors"), defaultClassNames: []), file: file, line: line)
        // history.csv is written after last.safetensors (and rebuilt from it on resume): it may lag by one epoch.
        if let csv = try? String(contentsOf: run.appendingPathComponent("history.csv"), encoding: .utf8) {
            XCTAssertTrue((epochs - 1...epochs).contains(csv.split(separator: "\n").count - 1), csv, file: file, line: line)
        } else {
            XCTAssertEqual(epochs, 1, "only the first history.csv can be missing", file: file, line: line)
        }
    }

    func testKilledTrainingResumesToTheUninterruptedResult() throws {
        let root = try TestSupport.temporaryDirectory()
        let straight = root.appendingPathComponent("straight")
        let reference = try run(common + ["--out", straight.path])
        XCTAssertEqual(reference.status, 0, reference.stderr)

        // Killed mid-epoch: right after epoch 1 was saved and reported, while epoch 2 trains.
        let midEpoch = root.appendingPathComponent("mid-epoch")
        let (process, seen) = try start(common + ["--out", midEpoch.path], waitingFor: "epoch   1/3")
        XCTAssertTrue(seen.contains("epoch   1/3"), seen)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .uncaughtSignal)
        try assertIntact(midEpoch, epochs: 1)
        let resumed = try run(["train", "--resume", "--out", midEpoch.path])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stdout.contains("resuming \(midEpoch.path) after epoch 1"), resumed.stdout)
        try assertSameWeights(midEpoch.appendingPathComponent("model.safetensors"), straight.appendingPathComponent("model.safetensors"))
        try assertSameWeights(midEpoch.appendingPathComponent("last.safetensors"), straight.appendingPathComponent("last.safetensors"))

        // Killed half-way through writing each file in turn: the half-written temporary file is
        // never read, is removed by the next run, and the resumed run ends as the straight one.
        for (file, epochsSaved) in [("last.safetensors:2", 1), ("model.safetensors:2", 1), ("history.csv:1", 1)] {
            let killed = root.appendingPathComponent(file.replacingOccurrences(of: ":", with: "-"))
            let (process, _) = try start(common + ["--out", killed.path], environment: ["FASHION_TEST_KILL_WRITING": file], waitingFor: "never printed")
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, file)
            XCTAssertEqual(process.terminationStatus, SIGKILL, file)
            let name = String(file.split(separator: ":")[0])
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: killed.path).filter { $0.hasSuffix(".tmp") }
            XCTAssertEqual(leftovers, [".\(name).\(process.processIdentifier).tmp"], file)
            if name != "model.safetensors" || FileManager.default.fileExists(atPath: killed.appendingPathComponent("last.safetensors").path) {
                try assertIntact(killed, epochs: epochsSaved)
            }
            let again = try run(["train", "--resume", "--out", killed.path])
            XCTAssertEqual(again.status, 0, "\(file): \(again.stderr)")
            XCTAssertTrue(again.stdout.contains("left half-written by a killed run"), again.stdout)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: killed.path).filter { $0.hasSuffix(".tmp") }, [], file)
            try assertSameWeights(killed.appendingPathComponent("model.safetensors"), straight.appendingPathComponent("model.safetensors"))
        }
    }

    func testASecondTrainingIntoARunInUseIsRefused() throws {
        let run = try TestSupport.temporaryDirectory().appendingPathComponent("busy")
        let (first, seen) = try start(["train", "--epochs", "50", "--validation", "100", "--limit", "320", "--quiet", "--out", run.path],
                                      waitingFor: "epoch   1/50")
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        XCTAssertTrue(seen.contains("epoch   1/50"), seen)
        try expectFailure(["train", "--resume", "--out", run.path], mentioning: "is in use by another fashion train (pid \(first.processIdentifier))")
        try expectFailure(["train", "--epochs", "1", "--validation", "100", "--out", run.path], mentioning: "is in use by another fashion train")
        kill(first.processIdentifier, SIGKILL)
        first.waitUntilExit()
        // The lock dies with its holder.
        let resumed = try self.run(["train", "--resume", "--epochs", "2", "--out", run.path])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
    }
}
