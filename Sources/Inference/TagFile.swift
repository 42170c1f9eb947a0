import Foundation

/// One tagged image as `fashion tag` writes it.
public struct TagRecord: Codable, Equatable, Sendable {
    /// The file's path as it was found.
    public var path: String
    /// SHA-256 of the file's bytes (lower-case hex); nil where the bytes were not hashed (`classify --json`).
    public var sha256: String?
    /// The classification.
    public var classification: Classification

    /// A record for `path`.
    public init(path: String, sha256: String?, classification: Classification) {
        self.path = path
        self.sha256 = sha256
        self.classification = classification
    }

    enum CodingKeys: String, CodingKey { case path, sha256 }

    /// Reads the flat JSON object: path, sha256 and the classification's keys side by side.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        sha256 = try c.decodeIfPresent(String.self, forKey: .sha256)
        classification = try Classification(from: decoder)
    }

    /// Writes one flat JSON object (no `sha256` key when there is none).
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(path, forKey: .path)
        try c.encodeIfPresent(sha256, forKey: .sha256)
        try classification.encode(to: encoder)
    }
}

/// The output of `fashion tag`: one line per image, appended as images finish, so that a run that was
/// killed can be resumed by skipping the paths already written.
public enum TagFile {
    /// The line formats.
    public enum Format: String, CaseIterable, Sendable {
        /// One JSON object per line.
        case jsonl
        /// Comma-separated values with a header line; `top_k` as `label:probability;…`.
        case csv
    }

    /// The CSV header line.
    public static let csvHeader = "path,sha256,label,index,probability,abstained,reason,top_k"

    /// `record` as one line (with its newline).
    public static func line(_ record: TagRecord, format: Format) -> String {
        switch format {
        case .jsonl:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let data = (try? encoder.encode(record)) ?? Data("{}".utf8)  // plain strings and numbers: cannot fail
            return String(decoding: data, as: UTF8.self) + "\n"
        case .csv:
            let c = record.classification
            let top = c.topK.map { "\($0.label):" + String(format: "%.6f", $0.probability) }.joined(separator: ";")
            return [record.path, record.sha256 ?? "", c.label, String(c.index), String(format: "%.6f", c.probability),
                    String(c.abstained), c.reason ?? "", top].map(csvField).joined(separator: ",") + "\n"
        }
    }

    /// A field quoted as RFC 4180 asks when it holds a comma, quote or line break.
    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// What an existing output holds: the paths already tagged and the byte length of its complete
    /// lines (a line cut short by a kill is dropped: the file is to be truncated to `completeLength`).
    public struct ResumeState: Equatable, Sendable {
        /// Paths with a complete line.
        public var paths: Set<String>
        /// Bytes up to and including the last newline.
        public var completeLength: Int
        /// Whether the file is empty or missing (a CSV header is then still to be written).
        public var isEmpty: Bool { completeLength == 0 }
    }

    /// Reads the output at `url` (a missing file is empty). Throws a one-line error when a complete
    /// line is not one this command writes, so that another file is never appended to by mistake.
    public static func resumeState(of url: URL, format: Format) throws -> ResumeState {
        guard FileManager.default.fileExists(atPath: url.path) else { return ResumeState(paths: [], completeLength: 0) }
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw TagFileError("\(url.path): cannot read the existing output to resume it") }
        return try resumeState(of: data, format: format, file: url.path)
    }

    /// `resumeState(of:format:)` on bytes; `file` names them in errors.
    public static func resumeState(of data: Data, format: Format, file: String) throws -> ResumeState {
        let bytes = [UInt8](data)
        let complete = (bytes.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
        var paths = Set<String>()
        var lineNumber = 0
        for line in bytes[..<complete].split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).dropLast() {
            lineNumber += 1
            let text = String(decoding: line, as: UTF8.self)
            func bad() -> TagFileError {
                TagFileError("\(file):\(lineNumber): not a line of a \(format.rawValue) tag file; choose another --out or move the file away")
            }
            switch format {
            case .jsonl:
                guard let record = try? JSONDecoder().decode(TagRecord.self, from: Data(line)) else { throw bad() }
                paths.insert(record.path)
            case .csv:
                if lineNumber == 1 {
                    guard text == csvHeader else { throw bad() }
                    continue
                }
                guard let path = firstCSVField(text) else { throw bad() }
                paths.insert(path)
            }
        }
        return ResumeState(paths: paths, completeLength: complete)
    }

    /// The first field of a CSV line (unquoted as RFC 4180 says), or nil when it is malformed.
    static func firstCSVField(_ line: String) -> String? {
        guard line.first == "\"" else {
            let field = line.prefix { $0 != "," }
            return field.isEmpty || field.count == line.count ? nil : String(field)
        }
        var field = ""
        var index = line.index(after: line.startIndex)
        while index < line.endIndex {
            let character = line[index]
            index = line.index(after: index)
            if character == "\"" {
                if index < line.endIndex, line[index] == "\"" {
                    field.append("\"")
                    index = line.index(after: index)
                } else {
                    return index < line.endIndex && line[index] == "," ? field : nil
                }
            } else {
                field.append(character)
            }
        }
        return nil
    }
}

/// An output file that cannot be resumed or written.
public struct TagFileError: Error, CustomStringConvertible {
    /// What is wrong, in one line.
    public var description: String
    init(_ description: String) { self.description = description }
}
