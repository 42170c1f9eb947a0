@testable import Data
import Foundation
import TestSupport
import XCTest

/// The IDX reader and the Fashion-MNIST loader reject every kind of bad file with a specific error.
final class IDXTests: XCTestCase {
    var directory: URL!

    override func setUpWithError() throws {
        directory = try TestSupport.temporaryDirectory(name)
    }

    /// An IDX file with the given dimensions and values.
    func idx(_ dimensions: [Int], _ values: [UInt8], type: UInt8 = 0x08) -> [UInt8] {
        TinyFashionMNIST.idx(dimensions, values, type: type)
    }

    func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-c"]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Data(bytes))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return [UInt8](data)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> URL {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url
    }

    func expectError(_ url: URL, rank: Int, containing text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try IDX.read(url, rank: rank), file: file, line: line) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains(text), "'\(message)' should mention '\(text)'", file: file, line: line)
            XCTAssertTrue(message.contains(url.path), "'\(message)' should name the file", file: file, line: line)
        }
    }

    func testReadsPlainAndGzippedFiles() throws {
        let bytes = idx([2, 2, 3], Array(0..<12))
        let plain = try IDX.read(try write("a", bytes), rank: 3)
        XCTAssertEqual(plain.dimensions, [2, 2, 3])
        XCTAssertEqual(plain.bytes, Array(0..<12))
        let zipped = try IDX.read(try write("a.gz", try gzip(bytes)), rank: 3)
        XCTAssertEqual(zipped.bytes, plain.bytes)
    }

    func testMissingFile() {
        expectError(directory.appendingPathComponent("nope"), rank: 1, containing: "file not found")
    }

    func testBadMagic() throws {
        expectError(try write("m", [1, 2, 8, 1, 0, 0, 0, 1, 5]), rank: 1, containing: "bad magic")
    }

    func testWrongElementType() throws {
        expectError(try write("t", idx([1], [0], type: 0x0D)), rank: 1, containing: "element type")
    }

    func testWrongRank() throws {
        expectError(try write("r", idx([1], [0])), rank: 3, containing: "has 1 dimensions, expected 3")
    }

    func testTruncatedHeader() throws {
        expectError(try write("h", [0, 0, 8, 3, 0, 0]), rank: 3, containing: "truncated IDX header")
    }

    func testTruncatedData() throws {
        expectError(try write("d", idx([2, 2, 2], [1, 2, 3])), rank: 3, containing: "truncated")
    }

    func testTrailingBytes() throws {
        expectError(try write("x", idx([2], [1, 2, 3])), rank: 1, containing: "unexpected bytes")
    }

    func testTruncatedGzip() throws {
        let zipped = try gzip(idx([100], Array(repeating: 7, count: 100)))
        expectError(try write("g.gz", Array(zipped.prefix(zipped.count / 2))), rank: 1, containing: "truncated gzip")
    }

    func testCorruptGzip() throws {
        var zipped = try gzip(idx([100], (0..<100).map { UInt8($0) }))
        for i in 12..<min(zipped.count - 8, 40) { zipped[i] ^= 0x5A }
        expectError(try write("c.gz", zipped), rank: 1, containing: "corrupt gzip")
    }

    // MARK: Fashion-MNIST checks on top of IDX

    func writeDataset(images: [Int] = [3, 28, 28], labels: [UInt8] = [0, 9, 4]) throws {
        _ = try write("t10k-images-idx3-ubyte", idx(images, Array(repeating: 255, count: images.reduce(1, *))))
        _ = try write("t10k-labels-idx1-ubyte", idx([labels.count], labels))
    }

    func testLoadsAValidSetScaledToUnitRange() throws {
        try writeDataset()
        let set = try FashionMNIST.load(.test, from: directory)
        XCTAssertEqual(set.count, 3)
        XCTAssertEqual(set.labels, [0, 9, 4])
        let (batch, labels) = set.batch([2, 0])
        XCTAssertEqual(batch.shape, [2, 1, 28, 28])
        XCTAssertEqual(labels, [4, 0])
        XCTAssertEqual(batch.scalars.max(), 1)
    }

    func testCountMismatch() throws {
        try writeDataset(labels: [0, 1])
        XCTAssertThrowsError(try FashionMNIST.load(.test, from: directory)) {
            XCTAssertTrue("\($0)".contains("2 labels for 3 images"), "\($0)")
        }
    }

    func testWrongImageSize() throws {
        try writeDataset(images: [3, 27, 28])
        XCTAssertThrowsError(try FashionMNIST.load(.test, from: directory)) {
            XCTAssertTrue("\($0)".contains("27×28, expected 28×28"), "\($0)")
        }
    }

    func testUnknownClassLabel() throws {
        try writeDataset(labels: [0, 10, 1])
        XCTAssertThrowsError(try FashionMNIST.load(.test, from: directory)) {
            XCTAssertTrue("\($0)".contains("label 10 at index 1"), "\($0)")
        }
    }

    func testHugeDeclaredSizesAndGzipBombsAreRefused() throws {
        // 2³²−1 × 2³²−1 × 2³²−1 overflows a 64-bit count.
        expectError(try write("huge", idx([0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], [1, 2, 3])), rank: 3,
                    containing: "more than any file can hold")
        expectError(try write("big", idx([0xFFFF_FFFF, 0xFFFF, 2], [1, 2, 3])), rank: 3, containing: "truncated: header promises")
        // 1.1 GiB of zeros compress to about 1 MiB: refused once the limit is passed, not inflated in full.
        let zeros = directory.appendingPathComponent("zeros.gz")
        let make = Process()
        make.executableURL = URL(fileURLWithPath: "/bin/sh")
        make.arguments = ["-c", "head -c \(IDX.maximumBytes + (100 << 20)) /dev/zero | gzip -1 > '\(zeros.path)'"]
        try make.run()
        make.waitUntilExit()
        expectError(zeros, rank: 3, containing: "inflates to more than 1024 MiB")
    }

    func testTooFewImagesForTheValidationSplitIsAnError() {
        let set = ImageSet(pixels: [UInt8](repeating: 0, count: 50 * 784), labels: Array(repeating: 0, count: 50), height: 28, width: 28)
        XCTAssertThrowsError(try FashionMNIST.split(set, seed: 1)) {
            XCTAssertTrue("\($0)".contains("50 are too few to hold out 10000 for validation"), "\($0)")
        }
        XCTAssertEqual(try FashionMNIST.split(set, validationCount: 49, seed: 1).train.count, 1)
    }

    func testMissingDatasetSaysHowToInstallIt() {
        XCTAssertThrowsError(try FashionMNIST.load(.train, from: directory)) {
            XCTAssertTrue("\($0)".contains("dataset-fashion-mnist"), "\($0)")
        }
    }

    func testSplitIsSeededDisjointAndComplete() throws {
        let n = 100
        let set = ImageSet(pixels: (0..<n * 784).map { UInt8(($0 / 784) % 256) }, labels: (0..<n).map { $0 % 10 },
                           height: 28, width: 28)
        let a = try FashionMNIST.split(set, validationCount: 20, seed: 1)
        let b = try FashionMNIST.split(set, validationCount: 20, seed: 1)
        let c = try FashionMNIST.split(set, validationCount: 20, seed: 2)
        XCTAssertEqual(a.train.count, 80)
        XCTAssertEqual(a.validation.count, 20)
        XCTAssertEqual(a.validation.pixels, b.validation.pixels, "same seed, same split")
        XCTAssertNotEqual(a.validation.pixels, c.validation.pixels, "another seed, another split")
        // Each image's first pixel is its index: together the parts hold every image once.
        let ids = stride(from: 0, to: a.train.pixels.count, by: 784).map { a.train.pixels[$0] }
            + stride(from: 0, to: a.validation.pixels.count, by: 784).map { a.validation.pixels[$0] }
        XCTAssertEqual(ids.sorted(), (0..<n).map(UInt8.init))
    }
}
