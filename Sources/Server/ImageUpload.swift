import Foundation
import Hummingbird
import Uploads

/// How much a request may send, and how long it may take to send it.
public struct BodyLimits: Sendable, Equatable {
    /// The largest body taken, in bytes (answered 413 before it is read when Content-Length says more).
    public var maxBytes = 16 << 20
    /// The longest a client may take to send its body (answered 408 after).
    public var timeout: Duration = .seconds(30)

    /// Bodies of up to 16 MiB, sent within 30 s.
    public init(maxBytes: Int = 16 << 20, timeout: Duration = .seconds(30)) {
        self.maxBytes = maxBytes
        self.timeout = timeout
    }
}

/// The image a request carries: its whole body as `image/jpeg`, `image/png` or `image/webp`, or
/// the one file of a `multipart/form-data` body.
enum ImageUpload {
    /// The media types taken as images.
    static let imageTypes: Set<String> = ["image/jpeg", "image/png", "image/webp"]

    /// The image bytes of `request`, or the error to answer: 415 for another media type, 413 for a
    /// body over the limit, 408 for one not sent in time, 400 for an empty body or a form without
    /// exactly one file.
    static func read(_ request: Request, limits: BodyLimits) async throws -> Data {
        guard let header = request.headers[.contentType], let type = MediaType(header) else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "send the photo as image/jpeg, image/png or image/webp, or as a file in a multipart/form-data body")
        }
        guard imageTypes.contains(type.name) || type.name == "multipart/form-data" else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "\(type.name.prefix(80)) is not taken: send image/jpeg, image/png, image/webp or multipart/form-data")
        }
        let body = try await Self.body(of: request, limits: limits)
        guard type.name == "multipart/form-data" else {
            guard !body.isEmpty else { throw APIError.badRequest("empty_body", "the request has no image in its body") }
            return body
        }
        guard let boundary = type.parameters["boundary"] else {
            throw APIError.badRequest("bad_multipart", "multipart/form-data without a boundary parameter")
        }
        let parts: [FormPart]
        do { parts = try MultipartForm.parts(of: body, boundary: boundary) } catch let error as UploadError {
            throw APIError.badRequest("bad_multipart", error.description)
        }
        let files = parts.filter { $0.filename != nil || ($0.mediaType?.hasPrefix("image/") ?? false) }
        guard files.count == 1, let file = files.first else {
            throw APIError.badRequest("bad_multipart", "the form holds \(files.count) files; send exactly one photo")
        }
        if let mediaType = file.mediaType, mediaType != "application/octet-stream", !imageTypes.contains(mediaType) {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "the form's file is \(mediaType.prefix(80)); send a JPEG, PNG or WebP photo")
        }
        guard !file.body.isEmpty else { throw APIError.badRequest("empty_body", "the form's file is empty") }
        return file.body
    }

    /// The whole body, refused (413) when its declared or actual length passes `limits.maxBytes`, or
    /// (408) when it has not arrived within `limits.timeout`.
    static func body(of request: Request, limits: BodyLimits) async throws -> Data {
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limits.maxBytes {
            throw tooLarge(limits)
        }
        let body = request.body
        let buffer: ByteBuffer
        do {
            buffer = try await withDeadline(limits.timeout) { try await body.collect(upTo: limits.maxBytes) }
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge(limits)  // the body passed the limit while arriving (no or a false Content-Length)
        }
        return Data(buffer.readableBytesView)
    }

    private static func tooLarge(_ limits: BodyLimits) -> APIError {
        APIError(.contentTooLarge, "payload_too_large", "the body is larger than \(limits.maxBytes) bytes, the most this service takes")
    }
}

/// `operation`'s result, or 408 when it takes longer than `timeout` (the operation is cancelled).
func withDeadline<T: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: timeout)
            throw APIError(.requestTimeout, "request_timeout", "the request body did not arrive within \(timeout)")
        }
        defer { group.cancelAll() }
        return try await group.next()!
    }
}
