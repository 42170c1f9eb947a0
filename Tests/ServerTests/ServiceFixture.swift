import Checkpoint
import Data
import Foundation
import Hummingbird
import HummingbirdTesting
import Inference
import Models
import Server
import Similarity
import TestSupport
import XCTest

/// A small service for the route tests: a vgg-bn checkpoint (random weights, Fashion-MNIST class
/// names), a catalogue index of the generated shop photos (`ShopPhotos`, 3 classes × 4), both in a
/// temporary folder.
struct ServiceFixture {
    let directory: URL
    let weights: URL
    let indexURL: URL
    let photos: [URL]
    let model: ServingModel

    init(name: String = #function) throws {
        directory = try TestSupport.temporaryDirectory("ServerTests-\(name)")
        weights = directory.appendingPathComponent("model.safetensors")
        try ModelCheckpoint.save(Models.vggBN(seed: 2, widths: [32, 64, 128], hidden: 256, dropout: 0.3), architecture: "vgg-bn",
                                 classNames: FashionMNIST.classNames, to: weights)
        let folder = try ShopPhotos.make(in: directory.appendingPathComponent("photos"), perClass: 4)
        photos = try ShopPhotos.classes.flatMap { name in
            try FileManager.default.contentsOfDirectory(at: folder.appendingPathComponent(name), includingPropertiesForKeys: nil)
                .sorted { $0.path < $1.path }
        }
        model = try ServingModel.load(weights: weights)
        let builder = CatalogBuilder(model.embedder!, weightsSHA256: model.weightsSHA256, weightsPath: weights.path)
        let (items, failures) = builder.items(ofPhotos: photos, ids: photos.map(\.path))
        precondition(failures.isEmpty && items.count == 12)
        var index = CatalogIndex(source: builder.source, dimension: builder.dimension)
        _ = try index.add(items)
        indexURL = directory.appendingPathComponent("catalog.index")
        try IndexFile.write(index, to: indexURL)
    }

    /// The service's state, with the catalogue unless `withIndex` is false.
    func state(_ configure: (inout ServerConfiguration) -> Void = { _ in }, withIndex: Bool = true,
               model: ServingModel? = nil) throws -> ServiceState {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configure(&configuration)
        let model = model ?? self.model
        let catalogue = withIndex ? try Catalogue(url: indexURL, source: model.embeddingSource, datasetDirectory: directory) : nil
        return ServiceState(model: model, catalogue: catalogue, configuration: configuration)
    }

    /// The bytes of photo `i`.
    func photo(_ i: Int) throws -> ByteBuffer { ByteBuffer(bytes: try Data(contentsOf: photos[i])) }
}

/// A response body as a JSON object.
func json(_ response: TestResponse, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
    return try XCTUnwrap(object as? [String: Any], "not a JSON object: \(String(buffer: response.body))", file: file, line: line)
}

/// Checks an error answer: its status, JSON `{"error", "code"}` with `code`, and returns the message.
@discardableResult
func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, code: String,
                 file: StaticString = #filePath, line: UInt = #line) throws -> String {
    XCTAssertEqual(response.status, status, String(buffer: response.body), file: file, line: line)
    XCTAssertEqual(response.headers[.contentType], "application/json; charset=utf-8", file: file, line: line)
    let body = try json(response, file: file, line: line)
    XCTAssertEqual(body["code"] as? String, code, file: file, line: line)
    let message = try XCTUnwrap(body["error"] as? String, file: file, line: line)
    XCTAssertFalse(message.isEmpty || message.contains("\n"), file: file, line: line)
    XCTAssertEqual(Set(body.keys), ["error", "code"], file: file, line: line)
    return message
}

/// A multipart/form-data body holding `parts` (name, filename, content type, bytes).
func multipart(boundary: String, _ parts: [(name: String, filename: String?, type: String?, data: Data)]) -> ByteBuffer {
    var body = Data()
    for part in parts {
        var head = "--\(boundary)\r\nContent-Disposition: form-data; name=\"\(part.name)\""
        if let filename = part.filename { head += "; filename=\"\(filename)\"" }
        head += "\r\n"
        if let type = part.type { head += "Content-Type: \(type)\r\n" }
        body += Data((head + "\r\n").utf8) + part.data + Data("\r\n".utf8)
    }
    body += Data("--\(boundary)--\r\n".utf8)
    return ByteBuffer(bytes: body)
}

/// `XCTAssertEqual` for values computed with `await` (XCTest's autoclosures cannot await).
func expectEqual<T: Equatable>(_ value: T, _ expected: T, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(value, expected, message, file: file, line: line)
}

extension TestClientProtocol {
    /// Waits (up to 10 s) until the service has warmed up and says it is ready.
    func waitUntilReady(file: StaticString = #filePath, line: UInt = #line) async throws {
        for _ in 0..<1000 {
            if try await execute(uri: "/v2/health/ready", method: .get).status == .ok { return }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTFail("the service did not become ready", file: file, line: line)
    }
}
