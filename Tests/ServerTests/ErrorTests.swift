import Foundation
import Hummingbird
import HummingbirdTesting
import Imaging
import Server
import XCTest

/// Every refusal is JSON `{"error", "code"}` with the documented status.
final class ErrorTests: XCTestCase {
    func testBadRequestsGetTheirStatus() async throws {
        let fixture = try ServiceFixture()
        let app = buildApplication(try fixture.state { $0.body.maxBytes = 64 << 10 })
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            func post(_ uri: String, _ type: String?, _ body: ByteBuffer?, headers extra: HTTPFields = [:]) async throws -> TestResponse {
                var headers = extra
                if let type { headers[.contentType] = type }
                return try await client.execute(uri: uri, method: .post, headers: headers, body: body)
            }
            let photo = try fixture.photo(0)
            // 400: undecodable images, empty bodies, bad parameters, bad forms.
            try expectError(try await post("/v1/classify", "image/jpeg", ByteBuffer(string: "not a jpeg at all")), .badRequest, code: "undecodable_image")
            var truncated = photo
            truncated.moveWriterIndex(to: 60)
            try expectError(try await post("/v1/classify", "image/png", truncated), .badRequest, code: "undecodable_image")
            try expectError(try await post("/v1/classify", "image/png", nil), .badRequest, code: "empty_body")
            try expectError(try await post("/v1/classify?top=0", "image/png", photo), .badRequest, code: "bad_parameter")
            try expectError(try await post("/v1/classify?top=x", "image/png", photo), .badRequest, code: "bad_parameter")
            try expectError(try await post("/v1/classify?min_confidence=2", "image/png", photo), .badRequest, code: "bad_parameter")
            try expectError(try await post("/v1/classify?input=maybe", "image/png", photo), .badRequest, code: "bad_parameter")
            try expectError(try await post("/v1/similar?k=0", "image/png", photo), .badRequest, code: "bad_parameter")
            try expectError(try await post("/v1/similar?k=101", "image/png", photo), .badRequest, code: "bad_parameter")
            try expectError(try await client.execute(uri: "/v1/items/x/image?size=5000", method: .get), .badRequest, code: "bad_parameter")
            try expectError(try await post("/v1/classify", "multipart/form-data", photo), .badRequest, code: "bad_multipart")
            try expectError(try await post("/v1/classify", "multipart/form-data; boundary=zz", photo), .badRequest, code: "bad_multipart")
            let twoFiles = multipart(boundary: "zz", [("a", "a.png", "image/png", Data(photo.readableBytesView)),
                                                     ("b", "b.png", "image/png", Data(photo.readableBytesView))])
            try expectError(try await post("/v1/classify", "multipart/form-data; boundary=zz", twoFiles), .badRequest, code: "bad_multipart")
            let noFile = multipart(boundary: "zz", [("a", nil, nil, Data("text".utf8))])
            try expectError(try await post("/v1/classify", "multipart/form-data; boundary=zz", noFile), .badRequest, code: "bad_multipart")
            try expectError(try await client.execute(uri: "/v1/items/%0A/similar", method: .get), .badRequest, code: "bad_id")
            try expectError(try await client.execute(uri: "/v1/items/%ZZ/similar", method: .get), .badRequest, code: "bad_id")

            // 404: routes, items, models.
            try expectError(try await client.execute(uri: "/nowhere", method: .get), .notFound, code: "no_route")
            try expectError(try await client.execute(uri: "/v1/items/nope/image", method: .get), .notFound, code: "unknown_item")
            try expectError(try await client.execute(uri: "/v2/models/nope/ready", method: .get), .notFound, code: "unknown_model")

            // 405 with Allow.
            let wrongMethod = try await client.execute(uri: "/v1/classify", method: .get)
            try expectError(wrongMethod, .methodNotAllowed, code: "method_not_allowed")
            XCTAssertEqual(wrongMethod.headers[.allow], "POST")
            expectEqual(try await client.execute(uri: "/v1/items/x", method: .post).headers[.allow], "DELETE, PUT")

            // 413: a body over the limit, a form file over it (a declared length over it:
            // LiveTests.testADeclaredLengthOverTheLimitIsRefusedAtOnce; the pixel cap: below).
            let big = ByteBuffer(repeating: 0x41, count: 65 << 10)
            try expectError(try await post("/v1/classify", "image/png", big), .contentTooLarge, code: "payload_too_large")
            try expectError(try await post("/v1/classify", "multipart/form-data; boundary=zz",
                                           multipart(boundary: "zz", [("a", "a.png", "image/png", Data(count: 70 << 10))])),
                            .contentTooLarge, code: "payload_too_large")

            // 415: other media types, or none.
            try expectError(try await post("/v1/classify", "text/plain", ByteBuffer(string: "hi")), .unsupportedMediaType, code: "unsupported_media_type")
            try expectError(try await post("/v1/classify", nil, photo), .unsupportedMediaType, code: "unsupported_media_type")
            try expectError(try await post("/v1/classify", "image/gif", photo), .unsupportedMediaType, code: "unsupported_media_type")
            try expectError(try await post("/v1/classify", "multipart/form-data; boundary=zz",
                                           multipart(boundary: "zz", [("a", "a.txt", "text/plain", Data("x".utf8))])),
                            .unsupportedMediaType, code: "unsupported_media_type")
        }
    }

    func testPhotosOverThePixelCapAre413() async throws {
        let fixture = try ServiceFixture()
        let limited = try ServingModel.load(weights: fixture.weights, limits: .init(maxPixels: 1_000_000))
        let app = buildApplication(try fixture.state(model: limited))
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let huge = PNG.encode(RGBImage(width: 2000, height: 1000))
            try expectError(try await client.execute(uri: "/v1/classify", method: .post, headers: [.contentType: "image/png"],
                                                     body: ByteBuffer(bytes: huge)), .contentTooLarge, code: "too_many_pixels")
            let fine = PNG.encode(RGBImage(width: 1000, height: 1000))
            expectEqual(try await client.execute(uri: "/v1/classify", method: .post, headers: [.contentType: "image/png"],
                                                    body: ByteBuffer(bytes: fine)).status, .ok)
        }
    }

    func testNotReadyIs503WithRetryAfter() async throws {
        let fixture = try ServiceFixture()
        let state = try fixture.state()
        // The router alone, without the service that warms the model up: never ready.
        let app = Application(router: buildRouter(state))
        try await app.test(.router) { client in
            expectEqual(try await client.execute(uri: "/v2/health/live", method: .get).status, .ok)
            for uri in ["/v2/health/ready", "/v2/models/vgg-bn/ready"] {
                let response = try await client.execute(uri: uri, method: .get)
                try expectError(response, .serviceUnavailable, code: "not_ready")
                XCTAssertEqual(response.headers[.retryAfter], "1")
            }
            try expectError(try await client.execute(uri: "/v1/classify", method: .post, headers: [.contentType: "image/png"],
                                                     body: try fixture.photo(0)), .serviceUnavailable, code: "not_ready")
        }
        state.queue.stop()
    }

    func testAFullQueueIs503() async throws {
        let fixture = try ServiceFixture()
        // Room for one waiting image: while a 256-image infer request runs, one photo waits and the next is refused.
        let state = try fixture.state { $0.batching = .init(maxBatch: 256, maxDelay: .zero, capacity: 1) }
        let app = buildApplication(state)
        let photo = try fixture.photo(0)
        let big: [String: Any] = ["inputs": [["name": "input", "shape": [256, 1, 28, 28], "datatype": "FP32",
                                              "data": [Float](repeating: 0.5, count: 256 * 784)]]]
        let bigBody = ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: big))
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            async let running = client.execute(uri: "/v2/models/vgg-bn/infer", method: .post, headers: [.contentType: "application/json"], body: bigBody)
            while state.queue.depth == 0 && state.queue.busy == false { try await Task.sleep(for: .milliseconds(5)) }
            async let waiting = client.execute(uri: "/v1/classify", method: .post, headers: [.contentType: "image/png"], body: photo)
            while state.queue.depth == 0 { try await Task.sleep(for: .milliseconds(5)) }
            let refused = try await client.execute(uri: "/v1/classify", method: .post, headers: [.contentType: "image/png"], body: photo)
            try expectError(refused, .serviceUnavailable, code: "queue_full")
            XCTAssertEqual(refused.headers[.retryAfter], "1")
            let statuses = try await [running.status, waiting.status]
            XCTAssertEqual(statuses, [.ok, .ok])
        }
    }

    func testWithoutAnIndexTheCatalogueRoutesSayWhy() async throws {
        let fixture = try ServiceFixture()
        let app = buildApplication(try fixture.state(withIndex: false))
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            try expectError(try await client.execute(uri: "/v1/similar", method: .post, headers: [.contentType: "image/png"],
                                                     body: try fixture.photo(0)), .notFound, code: "no_index")
            try expectError(try await client.execute(uri: "/v1/items/a/similar", method: .get), .notFound, code: "no_index")
            expectEqual(try await client.execute(uri: "/v1/classify", method: .post, headers: [.contentType: "image/png"],
                                                    body: try fixture.photo(0)).status, .ok)
        }
    }

    func testAnIndexFromOtherWeightsIsRefused() throws {
        let fixture = try ServiceFixture()
        let other = fixture.directory.appendingPathComponent("other.safetensors")
        try FileManager.default.copyItem(at: fixture.weights, to: other)
        var bytes = try Data(contentsOf: other)
        bytes[bytes.count - 1] ^= 1  // another weight, another SHA-256
        try bytes.write(to: other)
        let model = try ServingModel.load(weights: other)
        XCTAssertThrowsError(try Catalogue(url: fixture.indexURL, source: model.embeddingSource, datasetDirectory: fixture.directory)) {
            XCTAssertTrue("\($0)".contains("was not built from these weights"), "\($0)")
        }
    }
}
