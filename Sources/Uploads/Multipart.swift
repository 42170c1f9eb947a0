import Foundation

/// One part of a `multipart/form-data` body: its form field name, file name, media type and bytes.
public struct FormPart: Equatable, Sendable {
    /// The `name` of the form field.
    public var name: String?
    /// The `filename` the browser sent, if any.
    public var filename: String?
    /// The part's `Content-Type`, lower-cased without parameters (nil when the part names none).
    public var mediaType: String?
    /// The part's content.
    public var body: Data

    /// A part named `name` (`filename`, `mediaType` when given) holding `body`.
    public init(name: String?, filename: String?, mediaType: String?, body: Data) {
        self.name = name
        self.filename = filename
        self.mediaType = mediaType
        self.body = body
    }
}

/// A request body that cannot be read as what its headers say; the message says why in one line.
public struct UploadError: Error, CustomStringConvertible, Equatable {
    /// What is wrong.
    public var description: String
    /// An error saying `description`.
    public init(_ description: String) { self.description = description }
}

/// A `Content-Type` header value: the media type (lower case) and its parameters (names lower case).
public struct MediaType: Equatable, Sendable {
    /// `type/subtype`, e.g. `image/jpeg`.
    public var name: String
    /// Parameters such as `boundary` (quotes removed).
    public var parameters: [String: String]

    /// Parses `text` (RFC 9110: `type/subtype *( ; name=value )`); nil when it is not a media type.
    public init?(_ text: String) {
        let pieces = text.split(separator: ";", omittingEmptySubsequences: false)
        let name = pieces[0].trimmingCharacters(in: .whitespaces).lowercased()
        let halves = name.split(separator: "/", omittingEmptySubsequences: false)
        guard halves.count == 2, !halves[0].isEmpty, !halves[1].isEmpty,
              name.allSatisfy({ $0.isLetter || $0.isNumber || "!#$&-^_.+/".contains($0) }) else { return nil }
        self.name = name
        parameters = [:]
        for piece in pieces.dropFirst() {
            guard let equals = piece.firstIndex(of: "=") else { continue }
            let key = piece[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = piece[piece.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            if !key.isEmpty { parameters[key] = value }
        }
    }
}

/// `multipart/form-data` (RFC 7578) bodies split into their parts.
public enum MultipartForm {
    /// The most parts read from one body.
    public static let maximumParts = 16
    /// The most header bytes of one part.
    public static let maximumHeaderBytes = 8192

    /// The parts of `body` delimited by `boundary`. Refuses a missing or malformed boundary, parts
    /// without a blank line after their headers, more than `maximumParts` parts and a body without
    /// its closing delimiter.
    public static func parts(of body: Data, boundary: String) throws -> [FormPart] {
        guard (1...70).contains(boundary.utf8.count), !boundary.utf8.contains(where: { $0 < 0x20 || $0 > 0x7e }) else {
            throw UploadError("the multipart boundary must be 1 to 70 printable ASCII characters")
        }
        let bytes = [UInt8](body)
        let delimiter = Array("--\(boundary)".utf8)
        let separator = [UInt8]([13, 10]) + delimiter  // CRLF before every delimiter but the first
        guard var position = find(delimiter, in: bytes, from: 0) else {
            throw UploadError("the multipart body holds no part delimited by its boundary")
        }
        position += delimiter.count
        var parts: [FormPart] = []
        while true {
            // After a delimiter: "--" ends the body, else CRLF starts a part.
            if bytes[position...].starts(with: [45, 45]) { return parts }
            position = skipLinearWhitespace(bytes, from: position)
            guard bytes[position...].starts(with: [13, 10]) else { throw UploadError("a multipart delimiter is not followed by a line break") }
            position += 2
            guard parts.count < maximumParts else { throw UploadError("the multipart body has more than \(maximumParts) parts") }
            // The headers end at the first blank line (at once when the part has none).
            let headerEnd: Int
            if bytes[position...].starts(with: [13, 10]) {
                headerEnd = position - 2
            } else if let end = find([13, 10, 13, 10], in: bytes, from: position, limit: maximumHeaderBytes) {
                headerEnd = end
            } else {
                throw UploadError("a multipart part's headers do not end with a blank line within \(maximumHeaderBytes) bytes")
            }
            let headers = headerEnd > position ? String(decoding: bytes[position..<headerEnd], as: UTF8.self) : ""
            let contentStart = headerEnd + 4
            guard let end = find(separator, in: bytes, from: contentStart) else {
                throw UploadError("the multipart body ends before its closing delimiter")
            }
            parts.append(try part(headers: headers, body: Data(bytes[contentStart..<end])))
            position = end + separator.count
        }
    }

    /// A part from its header lines and content.
    private static func part(headers: String, body: Data) throws -> FormPart {
        var part = FormPart(name: nil, filename: nil, mediaType: nil, body: body)
        for line in headers.split(separator: "\r\n", omittingEmptySubsequences: true) {
            guard let colon = line.firstIndex(of: ":") else { throw UploadError("a multipart part has a header line without ':'") }
            let field = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
            let value = String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
            switch field {
            case "content-type":
                guard let type = MediaType(value) else { throw UploadError("a multipart part's Content-Type '\(value.prefix(60))' is not a media type") }
                part.mediaType = type.name
            case "content-disposition":
                // form-data; name="photo"; filename="x.jpg" (parsed like a media type's parameters)
                let parameters = MediaType("x/" + value)?.parameters ?? [:]
                part.name = parameters["name"]
                part.filename = parameters["filename"]
            default: continue
            }
        }
        return part
    }

    private static func skipLinearWhitespace(_ bytes: [UInt8], from start: Int) -> Int {
        var i = start
        while i < bytes.count, bytes[i] == 32 || bytes[i] == 9 { i += 1 }
        return i
    }

    /// The first index at or after `start` where `needle` begins (within `limit` bytes when given).
    static func find(_ needle: [UInt8], in bytes: [UInt8], from start: Int, limit: Int? = nil) -> Int? {
        guard !needle.isEmpty, start >= 0 else { return nil }
        let last = min(bytes.count - needle.count, limit.map { start + $0 } ?? Int.max)
        guard start <= last else { return nil }
        let first = needle[0]
        var i = start
        while i <= last {
            if bytes[i] == first && bytes[i..<i + needle.count].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
