import Checkpoint
import Decoding
import Foundation
import Hummingbird
import HummingbirdTesting
import Imaging
import Inference
import NN
import Server
import Similarity
import XCTest

/// The routes through Hummingbird's router test client: answers compared with the library's own.
final class RouteTests: XCTestCase {
    func testClassifyAnswersAsTheClassifierDoes() async throws {
        let fixture = try ServiceFixture()
        let app = buildApplication(try fixture.state())
        let classifier = fixture.model.classifier
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            for i in [0, 5, 11] {
                let expected = classifier.classify([try classifier.input(photoAt: fixture.photos[i])], top: 3)[0]
                let raw = try await client.execute(uri: "/v1/classify?input=1", method: .post, headers: [.contentType: "image/png"],
                                                   body: try fixture.photo(i))
                XCTAssertEqual(raw.status, .ok, String(buffer: raw.body))
                let answer = try json(raw)
                XCTAssertEqual(answer["label"] as? String, expected.label)
                XCTAssertEqual(answer["index"] as? Int, expected.index)
                XCTAssertEqual(answer["model"] as? String, "vgg-bn")
                XCTAssertEqual(answer["abstained"] as? Bool, false)
                XCTAssertNotNil(answer["elapsed_ms"] as? Double)
                let top = try XCTUnwrap(answer["top_k"] as? [[String: Any]])
                XCTAssertEqual(top.map { $0["label"] as? String }, expected.topK.map(\.label))
                for (got, want) in zip(top, expected.topK) {
                    XCTAssertEqual(got["probability"] as? Double ?? -1, Double(want.probability), accuracy: 1e-5)
                }
                // The input the model saw, as a 28×28 PNG.
                let input = try XCTUnwrap(answer["input"] as? String)
                XCTAssertTrue(input.hasPrefix("data:image/png;base64,"))
                let png = try PNG.decode(try XCTUnwrap(Data(base64Encoded: String(input.dropFirst(22)))))
                XCTAssertEqual([png.width, png.height], [28, 28])

                // The same photo as a form file gives the same answer.
                let form = multipart(boundary: "b0undary", [("note", nil, nil, Data("hello".utf8)),
                                                             ("photo", "x.png", "image/png", try Data(contentsOf: fixture.photos[i]))])
                let viaForm = try await client.execute(uri: "/v1/classify", method: .post,
                                                       headers: [.contentType: "multipart/form-data; boundary=b0undary"], body: form)
                XCTAssertEqual(viaForm.status, .ok, String(buffer: viaForm.body))
                XCTAssertEqual(try json(viaForm)["label"] as? String, expected.label)
            }
            // Abstention below a minimum confidence, and the number of classes asked for.
            let unsure = try json(try await client.execute(uri: "/v1/classify?min_confidence=1&top=5", method: .post,
                                                           headers: [.contentType: "image/png"], body: try fixture.photo(0)))
            XCTAssertEqual(unsure["abstained"] as? Bool, true)
            XCTAssertNotNil(unsure["reason"] as? String)
            XCTAssertEqual((unsure["top_k"] as? [Any])?.count, 5)
        }
    }

    func testAnInt8ModelAnswersAsItsClassifierAndCloseToFP32() async throws {
        let fixture = try ServiceFixture()
        let fp32 = fixture.model.classifier
        let checkpoint = try ModelCheckpoint.load(fixture.weights, defaultClassNames: [])
        let inputs = try fixture.photos.map { try fp32.input(photoAt: $0) }
        _ = Int8Quantization.quantize(checkpoint.model, calibration: [Classifier.tensor(inputs)])
        let url = fixture.directory.appendingPathComponent("int8.safetensors")
        try ModelCheckpoint.save(checkpoint.model, architecture: "vgg-bn", classNames: checkpoint.classNames, to: url)
        let model = try ServingModel.load(weights: url)
        XCTAssertEqual(model.classifier.int8Layers.count, 7, "all but the one-channel convolution")
        let app = buildApplication(try fixture.state(withIndex: false, model: model))
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            for i in [0, 5, 11] {
                let expected = model.classifier.classify([inputs[i]], top: 10)[0]
                let reference = fp32.classify([inputs[i]], top: 10)[0]
                let answer = try json(try await client.execute(uri: "/v1/classify?top=10", method: .post, headers: [.contentType: "image/png"],
                                                               body: try fixture.photo(i)))
                XCTAssertEqual(answer["label"] as? String, expected.label)
                let top = try XCTUnwrap(answer["top_k"] as? [[String: Any]])
                let probabilities = Dictionary(uniqueKeysWithValues: top.map { ($0["label"] as? String ?? "", $0["probability"] as? Double ?? -1) })
                for want in expected.topK { XCTAssertEqual(probabilities[want.label] ?? -1, Double(want.probability), accuracy: 1e-5) }
                // Random weights give near-uniform probabilities: int8 moves each by far less than they differ from uniform.
                for want in reference.topK { XCTAssertEqual(probabilities[want.label] ?? -1, Double(want.probability), accuracy: 0.01) }
            }
        }
    }

    func testSimilarItemsAndThumbnails() async throws {
        let fixture = try ServiceFixture()
        let app = buildApplication(try fixture.state())
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            // A photo in the catalogue finds itself first.
            let found = try json(try await client.execute(uri: "/v1/similar?k=4", method: .post, headers: [.contentType: "image/png"],
                                                          body: try fixture.photo(3)))
            let neighbours = try XCTUnwrap(found["neighbours"] as? [[String: Any]])
            XCTAssertEqual(neighbours.count, 4)
            XCTAssertEqual(neighbours.first?["id"] as? String, fixture.photos[3].path)
            XCTAssertEqual(neighbours.first?["score"] as? Double ?? 0, 1, accuracy: 1e-4)
            let scores = neighbours.compactMap { $0["score"] as? Double }
            XCTAssertEqual(scores, scores.sorted(by: >))

            // Same-label search keeps only the query's predicted class.
            let same = try json(try await client.execute(uri: "/v1/similar?k=12&same_label=1", method: .post,
                                                         headers: [.contentType: "image/png"], body: try fixture.photo(3)))
            let label = try XCTUnwrap(same["label"] as? String)
            XCTAssertTrue((same["neighbours"] as? [[String: Any]])?.allSatisfy { $0["label"] as? String == label } ?? false)

            // An item's neighbours leave the item out; its thumbnail is a PNG of the size asked for.
            let imageURL = try XCTUnwrap(neighbours.first?["image"] as? String)
            XCTAssertTrue(imageURL.hasPrefix("/v1/items/%2F"), imageURL)
            let itemPath = String(imageURL.dropLast("/image".count))
            let byItem = try json(try await client.execute(uri: itemPath + "/similar?k=3", method: .get))
            let ids = try XCTUnwrap(byItem["neighbours"] as? [[String: Any]]).compactMap { $0["id"] as? String }
            XCTAssertEqual(ids.count, 3)
            XCTAssertFalse(ids.contains(fixture.photos[3].path))
            let thumbnail = try await client.execute(uri: imageURL + "?size=64", method: .get)
            XCTAssertEqual(thumbnail.status, .ok)
            XCTAssertEqual(thumbnail.headers[.contentType], "image/png")
            let picture = try PNG.decode(Data(thumbnail.body.readableBytesView))
            XCTAssertEqual([picture.width, picture.height], [64, 64])
        }
    }

    func testItemUpdatesNeedTheTokenAndAreSaved() async throws {
        let fixture = try ServiceFixture()
        let app = buildApplication(try fixture.state { $0.token = "s3cret-token" })
        let newID = "new/../../outside item ✓"
        let path = "/v1/items/" + newID.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let body = try fixture.photo(7)
            try expectError(try await client.execute(uri: path, method: .put, headers: [.contentType: "image/png"], body: body),
                            .unauthorized, code: "unauthorized")
            try expectError(try await client.execute(uri: path, method: .put,
                                                     headers: [.contentType: "image/png", .authorization: "Bearer wrong"], body: body),
                            .forbidden, code: "forbidden")
            try expectError(try await client.execute(uri: path, method: .delete, headers: [.authorization: "Basic eDp5"]),
                            .unauthorized, code: "unauthorized")
            let auth: HTTPFields = [.contentType: "image/png", .authorization: "Bearer s3cret-token"]
            let created = try await client.execute(uri: path, method: .put, headers: auth, body: body)
            XCTAssertEqual(created.status, .created, String(buffer: created.body))
            XCTAssertEqual(try json(created)["items"] as? Int, 13)
            XCTAssertEqual(try json(created)["replaced"] as? Bool, false)
            // Saved: the file on disk holds it, and its photo is inside the index's image folder.
            XCTAssertEqual(try IndexFile.read(fixture.indexURL).slotsByID()[newID] != nil, true)
            let stored = try FileManager.default.contentsOfDirectory(atPath: fixture.indexURL.path + ".images")
            XCTAssertEqual(stored, [SHA256.hex(Data(newID.utf8))])
            // Searchable at once; its thumbnail comes from the uploaded photo.
            // (The photo is also in the index under its path: both score 1.)
            let found = try json(try await client.execute(uri: "/v1/similar?k=2", method: .post, headers: [.contentType: "image/png"], body: body))
            XCTAssertEqual(Set((found["neighbours"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }), [newID, fixture.photos[7].path])
            expectEqual(try await client.execute(uri: path + "/image", method: .get).status, .ok)

            let replaced = try await client.execute(uri: path, method: .put, headers: auth, body: try fixture.photo(8))
            XCTAssertEqual(replaced.status, .ok)
            XCTAssertEqual(try json(replaced)["replaced"] as? Bool, true)
            XCTAssertEqual(try json(replaced)["items"] as? Int, 13)

            let deleted = try await client.execute(uri: path, method: .delete, headers: [.authorization: "Bearer s3cret-token"])
            XCTAssertEqual(deleted.status, .ok, String(buffer: deleted.body))
            XCTAssertEqual(try json(deleted)["items"] as? Int, 12)
            XCTAssertNil(try IndexFile.read(fixture.indexURL).slotsByID()[newID])
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: fixture.indexURL.path + ".images"), [])
            try expectError(try await client.execute(uri: path, method: .delete, headers: [.authorization: "Bearer s3cret-token"]),
                            .notFound, code: "unknown_item")
            try expectError(try await client.execute(uri: path + "/similar", method: .get), .notFound, code: "unknown_item")
        }
        // Nothing was written outside the fixture's folder.
        XCTAssertFalse(FileManager.default.fileExists(atPath: fixture.directory.deletingLastPathComponent().appendingPathComponent("outside item ✓").path))
    }

    func testKServeHealthMetadataAndInfer() async throws {
        let fixture = try ServiceFixture()
        let app = buildApplication(try fixture.state())
        let classifier = fixture.model.classifier
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            expectEqual(try json(try await client.execute(uri: "/v2/health/live", method: .get))["live"] as? Bool, true)
            expectEqual(try json(try await client.execute(uri: "/v2/health/ready", method: .get))["ready"] as? Bool, true)
            expectEqual(try await client.execute(uri: "/v2/models/vgg-bn/ready", method: .get).status, .ok)
            let metadata = try json(try await client.execute(uri: "/v2/models/vgg-bn", method: .get))
            XCTAssertEqual(metadata["name"] as? String, "vgg-bn")
            XCTAssertEqual((metadata["inputs"] as? [[String: Any]])?.first?["shape"] as? [Int], [-1, 1, 28, 28])
            XCTAssertEqual((metadata["outputs"] as? [[String: Any]])?.first?["shape"] as? [Int], [-1, 10])
            try expectError(try await client.execute(uri: "/v2/models/other", method: .get), .notFound, code: "unknown_model")
            try expectError(try await client.execute(uri: "/v2/models/other/infer", method: .post), .notFound, code: "unknown_model")

            // Two images, flat and nested, give the classifier's probabilities.
            let inputs = [try classifier.input(photoAt: fixture.photos[0]), try classifier.input(photoAt: fixture.photos[9])]
            let tensor = Classifier.tensor(inputs)
            let expected = classifier.probabilities(inputs).scalars
            let nested: [[[[Float]]]] = (0..<2).map { n in [(0..<28).map { y in Array(tensor.scalars[(n * 784 + y * 28)..<(n * 784 + y * 28 + 28)]) }] }
            for data in [tensor.scalars as Any, nested as Any] {
                let request: [String: Any] = ["id": "r1", "inputs": [["name": "input", "shape": [2, 1, 28, 28], "datatype": "FP32", "data": data]]]
                let answer = try await client.execute(uri: "/v2/models/vgg-bn/infer", method: .post, headers: [.contentType: "application/json"],
                                                      body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: request)))
                XCTAssertEqual(answer.status, .ok, String(buffer: answer.body))
                let body = try json(answer)
                XCTAssertEqual(body["model_name"] as? String, "vgg-bn")
                XCTAssertEqual(body["id"] as? String, "r1")
                let output = try XCTUnwrap((body["outputs"] as? [[String: Any]])?.first)
                XCTAssertEqual(output["shape"] as? [Int], [2, 10])
                let values = try XCTUnwrap(output["data"] as? [Double])
                XCTAssertEqual(values.count, 20)
                for (got, want) in zip(values, expected) { XCTAssertEqual(got, Double(want), accuracy: 1e-5) }
            }
            // Bad requests, each a 400 naming the problem (or 415 for another media type).
            func infer(_ body: String, type: String = "application/json") async throws -> TestResponse {
                try await client.execute(uri: "/v2/models/vgg-bn/infer", method: .post, headers: [.contentType: type], body: ByteBuffer(string: body))
            }
            try expectError(try await infer("{}", type: "text/plain"), .unsupportedMediaType, code: "unsupported_media_type")
            try expectError(try await infer("not json"), .badRequest, code: "bad_json")
            try expectError(try await infer(#"{"inputs": []}"#), .badRequest, code: "bad_input")
            try expectError(try await infer(#"{"inputs": [{"name": "x", "shape": [1, 1, 28, 28], "datatype": "INT8", "data": [1]}]}"#), .badRequest, code: "bad_input")
            try expectError(try await infer(#"{"inputs": [{"name": "x", "shape": [1, 3, 28, 28], "datatype": "FP32", "data": [1]}]}"#), .badRequest, code: "bad_input")
            try expectError(try await infer(#"{"inputs": [{"name": "x", "shape": [1, 1, 28, 28], "datatype": "FP32", "data": [1, 2]}]}"#), .badRequest, code: "bad_input")
            try expectError(try await infer(#"{"inputs": [{"name": "x", "shape": [0, 1, 28, 28], "datatype": "FP32", "data": []}]}"#), .badRequest, code: "bad_input")
            try expectError(try await infer(#"{"inputs": [{"name": "x", "shape": [1, 1, 28, 28], "datatype": "FP32", "data": ["a"]}]}"#), .badRequest, code: "bad_json")
            try expectError(try await infer(#"{"inputs": [{"name": "x", "shape": [1, 1, 28, 28], "datatype": "FP32", "data": [[[[[[[[[[1]]]]]]]]]]}]}"#), .badRequest, code: "bad_json")
        }
    }

    func testMetricsCountRequestsByRouteAndStatus() async throws {
        let fixture = try ServiceFixture()
        let app = buildApplication(try fixture.state())
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            for _ in 0..<3 {
                _ = try await client.execute(uri: "/v1/classify", method: .post, headers: [.contentType: "image/png"], body: try fixture.photo(1))
            }
            _ = try await client.execute(uri: "/v1/classify", method: .post, headers: [.contentType: "text/plain"], body: ByteBuffer(string: "x"))
            let response = try await client.execute(uri: "/metrics", method: .get)
            XCTAssertEqual(response.headers[.contentType], "text/plain; version=0.0.4; charset=utf-8")
            let text = String(buffer: response.body)
            XCTAssertTrue(text.contains(#"fashion_http_requests_total{route="/v1/classify",method="POST",status="200"} 3"#), text)
            XCTAssertTrue(text.contains(#"fashion_http_requests_total{route="/v1/classify",method="POST",status="415"} 1"#), text)
            XCTAssertTrue(text.contains("fashion_index_items 12"), text)
            XCTAssertTrue(text.contains("fashion_inference_queue_seconds_count"), text)
            XCTAssertTrue(text.contains("fashion_inference_compute_seconds_count"), text)
            XCTAssertTrue(text.contains("fashion_inference_batch_size_bucket"), text)
            XCTAssertTrue(text.contains("fashion_http_requests_in_flight 1"), text)  // this request
            let memory = try XCTUnwrap(text.split(separator: "\n").first { $0.hasPrefix("fashion_resident_memory_bytes ") })
            XCTAssertGreaterThan(Double(memory.split(separator: " ")[1]) ?? 0, 1e6)
        }
    }

    func testThePageIsSelfContained() async throws {
        let fixture = try ServiceFixture()
        let app = buildApplication(try fixture.state())
        try await app.test(.router) { client in
            try await client.waitUntilReady()
            let page = try await client.execute(uri: "/", method: .get)
            XCTAssertEqual(page.status, .ok)
            XCTAssertEqual(page.headers[.contentType], "text/html; charset=utf-8")
            let html = String(buffer: page.body)
            XCTAssertTrue(html.contains("<input id=\"file\" type=\"file\""))
            XCTAssertTrue(html.contains("name=\"viewport\""))
            for external in ["http://", "https://", "//cdn", "<link", "src=\"http", "@import", "url("] {
                XCTAssertFalse(html.contains(external), "the page refers to something outside it: \(external)")
            }
        }
    }
}
