import ApproximateSearch
import Foundation
import TestSupport
import XCTest

final class HNSWIndexTests: XCTestCase {
    static let dimension = 32
    static let vectors = Vectors.randomUnit(3000, dimension: dimension, seed: 1)
    static let queries = Vectors.randomUnit(100, dimension: dimension, seed: 2)

    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("approximate-search-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    func builtIndex() throws -> HNSWIndex {
        let index = try HNSWIndex(dimension: Self.dimension, neighbours: 16, efConstruction: 64)
        try index.add(Self.vectors)
        return index
    }

    /// A written index file, for the tests that damage it.
    func writtenFile() throws -> (url: URL, bytes: Data) {
        let url = folder.appendingPathComponent("index.faiss")
        try builtIndex().write(to: url)
        return (url, try Data(contentsOf: url))
    }

    func assertThrows(_ body: @autoclosure () throws -> some Any, _ expected: (ApproximateSearchError) -> Bool,
                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            guard let error = error as? ApproximateSearchError else {
                return XCTFail("not an ApproximateSearchError: \(error)", file: file, line: line)
            }
            XCTAssertTrue(expected(error), "unexpected error: \(error)", file: file, line: line)
            XCTAssertFalse(error.description.contains("\n"), "message is not one line", file: file, line: line)
            XCTAssertFalse(error.description.isEmpty, file: file, line: line)
        }
    }

    func isFormat(_ error: ApproximateSearchError) -> Bool { if case .format = error { true } else { false } }
    func isFile(_ error: ApproximateSearchError) -> Bool { if case .file = error { true } else { false } }
    func isArgument(_ error: ApproximateSearchError) -> Bool {
        if case .invalidArgument = error { true } else { false }
    }

    // MARK: Search

    func testRecallAt10AgainstBruteForce() throws {
        let index = try builtIndex()
        XCTAssertEqual(index.count, 3000)
        let k = 10
        let (scores, ids) = try index.search(Self.queries, k: k, efSearch: 64)
        let exact = Vectors.exactTopK(queries: Self.queries, vectors: Self.vectors, dimension: Self.dimension, k: k)
        let recall = Vectors.recall(approximate: ids, exact: exact, k: k)
        XCTAssertGreaterThanOrEqual(recall, 0.95, "recall@10 \(recall)")

        // Scores are the inner products of the returned ids, best first.
        let d = Self.dimension
        for q in 0..<Self.queries.count / d {
            for j in 0..<k {
                let id = ids[q * k + j]
                XCTAssert((0..<3000).contains(id))
                var dot: Float = 0
                for t in 0..<d { dot += Self.queries[q * d + t] * Self.vectors[id * d + t] }
                XCTAssertEqual(scores[q * k + j], dot, accuracy: 1e-5)
                if j > 0 { XCTAssertGreaterThanOrEqual(scores[q * k + j - 1], scores[q * k + j]) }
            }
        }
    }

    func testIdsAreTheInsertionOrderAcrossAdds() throws {
        let d = Self.dimension
        let index = try HNSWIndex(dimension: d)
        try index.add(Array(Self.vectors[0..<1000 * d]))
        try index.add(Array(Self.vectors[1000 * d..<1500 * d]))
        XCTAssertEqual(index.count, 1500)
        for probe in [0, 1, 999, 1000, 1234, 1499] {
            let (scores, ids) = try index.search(Array(Self.vectors[probe * d..<(probe + 1) * d]), k: 1, efSearch: 32)
            XCTAssertEqual(ids, [probe])
            XCTAssertEqual(scores[0], 1, accuracy: 1e-5)
        }
    }

    func testScoresAreInnerProductsInAnOddDimension() throws {
        let d = 37  // not a multiple of the kernel's 16-float step
        let vectors = Vectors.randomUnit(200, dimension: d, seed: 5)
        let queries = Vectors.randomUnit(5, dimension: d, seed: 6)
        let index = try HNSWIndex(dimension: d)
        try index.add(vectors)
        let (scores, ids) = try index.search(queries, k: 200, efSearch: 400)
        XCTAssertEqual(ids, Vectors.exactTopK(queries: queries, vectors: vectors, dimension: d, k: 200))
        for q in 0..<5 {
            for j in 0..<200 {
                var dot: Float = 0
                for t in 0..<d { dot += queries[q * d + t] * vectors[ids[q * 200 + j] * d + t] }
                XCTAssertEqual(scores[q * 200 + j], dot, accuracy: 1e-5)
            }
        }
    }

    func testMissingNeighboursAreMinusOne() throws {
        let d = Self.dimension
        let empty = try HNSWIndex(dimension: d)
        let none = try empty.search(Array(Self.queries[0..<2 * d]), k: 3)
        XCTAssertEqual(none.ids, Array(repeating: -1, count: 6))
        XCTAssertTrue(none.scores.allSatisfy { $0 == -.infinity })

        let small = try HNSWIndex(dimension: d)
        try small.add(Array(Self.vectors[0..<4 * d]))
        let (scores, ids) = try small.search(Array(Self.queries[0..<d]), k: 6, efSearch: 16)
        XCTAssertEqual(Set(ids[0..<4]), [0, 1, 2, 3])
        XCTAssertEqual(Array(ids[4...]), [-1, -1])
        XCTAssertEqual(Array(scores[4...]), [-.infinity, -.infinity])
    }

    // MARK: Files

    func testFileRoundTripGivesIdenticalResults() throws {
        let index = try builtIndex()
        let url = folder.appendingPathComponent("index.faiss")
        try index.write(to: url)
        try index.write(to: url)  // replacing an existing file
        let read = try HNSWIndex.read(from: url, dimension: Self.dimension)
        XCTAssertEqual(read.count, index.count)
        XCTAssertEqual(read.dimension, Self.dimension)
        let before = try index.search(Self.queries, k: 10, efSearch: 48)
        let after = try read.search(Self.queries, k: 10, efSearch: 48)
        XCTAssertEqual(after.ids, before.ids)
        XCTAssertEqual(after.scores, before.scores)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssertEqual(leftovers, ["index.faiss"], "no temporary files are left behind")

        // A read index takes more vectors with the next ids.
        try read.add(Array(Self.queries[0..<Self.dimension]))
        XCTAssertEqual(try read.search(Array(Self.queries[0..<Self.dimension]), k: 1).ids, [3000])
    }

    func testTruncatedFileThrows() throws {
        let (url, bytes) = try writtenFile()
        for length in [0, 3, 4, 20, 41, 100, bytes.count / 2, bytes.count - 4, bytes.count - 1] {
            try bytes.prefix(length).write(to: url)
            assertThrows(try HNSWIndex.read(from: url, dimension: Self.dimension), isFormat)
        }
    }

    func testGarbageFileThrows() throws {
        let url = folder.appendingPathComponent("garbage.faiss")
        var generator = SplitMix64(seed: 7)
        try Data((0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: url)
        assertThrows(try HNSWIndex.read(from: url, dimension: Self.dimension), isFormat)

        // The right type code followed by garbage.
        try (Data("IHNf".utf8) + Data((0..<5000).map { _ in UInt8.random(in: 0...255, using: &generator) }))
            .write(to: url)
        assertThrows(try HNSWIndex.read(from: url, dimension: Self.dimension), isFormat)

        // Extra bytes after a valid index.
        let (valid, bytes) = try writtenFile()
        try (bytes + Data([0, 1, 2])).write(to: valid)
        assertThrows(try HNSWIndex.read(from: valid, dimension: Self.dimension), isFormat)
    }

    /// Offsets of the fields `IndexLayout` names in a written file.
    struct IndexLayout {
        var probasCount = 37  // after "IHNf" and the index header (4 + 4 + 8 + 8 + 8 + 1 + 4)
        var neighboursData = 0
        var neighboursCount = 0

        init(_ bytes: Data) {
            func u64(_ at: Int) -> Int {
                Int(bytes[at..<at + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
            }
            var at = probasCount
            for size in [8, 4, 4, 8] { at += 8 + u64(at) * size }  // probas, per-level counts, levels, offsets
            neighboursCount = u64(at)
            neighboursData = at + 8
        }
    }

    func testCorruptSizesAndNeighboursThrowInsteadOfCrashing() throws {
        let (url, bytes) = try writtenFile()
        let layout = IndexLayout(bytes)
        XCTAssertGreaterThan(layout.neighboursCount, 3000 * 32)

        // A vector that claims 2^39 entries would make FAISS allocate 4 TiB.
        var huge = bytes
        huge.replaceSubrange(layout.probasCount..<layout.probasCount + 8, with: [0, 0, 0, 0, 0x80, 0, 0, 0])
        try huge.write(to: url)
        assertThrows(try HNSWIndex.read(from: url, dimension: Self.dimension), isFormat)

        // A neighbour id past the end would make a search read outside the arrays.
        var outside = bytes
        let at = layout.neighboursData + 4 * 5
        outside.replaceSubrange(at..<at + 4, with: [0x00, 0x10, 0x00, 0x00])  // 4096 ≥ 3000
        try outside.write(to: url)
        assertThrows(try HNSWIndex.read(from: url, dimension: Self.dimension), isFormat)
    }

    func testMissingFileThrows() {
        let url = folder.appendingPathComponent("missing.faiss")
        assertThrows(try HNSWIndex.read(from: url, dimension: Self.dimension), isFile)
        assertThrows(try HNSWIndex(dimension: 4).write(to: folder.appendingPathComponent("no/such/folder.faiss")),
                     isFile)
    }

    func testWrongDimensionOnReadThrows() throws {
        let (url, _) = try writtenFile()
        assertThrows(try HNSWIndex.read(from: url, dimension: 64)) { error in
            self.isFormat(error) && error.description.contains("dimension 32, expected 64")
        }
        assertThrows(try HNSWIndex.read(from: url, dimension: 0), isArgument)
    }

    // MARK: Arguments

    func testWrongVectorCountsAndArgumentsThrow() throws {
        let d = Self.dimension
        let index = try HNSWIndex(dimension: d)
        assertThrows(try index.add([Float](repeating: 0.1, count: d + 1))) { error in
            self.isArgument(error) && error.description.contains("not a multiple of the dimension 32")
        }
        assertThrows(try index.add([Float](repeating: .nan, count: d)), isArgument)
        XCTAssertEqual(index.count, 0)
        try index.add(Array(Self.vectors[0..<10 * d]))
        assertThrows(try index.search([Float](repeating: 0.1, count: d - 1), k: 1), isArgument)
        assertThrows(try index.search([Float](repeating: .infinity, count: d), k: 1), isArgument)
        assertThrows(try index.search(Array(Self.queries[0..<d]), k: 0), isArgument)
        assertThrows(try index.search(Array(Self.queries[0..<d]), k: 1, efSearch: 0), isArgument)
        assertThrows(try HNSWIndex(dimension: 0), isArgument)
        assertThrows(try HNSWIndex(dimension: d, neighbours: 1), isArgument)
        assertThrows(try HNSWIndex(dimension: d, efConstruction: 0), isArgument)
        XCTAssertEqual(try index.search([], k: 5).ids, [])
    }
}

extension HNSWIndexTests {
    func testConcurrentSearchesAtDifferentEfSearchMatchSequentialOnes() throws {
        let index = try builtIndex()
        let efs = [16, 32, 64, 16, 32, 64, 128, 128]
        let expected = try efs.map { try index.search(Self.queries, k: 10, efSearch: $0).ids }
        let results = Results(count: efs.count)
        DispatchQueue.concurrentPerform(iterations: efs.count) { i in
            results.set(i, try? index.search(Self.queries, k: 10, efSearch: efs[i]).ids)
        }
        for i in efs.indices { XCTAssertEqual(results.get(i), expected[i], "efSearch \(efs[i])") }
    }
}

/// Results written by concurrent tasks.
final class Results: @unchecked Sendable {
    private var values: [[Int]?]
    private let lock = NSLock()
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: [Int]?) { lock.withLock { values[i] = value } }
    func get(_ i: Int) -> [Int]? { lock.withLock { values[i] } }
}
