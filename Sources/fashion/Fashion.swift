import ArgumentParser
import Foundation
import Kernels

/// The `fashion` command: train, evaluate and inspect clothing classifiers.
@main
struct Fashion: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train, evaluate and run clothing image classifiers (Fashion-MNIST) on the CPU, on dataset images and photos.",
        discussion: "Exit status: 0 done; 1 an input (file, data, weights, photo) is missing, unreadable or does not fit "
            + "the request, or the work failed; 64 the command line is wrong (unknown command or option, bad or conflicting "
            + "values), found before anything is read or written. Every error is one line on stderr starting with 'Error:'.",
        subcommands: [Train.self, Evaluate.self, Calibrate.self, Predict.self, Classify.self, Tag.self, Preprocess.self,
                      Embed.self, Index.self, Similar.self, Duplicates.self,
                      Quantize.self, Report.self, Grid.self, Show.self, ListModels.self, Summary.self, Bench.self, Serve.self])

    static func main() async {
        setvbuf(stdout, nil, _IOLBF, 0)  // one line at a time, also into pipes and log files
        Allocator.keepLargeBlocks()
        do {
            var command = try parseAsRoot()
            if var command = command as? AsyncParsableCommand {
                try await command.run()
            } else {
                try command.run()
            }
        } catch {
            fail(with: error)
        }
    }

    /// Foundation's file errors (a folder that cannot be made, a file that cannot be read) as the
    /// path and the system's reason; their own description is a dump of the error object.
    static func fileMessage(for error: Error) -> String? {
        guard let error = error as? CocoaError else { return nil }
        let path = error.filePath ?? error.url?.path
        let reason: String
        if let underlying = error.underlying as NSError?, underlying.domain == NSPOSIXErrorDomain {
            reason = String(cString: strerror(Int32(underlying.code)))
        } else {
            switch error.code {
            case .fileNoSuchFile, .fileReadNoSuchFile: reason = "No such file or directory"
            case .fileWriteFileExists: reason = "a file of that name is in the way"
            case .fileReadNoPermission, .fileWriteNoPermission: reason = "Permission denied"
            case .fileWriteOutOfSpace: reason = "No space left on device"
            case .fileWriteVolumeReadOnly: reason = "Read-only file system"
            default: reason = "file error \(error.code.rawValue)"
            }
        }
        return path.map { "\($0): \(reason)" } ?? reason
    }

    /// Ends the process for `error` under the exit-status contract above: help and version
    /// requests print as usual; every error is a single `Error:` line (usage errors name the
    /// command's help), then exit 1 or, for a wrong command line, 64.
    static func fail(with error: Error) -> Never {
        if let exitCode = error as? ExitCode { Foundation.exit(exitCode.rawValue) }  // lines already printed
        let status = exitCode(for: error)
        if status == .success { exit(withError: error) }
        let message = fileMessage(for: error) ?? message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
        var line = "Error: \(message)"
        if status == .validationFailure {
            line += " (see 'fashion \(commandPath().map { "\($0) " }.joined())--help')"
        }
        FileHandle.standardError.write(Data((line + "\n").utf8))
        Foundation.exit(status.rawValue)
    }

    /// The subcommands named at the start of the command line (e.g. ["index", "build"]).
    static func commandPath() -> [String] {
        var path: [String] = []
        var commands = configuration.subcommands
        for argument in CommandLine.arguments.dropFirst() {
            guard let command = commands.first(where: { $0._commandName == argument }) else { break }
            path.append(argument)
            commands = command.configuration.subcommands
        }
        return path
    }
}
