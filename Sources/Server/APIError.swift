import Foundation
import Hummingbird

/// A refused request: its HTTP status, a stable machine-readable code and a one-line message, sent as
/// JSON `{"error": message, "code": code}` (every non-2xx answer of the service has this shape).
public struct APIError: HTTPResponseError, Equatable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// A short snake_case code such as `undecodable_image`.
    public var code: String
    /// What is wrong, in one line.
    public var message: String
    /// Extra response headers (`Retry-After`, `Allow`, `WWW-Authenticate`).
    public var headers: HTTPFields

    /// An error answered with `status`.
    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = "application/json; charset=utf-8"
        let body = (try? JSONEncoder.sorted.encode(["error": message, "code": code])) ?? Data(#"{"code":"internal","error":"?"}"#.utf8)
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// 400: a parameter or body that cannot be used.
    static func badRequest(_ code: String, _ message: String) -> APIError { APIError(.badRequest, code, message) }
    /// 404: no such route, model or item.
    static func notFound(_ code: String, _ message: String) -> APIError { APIError(.notFound, code, message) }
    /// 503 with Retry-After: not ready yet, or the queue is full.
    static func unavailable(_ code: String, _ message: String, retryAfter seconds: Int = 1) -> APIError {
        APIError(.serviceUnavailable, code, message, headers: [.retryAfter: "\(seconds)"])
    }

    /// The code for a status that has no specific one.
    static func code(for status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400: return "bad_request"
        case 401: return "unauthorized"
        case 403: return "forbidden"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 408: return "request_timeout"
        case 413: return "payload_too_large"
        case 415: return "unsupported_media_type"
        case 503: return "unavailable"
        default: return status.code >= 500 ? "internal" : "error_\(status.code)"
        }
    }
}

extension JSONEncoder {
    /// Keys sorted, slashes unescaped: stable answers.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// Turns every error into the JSON error answer: `APIError`s as they are, Hummingbird's own
/// (too-large bodies, unknown routes) by status, a route that exists for other methods into 405 with
/// `Allow`, and anything else into 500 (logged: a bug).
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The routes and their methods, to tell 405 from 404.
    let routes: RouteTable

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            throw error
        } catch let error as any HTTPResponseError {
            if error.status == .notFound, context.endpointPath == "NotFound" || context.endpointPath == nil {
                let allowed = routes.methods(for: request.uri.path)
                if !allowed.isEmpty {
                    throw APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path); use \(allowed.joined(separator: ", "))",
                                   headers: [.allow: allowed.joined(separator: ", ")])
                }
                throw APIError.notFound("no_route", "no route \(request.method) \(request.uri.path.prefix(200))")
            }
            if error.status == .contentTooLarge {
                throw APIError(.contentTooLarge, "payload_too_large", "the request body is larger than this service takes")
            }
            throw APIError(error.status, APIError.code(for: error.status), "\(error.status.reasonPhrase)")
        } catch is CancellationError {
            throw APIError(.requestTimeout, "request_timeout", "the request was cancelled")
        } catch {
            context.logger.error("unhandled error on \(request.method) \(request.uri.path): \(error)")
            throw APIError(.internalServerError, "internal", "internal error (logged)")
        }
    }
}

/// The service's routes as path patterns (`/v1/items/{id}/similar`) with their methods.
struct RouteTable: Sendable {
    private(set) var routes: [(pattern: [Substring], method: HTTPRequest.Method)] = []

    mutating func add(_ method: HTTPRequest.Method, _ path: String) {
        routes.append((path.split(separator: "/"), method))
    }

    /// The methods of the routes matching `path` (sorted; empty when none does).
    func methods(for path: String) -> [String] {
        let parts = path.split(separator: "/")
        let found = routes.filter { route in
            route.pattern.count == parts.count
                && zip(route.pattern, parts).allSatisfy { pattern, part in pattern.hasPrefix("{") || pattern == part }
        }
        return Set(found.map(\.method.rawValue)).sorted()
    }
}
