import ArgumentParser
import Checkpoint
import Data
import Decoding
import Foundation
import Inference
import Preprocessing
import Training

extension TagFile.Format: ExpressibleByArgument {}

extension Fashion {
    /// `fashion tag`: tags every photo of files and folders into a JSON-lines or CSV file, resumably.
    struct Tag: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Tag photos in files and folders (recursive) into a JSON-lines or CSV file.",
            discussion: """
                One line per image (path, sha256, label, index, probability, top_k, abstained, reason) is appended \
                as images finish; running the same command again skips the paths already in the output, so a killed \
                run resumes. Files that cannot be read or decoded go to the errors file (path, error) and never stop \
                the run; it exits 0 when it completed, even with failed files, and 1 only when nothing can be done \
                (unreadable weights, unwritable output). Folders contribute their files named .jpg, .jpeg, .png, .webp \
                (and .gif, .bmp, .tif, .heic, .avif, which are reported as unsupported); the format of every file is \
                read from its bytes.
                """)

        @Argument(help: "Photo files and folders.") var paths: [String]
        @OptionGroup var checkpoint: CheckpointOptions
        @Option(help: "Output file (appended to; an existing one is resumed).") var out: String
        @Option(help: "Output format: jsonl or csv (default jsonl).") var format: TagFile.Format = .jsonl
        @Option(help: "Errors file, one JSON line per failed file (default: <out>.errors.jsonl; rewritten each run).") var errors: String?
        @OptionGroup var confidence: ConfidenceOptions
        @Option(help: "Photos decoded together before they are classified as one batch (default 256).") var chunk: Int = 256
        @Flag(help: "No progress bar or progress lines, only the summary.") var quiet = false
        @OptionGroup var photo: PhotoOptions
        @OptionGroup var ttaOptions: TTAOptions
        @OptionGroup var threadOptions: ThreadOptions

        func validate() throws {
            if paths.isEmpty { throw ValidationError("name at least one photo or folder to tag") }
            if !(1...4096).contains(chunk) { throw ValidationError("--chunk must be between 1 and 4096") }
        }

        func run() throws {
            let started = Date()
            let outURL = URL(fileURLWithPath: out)
            let errorsURL = URL(fileURLWithPath: errors ?? out + ".errors.jsonl")
            for url in [outURL, errorsURL] {
                var isDirectory: ObjCBool = false
                let folder = url.deletingLastPathComponent().path
                guard FileManager.default.fileExists(atPath: folder, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw UsageError("\(url.path): the folder \(folder) does not exist")
                }
            }
            threadOptions.apply()
            let classifier = try photo.classifier(checkpoint.load(), tta: ttaOptions.mode)
            let resume = try TagFile.resumeState(of: outURL, format: format)
            let output = try AppendFile(outURL, truncatingTo: resume.completeLength)
            let errorLog = try AppendFile(errorsURL, truncatingTo: 0)
            if format == .csv && resume.isEmpty { try output.append(TagFile.csvHeader + "\n") }

            let (files, missing) = expand(paths)
            for (path, problem) in missing { try errorLog.append(errorLine(path: path, error: problem)) }
            let todo = files.filter { !resume.paths.contains($0) }
            let skipped = files.count - todo.count
            if skipped > 0 && !quiet { print("resuming \(out): \(skipped) of \(files.count) images already tagged") }

            var bar = ProgressBar(total: todo.count, label: "tagging")
            let showBar = !quiet && ProgressBar.isTerminal
            var tagged = 0, abstained = 0, failed = missing.count, done = 0
            var lastReport = Date()
            for start in stride(from: 0, to: todo.count, by: chunk) {
                let paths = Array(todo[start..<min(todo.count, start + chunk)])
                var good: [(path: String, sha256: String)] = [], inputs: [ModelInput] = []
                var errorText = ""
                for (path, result) in zip(paths, prepare(paths, for: classifier)) {
                    switch result {
                    case .success(let item):
                        good.append((path, item.sha256))
                        inputs.append(item.input)
                    case .failure(let error):
                        failed += 1
                        errorText += errorLine(path: path, error: "\(error)")
                    }
                }
                let results = classifier.classify(inputs, top: confidence.top, minimumConfidence: confidence.minConfidence)
                var lines = ""
                for (item, result) in zip(good, results) {
                    lines += TagFile.line(TagRecord(path: item.path, sha256: item.sha256, classification: result), format: format)
                    if result.abstained { abstained += 1 }
                }
                try output.append(lines)
                try errorLog.append(errorText)
                tagged += good.count
                done += paths.count
                if showBar {
                    bar.update(done)
                } else if !quiet, Date().timeIntervalSince(lastReport) >= 5 || done == todo.count {
                    lastReport = Date()
                    print(String(format: "tagged %d/%d (%.0f photos/s)", done, todo.count, Double(done) / Date().timeIntervalSince(started)))
                }
            }
            if showBar { bar.clear() }
            let seconds = Date().timeIntervalSince(started)
            print(String(format: "tagged %d photos (%d abstained), %d failed, %d already done; %.1f s, %.0f photos/s → %@",
                         tagged, abstained, failed, skipped, seconds, Double(tagged + failed) / max(seconds, 1e-9), out)
                  + (failed > 0 ? " (errors in \(errorsURL.relativePath))" : ""))
        }

        /// The image files of `paths` (folders walked), each once, and the paths that gave none, with why.
        func expand(_ paths: [String]) -> (files: [String], missing: [(path: String, problem: String)]) {
            var files: [String] = [], missing: [(String, String)] = []
            var seen = Set<String>()
            for path in paths {
                do {
                    for file in try ImageFolder.expand([path]).map(\.relativePath) where seen.insert(file).inserted { files.append(file) }
                } catch {
                    missing.append((path, "\(error)".replacingOccurrences(of: "\(path): ", with: "")))
                }
            }
            return (files, missing)
        }

        /// Each photo read (within the limits), hashed, decoded and preprocessed, on all threads.
        func prepare(_ paths: [String], for classifier: Classifier) -> [Result<(sha256: String, input: ModelInput), any Error>] {
            concurrentMap(paths) { path in Result { try classifier.prepared(photoAt: URL(fileURLWithPath: path)) } }
        }

        /// One JSON line of the errors file.
        func errorLine(path: String, error: String) -> String {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(["path": path, "error": error])) ?? Data()
            return String(decoding: data, as: UTF8.self) + "\n"
        }
    }
}

/// A file written only at its end, each append one `write` (so that a kill leaves at most one partial line).
final class AppendFile {
    private let handle: FileHandle
    private let path: String

    /// Opens (creating) `url` and cuts it to `length` bytes.
    init(_ url: URL, truncatingTo length: Int) throws {
        path = url.path
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else { throw UsageError("\(path): cannot create the file") }
        }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw UsageError("\(path): cannot open the file for writing") }
        self.handle = handle
        do {
            try handle.truncate(atOffset: UInt64(length))
            try handle.seekToEnd()
        } catch { throw UsageError("\(path): cannot write (\(error.localizedDescription))") }
    }

    /// Appends `text` (nothing when empty).
    func append(_ text: String) throws {
        guard !text.isEmpty else { return }
        do { try handle.write(contentsOf: Data(text.utf8)) } catch {
            throw UsageError("\(path): cannot write (\(error.localizedDescription))")
        }
    }

    deinit { try? handle.close() }
}
