import Checkpoint
import Foundation
import Models
import NN
import Tensor
import TestSupport
import XCTest

/// The safetensors reader and writer, and checkpoints of models.
final class SafeTensorsTests: XCTestCase {
    /// A file made of a raw header string and a data section.
    func file(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
        var out = Data()
        withUnsafeBytes(of: (declaredLength ?? UInt64(header.utf8.count)).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: Array(header.utf8))
        out.append(contentsOf: data)
        return out
    }

    func expectError(_ data: Data, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try SafeTensors.parse(data, file: "f.safetensors"), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(text), "'\(error)' should mention '\(text)'", file: file, line: line)
        }
    }

    let eightBytes = [UInt8](repeating: 0, count: 8)

    func testRoundTripKeepsTensorsAndMetadata() throws {
        let original = SafeTensors(tensors: ["a.weight": Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, -6.5]),
                                             "b": Tensor(shape: [1], scalars: [0.25])],
                                   metadata: ["architecture": "x"])
        let bytes = original.serialized()
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual((8 + headerLength) % 8, 0, "data starts 8-byte aligned")
        let parsed = try SafeTensors.parse(bytes, file: "x")
        XCTAssertEqual(parsed.tensors, original.tensors)
        XCTAssertEqual(parsed.metadata, original.metadata)
    }

    func testTooShort() { expectError(Data([1, 2, 3]), containing: "too short") }

    func testHeaderLengthPastEnd() {
        expectError(file(header: "{}", declaredLength: 1000), containing: "header length 1000 runs past the end")
    }

    func testBadJSON() { expectError(file(header: "{\"a\": [1,"), containing: "not valid JSON") }

    func testUnknownDtype() {
        expectError(file(header: #"{"a":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}}"#, data: eightBytes),
                    containing: "unknown dtype 'F7'")
    }

    func testUnsupportedDtype() {
        expectError(file(header: #"{"a":{"dtype":"F16","shape":[4],"data_offsets":[0,8]}}"#, data: eightBytes),
                    containing: "only F32, U8, I8 and I32 are supported")
    }

    func testOffsetsOutOfRange() {
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, data: eightBytes),
                    containing: "outside the 8-byte data section")
    }

    func testOverlappingTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        expectError(file(header: header, data: eightBytes), containing: "overlap")
    }

    func testShapeByteSizeMismatch() {
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, data: eightBytes),
                    containing: "needs 12 bytes, offsets give 8")
    }

    func testMissingFields() {
        expectError(file(header: #"{"a":{"dtype":"F32","shape":[2]}}"#, data: eightBytes), containing: "needs dtype, shape")
    }

    func testBadMetadata() {
        expectError(file(header: #"{"__metadata__":{"epoch":3}}"#), containing: "__metadata__")
    }

    // MARK: model checkpoints

    func saveSeedCNN(_ tensors: (inout [String: Tensor]) -> Void) throws -> URL {
        let model = Models.seedCNN(seed: 1)
        var file = SafeTensors(metadata: ["architecture": "seed-cnn"])
        for (name, p) in model.parameters { file.tensors[name] = p.value }
        tensors(&file.tensors)
        let url = try TestSupport.temporaryDirectory(name).appendingPathComponent("m.safetensors")
        try file.write(to: url)
        return url
    }

    func expectLoadError(_ url: URL, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try ModelCheckpoint.load(url, defaultClassNames: (0 ..< 10).map(String.init)), file: file, line: line) { error in
            XCTAssertTrue("\(error)".contains(text), "'\(error)' should mention '\(text)'", file: file, line: line)
        }
    }

    func testMissingTensorForArchitecture() throws {
        expectLoadError(try saveSeedCNN { $0["fc_2.bias"] = nil }, containing: "missing tensors fc_2.bias")
    }

    func testExtraTensorForArchitecture() throws {
        expectLoadError(try saveSeedCNN { $0["fc_3.weight"] = Tensor(shape: [1]) }, containing: "unexpected tensors fc_3.weight")
    }

    func testWrongShapeForArchitecture() throws {
        expectLoadError(try saveSeedCNN { $0["fc_2.bias"] = Tensor(shape: [11]) }, containing: "'fc_2.bias' has shape [11], expected [10]")
    }

    func testUnknownArchitecture() throws {
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("u.safetensors")
        try SafeTensors(metadata: ["architecture": "alexnet-9000"]).write(to: url)
        expectLoadError(url, containing: "unknown model 'alexnet-9000'")
    }

    func testSaveLoadGivesIdenticalPredictions() throws {
        let model = Models.seedCNN(seed: 42)
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("model.safetensors")
        let classes = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]
        try ModelCheckpoint.save(model, architecture: "seed-cnn", classNames: classes, to: url)
        let loaded = try ModelCheckpoint.load(url, defaultClassNames: [])
        XCTAssertEqual(loaded.classNames, classes)
        XCTAssertEqual(loaded.architecture.name, "seed-cnn")
        var g = SeededGenerator(seed: 3)
        let x = Initializer.uniform(shape: [5, 1, 28, 28], limit: 1, using: &g)
        XCTAssertEqual(loaded.model(x), model(x), "bit-identical logits")
        XCTAssertNotEqual(Models.seedCNN(seed: 43)(x), model(x), "a different model gives different logits")
    }

    func testWritesAtomicallyLeavingNoTemporaryFiles() throws {
        let directory = try TestSupport.temporaryDirectory()
        let url = directory.appendingPathComponent("x.safetensors")
        try SafeTensors(tensors: ["a": Tensor(shape: [1], scalars: [1])]).write(to: url)
        try SafeTensors(tensors: ["a": Tensor(shape: [1], scalars: [2])]).write(to: url)
        XCTAssertEqual(try SafeTensors.read(url).tensors["a"]?.scalars, [2])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["x.safetensors"])
    }

    func testU8I8AndI32TensorsRoundTrip() throws {
        let file = SafeTensors(tensors: ["f": Tensor(shape: [2], scalars: [1.5, -2])],
                               raw: ["u": RawTensor(bytes: [1, 2, 255], shape: [3]), "i": RawTensor(int32: [-1, 7, Int32.max], shape: [3, 1]),
                                     "s": RawTensor(int8: [-127, 0, 5, 127], shape: [2, 2])],
                               metadata: ["k": "v"])
        let back = try SafeTensors.parse(file.serialized(), file: "x")
        XCTAssertEqual(back.tensors["f"]?.scalars, [1.5, -2])
        XCTAssertEqual(back.raw["u"]?.bytes, [1, 2, 255])
        XCTAssertEqual(back.raw["i"]?.int32Values, [-1, 7, Int32.max])
        XCTAssertEqual(back.raw["i"]?.shape, [3, 1])
        XCTAssertNil(back.raw["u"]?.int32Values)
        XCTAssertEqual(back.raw["s"]?.dtype, "I8")
        XCTAssertEqual(back.raw["s"]?.int8Values, [-127, 0, 5, 127])
        XCTAssertNil(back.raw["u"]?.int8Values)
        // A shape whose element count overflows is refused, not multiplied into a wrong size.
        let huge = #"{"a":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#
        var data = Data()
        withUnsafeBytes(of: UInt64(huge.utf8.count).littleEndian) { data.append(contentsOf: $0) }
        data.append(contentsOf: Array(huge.utf8) + [UInt8](repeating: 0, count: 8))
        XCTAssertThrowsError(try SafeTensors.parse(data, file: "x")) { XCTAssertTrue("\($0)".contains("larger than"), "\($0)") }
        // A checkpoint with an I32 tensor is refused, not loaded without it.
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("i32.safetensors")
        try SafeTensors(raw: ["conv_1.weight": RawTensor(int32: [1], shape: [1])], metadata: ["architecture": "seed-cnn"]).write(to: url)
        XCTAssertThrowsError(try ModelCheckpoint.load(url, defaultClassNames: [])) {
            XCTAssertTrue("\($0)".contains("has dtype I32; checkpoints hold F32 tensors and I8 weights only"), "\($0)")
        }
    }
}

/// Temporary files of killed writers are deleted; those of live processes and other files are not.
final class AtomicFileTests: XCTestCase {
    func testLeftoversOfDeadWritersAreRemoved() throws {
        let directory = try TestSupport.temporaryDirectory()
        // No process can have the id pid_max (ids are below it).
        let maximum = try String(contentsOfFile: "/proc/sys/kernel/pid_max", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let names = [".last.safetensors.\(maximum).tmp", ".history.csv.\(getpid()).tmp", "notes.tmp", ".hidden.tmp", "model.safetensors"]
        for name in names { try Data("x".utf8).write(to: directory.appendingPathComponent(name)) }
        XCTAssertEqual(AtomicFile.removeLeftovers(in: directory), [".last.safetensors.\(maximum).tmp"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), names.dropFirst().sorted())
        try AtomicFile.write("new", to: directory.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(try String(contentsOf: directory.appendingPathComponent("model.safetensors"), encoding: .utf8), "new")
    }
}
