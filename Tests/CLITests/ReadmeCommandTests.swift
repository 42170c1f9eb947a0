import ArgumentParser
@testable import fashion
import Foundation
import XCTest

/// Every `fashion` command the README shows is one the program accepts as written, in the
/// README's order on a fresh clone after the main job: it parses (options, values, their
/// checks) and every file it reads exists or is written by the main job or an earlier command.
final class ReadmeCommandTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The README's commands: `fashion …` lines of its code blocks, continuations joined, comments cut.
    func commands() throws -> [[String]] {
        let text = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
        var commands: [[String]] = [], inBlock = false, pending = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("```") { inBlock.toggle(); continue }
            guard inBlock else { continue }
            let code = String(line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])
            if !pending.isEmpty || code.hasPrefix("fashion ") {
                pending += code.trimmingCharacters(in: .whitespaces)
                if pending.hasSuffix("\\") { pending = String(pending.dropLast()) + " "; continue }
                commands.append(pending.split(separator: " ").map(String.init))
                pending = ""
            }
        }
        return commands
    }

    func testEveryReadmeCommandParsesAndReadsWhatExists() throws {
        let commands = try commands()
        let sharedFolderPresent = FileManager.default.fileExists(atPath: Self.root.appendingPathComponent("../shared").path)
        XCTAssertGreaterThan(commands.count, 30, "the README's commands were found")
        // What the main job leaves behind, then what each command writes.
        var written: Set<String> = ["runs/seed-cnn"]
        let outputs: Set<String> = ["--out", "--run"]
        for words in commands {
            let arguments = Array(words.dropFirst())
            let line = words.joined(separator: " ")
            do { _ = try Fashion.parseAsRoot(arguments) } catch {
                XCTFail("README: '\(line)' is refused: \(Fashion.message(for: error))")
                continue
            }
            if arguments.first == "train" {
                let named = arguments.firstIndex(of: "--recipe").map { arguments[$0 + 1] }
                    ?? arguments.firstIndex(of: "--model").map { arguments[$0 + 1] } ?? "seed-cnn"
                let run = arguments.firstIndex(of: "--out").map { arguments[$0 + 1] } ?? "runs/\(named)"
                // A new run into a directory that already holds one is refused ("pass --resume").
                XCTAssertTrue(arguments.contains("--resume") || !written.contains(run), "README: '\(line)' trains into \(run), which already holds a run")
                written.insert(run)
            }
            for (index, argument) in arguments.enumerated() where index > 0 && outputs.contains(arguments[index - 1]) {
                written.insert(argument)
            }
            // Inputs: paths given to options other than the outputs, and file operands.
            for (index, argument) in arguments.enumerated() where argument.contains("/") || [".index", ".jpg", ".png", ".webp", ".csv", ".safetensors"].contains(where: argument.hasSuffix) {
                if index > 0 && (outputs.contains(arguments[index - 1]) || arguments[index - 1] == "--cache") { continue }
                // ../shared is the team's folder beside the checkout (the shared photos), not part of
                // the repository: its paths are checked where it is present.
                if argument.hasPrefix("../shared/") && !sharedFolderPresent { continue }
                let exists = FileManager.default.fileExists(atPath: Self.root.appendingPathComponent(argument).path)
                let made = written.contains { argument == $0 || argument.hasPrefix($0 + "/") }
                XCTAssertTrue(exists || made, "README: '\(line)' reads \(argument), which nothing before it makes")
            }
        }
    }
}
