import Foundation
import Hummingbird
import HummingbirdTesting
import Inference
@testable import Server
import TestSupport
import XCTest

/// The service on a real socket (port 0), and answers under concurrency.
final class LiveTests: XCTestCase {
    /// Concurrent requests, each on its own connection and batched together by the queue, get the
    /// answers of one-at-a-time classification.
    func testConcurrentClassifyMatchesSingleRequests() async throws {
        let fixture = try ServiceFixture()
        let classifier = fixture.model.classifier
        let expected = try fixture.photos.map { try classifier.classify([classifier.input(photoAt: $0)], top: 10)[0] }
        let state = try fixture.state { $0.batching = .init(maxBatch: 8, maxDelay: .milliseconds(20), capacity: 1024) }
        let app = buildApplication(state)
        let photos = try fixture.photos.map { try Data(contentsOf: $0) }
        try await app.test(.live) { client in
            try await client.waitUntilReady()
            let port = try XCTUnwrap(client.port)
            let answers = LockedAnswers()
            // 16 client threads (more than the cores), 3 requests each.
            let clients = (0..<16).map { client in
                Thread {
                    for round in 0..<3 {
                        let i = (client * 3 + round) % photos.count
                        let reply = Result { try httpExchange(port: port, method: "POST", path: "/v1/classify?top=10",
                                                              headers: ["Content-Type": "image/png"], body: photos[i]) }
                        answers.add(i, reply)
                    }
                }
            }
            clients.forEach { $0.start() }
            while answers.all.count < 48 { try await Task.sleep(for: .milliseconds(20)) }
            XCTAssertEqual(answers.all.count, 48)
            for (i, reply) in answers.all {
                let (status, body) = try reply.get()
                XCTAssertEqual(status, 200, String(decoding: body, as: UTF8.self))
                let answer = try XCTUnwrap(try JSONSerialization.jsonObject(with: body) as? [String: Any])
                XCTAssertEqual(answer["label"] as? String, expected[i].label)
                let top = try XCTUnwrap(answer["top_k"] as? [[String: Any]])
                XCTAssertEqual(top.map { $0["index"] as? Int }, expected[i].topK.map(\.index))
                for (got, want) in zip(top, expected[i].topK) {
                    XCTAssertEqual(got["probability"] as? Double ?? -1, Double(want.probability), accuracy: 1e-5)
                }
            }
            // Some passes held several requests.
            let metrics = String(buffer: try await client.execute(uri: "/metrics", method: .get).body)
            let single = metrics.split(separator: "\n").first { $0.hasPrefix("fashion_inference_batch_size_bucket{le=\"1.0\"}") }
            let count = metrics.split(separator: "\n").first { $0.hasPrefix("fashion_inference_batch_size_count") }
            XCTAssertNotNil(single)
            XCTAssertNotEqual(single?.split(separator: " ").last, count?.split(separator: " ").last, "no request shared a batch")
        }
    }

    /// A declared body length over the limit is answered 413 at once, without waiting for the body.
    func testADeclaredLengthOverTheLimitIsRefusedAtOnce() async throws {
        try await expectAnswer(bodyTimeout: .seconds(20), declaredLength: 1 << 30, status: 413, code: "payload_too_large")
    }

    /// A client that sends its headers and then stalls gets 408 when the body timeout passes.
    func testAStalledUploadTimesOut() async throws {
        try await expectAnswer(bodyTimeout: .milliseconds(500), declaredLength: 1000, status: 408, code: "request_timeout")
    }

    /// Sends a classify request declaring `declaredLength` bytes with only 3 of them, on a raw
    /// socket to a live service, and expects `status` and `code` within 10 s.
    func expectAnswer(bodyTimeout: Duration, declaredLength: Int, status: Int, code: String,
                      file: StaticString = #filePath, line: UInt = #line) async throws {
        let fixture = try ServiceFixture()
        let app = buildApplication(try fixture.state { $0.body.timeout = bodyTimeout })
        try await app.test(.live) { client in
            try await client.waitUntilReady()
            let port = try XCTUnwrap(client.port)
            let started = Date()
            let reply = try await ServiceState.offLoop {
                try rawExchange(port: port, "POST /v1/classify HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n"
                                + "Content-Length: \(declaredLength)\r\n\r\nabc")
            }
            XCTAssertTrue(reply.hasPrefix("HTTP/1.1 \(status)"), reply, file: file, line: line)
            XCTAssertTrue(reply.contains("\"code\":\"\(code)\""), reply, file: file, line: line)
            XCTAssertLessThan(Date().timeIntervalSince(started), 10, file: file, line: line)
        }
    }

    /// The service has the documented routes, and each answers its method with something other
    /// than "no route" or 405.
    func testEveryRouteInTheTableExists() async throws {
        let fixture = try ServiceFixture()
        let state = try fixture.state()
        let listed = buildRouter(state).routes
        XCTAssertEqual(Set(listed.map(\.description)), [
            "GET /", "GET /metrics", "POST /v1/classify", "POST /v1/similar", "GET /v1/items/{id}/similar",
            "GET /v1/items/{id}/image", "PUT /v1/items/{id}", "DELETE /v1/items/{id}", "GET /v2/health/live",
            "GET /v2/health/ready", "GET /v2/models/{name}", "GET /v2/models/{name}/ready", "POST /v2/models/{name}/infer",
        ])
        let routes = listed.map { (method: $0.method, path: $0.path.description) }
        let app = buildApplication(state)
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            for route in routes {
                let path = "/" + route.path.split(separator: "/").map { $0.hasPrefix("{") ? "x" : String($0) }.joined(separator: "/")
                let response = try await client.execute(uri: path, method: route.method)
                XCTAssertNotEqual(response.status, .methodNotAllowed, path)
                if response.status == .notFound { XCTAssertNotEqual(try json(response)["code"] as? String, "no_route", path) }
            }
        }
    }
}

/// Answers gathered from several threads.
final class LockedAnswers: @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [(Int, Result<(Int, Data), any Error>)] = []
    func add(_ i: Int, _ reply: Result<(Int, Data), any Error>) { lock.withLock { answers.append((i, reply)) } }
    var all: [(Int, Result<(Int, Data), any Error>)] { lock.withLock { answers } }
}

/// One HTTP/1.1 request on its own connection: the status and the body of the answer.
func httpExchange(port: Int, method: String, path: String, headers: [String: String], body: Data) throws -> (Int, Data) {
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
    for (name, value) in headers { head += "\(name): \(value)\r\n" }
    let reply = try rawExchange(port: port, Data((head + "\r\n").utf8) + body)
    guard let split = reply.range(of: Data("\r\n\r\n".utf8)),
          let status = Int(String(decoding: reply[..<split.lowerBound], as: UTF8.self).split(separator: " ").dropFirst().first ?? "") else {
        throw POSIXError(.EBADMSG)
    }
    return (status, Data(reply[split.upperBound...]))
}

/// Sends `request` on a new TCP connection to 127.0.0.1:`port` and reads the answer (until its JSON
/// body is in, the server closes the connection, or 30 s).
func rawExchange(port: Int, _ request: String) throws -> String {
    let connection = try TCPConnection(port: port)
    try connection.send(request)
    return String(decoding: connection.receive(untilJSON: true), as: UTF8.self)
}

/// Sends `request` to 127.0.0.1:`port` and reads until the server closes the connection.
func rawExchange(port: Int, _ request: Data) throws -> Data {
    let connection = try TCPConnection(port: port)
    try connection.send(request)
    return connection.receive()
}
