import Checkpoint
import Foundation
@testable import Similarity
import Tensor
import TestSupport
import XCTest

/// Random unit vectors, seeded.
func unitVectors(_ n: Int, _ d: Int, seed: UInt64) -> [Float] {
    var generator = SeededGenerator(seed: seed)
    var v = (0..<n * d).map { _ in Float.random(in: -1...1, using: &generator) }
    for row in 0..<n {
        let norm = (0..<d).reduce(Float(0)) { $0 + v[row * d + $1] * v[row * d + $1] }.squareRoot()
        for i in 0..<d { v[row * d + i] /= norm }
    }
    return v
}

let testSource = EmbeddingSource(model: "toy", weightsSHA256: "abc", weightsPath: "toy.safetensors", layer: "x", classNames: ["a", "b", "c"])

/// An index of `n` random vectors with labels slot % 3 and ids "item:slot".
func toyIndex(_ n: Int, _ d: Int, seed: UInt64 = 1) throws -> CatalogIndex {
    let v = unitVectors(n, d, seed: seed)
    var index = CatalogIndex(source: testSource, dimension: d)
    try index.add((0..<n).map { i in
        CatalogItem(id: "item:\(i)", vector: Array(v[i * d ..< (i + 1) * d]), label: Int32(i % 3), probability: 0.5, contentHash: UInt64(i))
    })
    return index
}

final class ExactSearchTests: XCTestCase {
    /// The brute-force answer: every qualifying slot sorted by score (ties: lower slot first).
    func reference(_ index: CatalogIndex, _ query: ArraySlice<Float>, k: Int, label: Int32?, excluded: Int?) -> [Int] {
        let d = index.dimension
        let scored = (0..<index.slotCount).filter { index.live[$0] && $0 != excluded && (label == nil || index.labels[$0] == label) }
            .map { slot in (slot, zip(query, index.vectors[slot * d ..< (slot + 1) * d]).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
        return scored.sorted { $0.1 > $1.1 || ($0.1 == $1.1 && $0.0 < $1.0) }.prefix(k).map(\.0)
    }

    func testSearchMatchesBruteForceWithFiltersExclusionsAndFreedSlots() throws {
        var index = try toyIndex(1500, 24)
        try index.remove(["item:3", "item:700", "item:1499"])
        let d = 24, n = 40
        let queries = unitVectors(n, d, seed: 9)
        let labels = (0..<n).map { Int32($0 % 3) }
        let excluded: [Int?] = (0..<n).map { $0 % 2 == 0 ? $0 * 7 : nil }
        for (k, sameLabel) in [(1, false), (10, false), (10, true), (300, true)] {
            let found = try index.search(queries, k: k, sameLabelAs: sameLabel ? labels : nil, excluding: excluded)
            for q in 0..<n {
                let expected = reference(index, queries[q * d ..< (q + 1) * d], k: k, label: sameLabel ? labels[q] : nil, excluded: excluded[q])
                XCTAssertEqual(found[q].map(\.slot), expected, "query \(q), k \(k), same label \(sameLabel)")
                XCTAssertFalse(found[q].contains { [3, 700, 1499].contains($0.slot) }, "removed items are never found")
                XCTAssertEqual(found[q].map(\.id), expected.map { "item:\($0)" })
            }
        }
        // An item is its own best match with score 1, unless excluded.
        let own = Array(index.vector(at: 42))
        XCTAssertEqual(try index.search(own, k: 1)[0][0].slot, 42)
        XCTAssertEqual(try index.search(own, k: 1)[0][0].score, 1, accuracy: 1e-5)
        XCTAssertNotEqual(try index.search(own, k: 1, excluding: [42])[0][0].slot, 42)
    }

    func testSearchRefusesBadRequests() throws {
        let index = try toyIndex(20, 8)
        XCTAssertThrowsError(try index.search(unitVectors(1, 8, seed: 2), k: 0)) { XCTAssertTrue("\($0)".contains("between 1 and 20")) }
        XCTAssertThrowsError(try index.search(unitVectors(1, 8, seed: 2), k: 21)) { XCTAssertTrue("\($0)".contains("between 1 and 20")) }
        XCTAssertThrowsError(try index.search([1, 2, 3], k: 1)) { XCTAssertTrue("\($0)".contains("not a multiple")) }
        let empty = CatalogIndex(source: testSource, dimension: 8)
        XCTAssertThrowsError(try empty.search(unitVectors(1, 8, seed: 2), k: 1)) { XCTAssertTrue("\($0)".contains("holds no items")) }
        var pixels = CatalogIndex(source: .pixels, dimension: 8)
        try pixels.add([CatalogItem(id: "p", vector: Array(unitVectors(1, 8, seed: 3)), label: -1, probability: 0, contentHash: 0)])
        XCTAssertThrowsError(try pixels.search(unitVectors(1, 8, seed: 2), k: 1, sameLabelAs: [0])) {
            XCTAssertTrue("\($0)".contains("no predicted classes"))
        }
    }

    func testBlocksOfManyQueriesAgreeWithOneAtATime() throws {
        // 3000 queries × 2000 items makes several item blocks (4 M scores each).
        let index = try toyIndex(2000, 16)
        let queries = unitVectors(3000, 16, seed: 5)
        let all = try index.search(queries, k: 5)
        for q in stride(from: 0, to: 3000, by: 97) {
            let alone = try index.search(Array(queries[q * 16 ..< (q + 1) * 16]), k: 5)[0]
            XCTAssertEqual(all[q].map(\.slot), alone.map(\.slot))
            for (a, b) in zip(all[q], alone) { XCTAssertEqual(a.score, b.score, accuracy: 1e-5) }
        }
    }
}

final class CatalogIndexTests: XCTestCase {
    func testAddReplaceRemoveAndCompact() throws {
        var index = try toyIndex(10, 4)
        let v = Array(unitVectors(1, 4, seed: 7))
        let result = try index.add([CatalogItem(id: "item:2", vector: v, label: 1, probability: 0.9, contentHash: 5),
                                    CatalogItem(id: "new", vector: v, label: 0, probability: 0.8, contentHash: 6)])
        XCTAssertEqual(result.added, 1)
        XCTAssertEqual(result.replaced, 1)
        XCTAssertEqual(index.count, 11)
        XCTAssertEqual(index.slotCount, 12)
        XCTAssertEqual(try index.search(v, k: 2)[0].map(\.id).sorted(), ["item:2", "new"])
        XCTAssertThrowsError(try index.remove(["item:1", "missing"])) { XCTAssertTrue("\($0)".contains("not in the index: missing")) }
        XCTAssertEqual(index.count, 11, "a failed removal removes nothing")
        try index.remove(["item:1", "new"])
        XCTAssertEqual(index.count, 9)
        index.compact()
        XCTAssertEqual(index.slotCount, 9)
        XCTAssertEqual(index.ids, ["item:0", "item:3", "item:4", "item:5", "item:6", "item:7", "item:8", "item:9", "item:2"])
        XCTAssertEqual(Array(index.vector(at: 8)), v)
        XCTAssertEqual(index.labels[8], 1)
        XCTAssertThrowsError(try index.add([CatalogItem(id: "a\nb", vector: v, label: 0, probability: 1, contentHash: 0)]))
        XCTAssertThrowsError(try index.add([CatalogItem(id: "short", vector: [1], label: 0, probability: 1, contentHash: 0)])) {
            XCTAssertTrue("\($0)".contains("vector has 1 values, the index holds 4"))
        }
    }
}

final class IndexFileTests: XCTestCase {
    func testRoundTripKeepsEverythingAndOtherReadersSeeSafetensors() throws {
        var index = try toyIndex(50, 6)
        try index.remove(["item:7"])
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("catalog.index")
        try IndexFile.write(index, to: url)
        let back = try IndexFile.read(url)
        XCTAssertEqual(back.source, index.source)
        XCTAssertEqual(back.ids, index.ids)
        XCTAssertEqual(back.vectors, index.vectors)
        XCTAssertEqual(back.labels, index.labels)
        XCTAssertEqual(back.probabilities, index.probabilities)
        XCTAssertEqual(back.contentHashes, index.contentHashes)
        XCTAssertEqual(back.live, index.live)
        let plain = try SafeTensors.read(url)
        XCTAssertEqual(plain.tensors["vectors"]?.shape, [50, 6])
        XCTAssertEqual(plain.raw["labels"]?.dtype, "I32")
    }

    func testDamagedFilesAreRefusedWithOneLine() throws {
        let directory = try TestSupport.temporaryDirectory()
        let good = IndexFile.serialized(try toyIndex(30, 6))
        func refused(_ bytes: Data, _ text: String, line: UInt = #line) {
            XCTAssertThrowsError(try IndexFile.parse(bytes, file: "x.index"), line: line) { error in
                XCTAssertTrue("\(error)".contains(text), "'\(error)' should mention '\(text)'", line: line)
                XCTAssertFalse("\(error)".contains("\n"), line: line)
            }
        }
        refused(good.prefix(good.count - 5), "not a catalogue index")
        refused(good.prefix(3), "too short")
        XCTAssertThrowsError(try IndexFile.read(directory.appendingPathComponent("none.index"))) { XCTAssertTrue("\($0)".contains("no such index file")) }
        // A vector changed by hand is no longer of unit length.
        var contents = try SafeTensors.parse(good, file: "x.index")
        contents.tensors["vectors"]!.scalars[13] += 0.5
        refused(contents.serialized(), "not of unit length")
        // A checkpoint is not an index.
        let checkpoint = SafeTensors(tensors: ["w": Tensor(shape: [2], scalars: [1, 2])], metadata: ["architecture": "seed-cnn"]).serialized()
        refused(checkpoint, "no format 'fashion-catalog'")
        // An id cut in two.
        var twice = CatalogIndex(source: testSource, dimension: 2)
        try twice.add([CatalogItem(id: "a", vector: [1, 0], label: 0, probability: 1, contentHash: 0)])
        var text = IndexFile.serialized(twice)
        let at = text.range(of: Data("a\n".utf8))!
        text.replaceSubrange(at, with: Data("\n\n".utf8))
        refused(text, "holds 2 ids for 1 vectors")
        // Twice the same id.
        try twice.add([CatalogItem(id: "b", vector: [0, 1], label: 0, probability: 1, contentHash: 0)])
        text = IndexFile.serialized(twice)
        text.replaceSubrange(text.range(of: Data("a\nb\n".utf8))!, with: Data("a\na\n".utf8))
        refused(text, "id 'a' appears twice")
        // Every single-byte change and every cut either parses or is refused, never crashes.
        for cut in stride(from: 0, to: good.count, by: 37) { _ = try? IndexFile.parse(good.prefix(cut), file: "x") }
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<300 {
            var bytes = good
            bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            _ = try? IndexFile.parse(bytes, file: "x")
        }
    }
}

final class DuplicateTests: XCTestCase {
    func testFindsIdenticalAndNearPairsWithinAndAcrossIndexes() throws {
        var index = try toyIndex(200, 32)
        // item:10's vector nudged a little, and a byte-identical copy of item:20 (same fingerprint).
        var near = Array(index.vector(at: 10))
        near[0] += 0.01
        let norm = near.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
        near = near.map { $0 / norm }
        try index.add([CatalogItem(id: "near10", vector: near, label: 1, probability: 1, contentHash: 999),
                       CatalogItem(id: "copy20", vector: Array(index.vector(at: 20)), label: 2, probability: 1, contentHash: 20)])
        let pairs = try findDuplicates(in: index, threshold: 0.999)
        XCTAssertEqual(pairs.count, 2, "\(pairs)")
        XCTAssertEqual(Set(pairs.map { [index.ids[$0.first], index.ids[$0.second]] }), [["item:10", "near10"], ["item:20", "copy20"]])
        XCTAssertEqual(pairs.first { $0.identical }.map { index.ids[$0.second] }, "copy20")

        var other = CatalogIndex(source: testSource, dimension: 32)
        try other.add([CatalogItem(id: "test:0", vector: near, label: 1, probability: 1, contentHash: 12345),
                       CatalogItem(id: "test:1", vector: Array(unitVectors(1, 32, seed: 77)), label: 1, probability: 1, contentHash: 5)])
        let across = try findDuplicates(in: index, against: other, threshold: 0.999)
        let found: Set<String> = Set(across.map { index.ids[$0.first] + " " + other.ids[$0.second] })
        XCTAssertEqual(found, ["item:10 test:0", "item:5 test:1", "near10 test:0"], "near copies, and item:5 with the same fingerprint as test:1")
        var foreign = other
        foreign.source.weightsSHA256 = "other"
        XCTAssertThrowsError(try findDuplicates(in: index, against: foreign, threshold: 0.9)) { XCTAssertTrue("\($0)".contains("different embeddings")) }
    }
}

final class RetrievalQualityTests: XCTestCase {
    func testPrecisionAndAveragePrecisionOfKnownRankings() {
        // Relevant at ranks 1, 3 and 6: AP = (1/1 + 2/3 + 3/6) / 3.
        let ranked = [true, false, true, false, false, true, false]
        let (p, ap) = RetrievalQuality.precisionAndAP(ranked, k: 5)
        XCTAssertEqual(p, 2.0 / 5, accuracy: 1e-12)
        XCTAssertEqual(ap, (1 + 2.0 / 3 + 0.5) / 3, accuracy: 1e-12)
        XCTAssertEqual(RetrievalQuality.precisionAndAP([false, false], k: 1).averagePrecision, 0)
    }

    /// The merge of two sorted score lists that `measure` uses agrees with the plain ranking.
    func testMergedRankingAgreesWithThePlainOne() {
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<50 {
            let scores = (0..<200).map { _ in (Float.random(in: -1...1, using: &generator), Bool.random(using: &generator)) }
            let ranked = scores.sorted { $0.0 > $1.0 }.map(\.1)
            let fast = RetrievalQuality.precisionAndAP(relevantSorted: scores.filter(\.1).map(\.0).sorted(by: >),
                                                       othersSorted: scores.filter { !$0.1 }.map(\.0).sorted(by: >), k: 10)
            let plain = RetrievalQuality.precisionAndAP(ranked, k: 10)
            XCTAssertEqual(fast.precision, plain.precision, accuracy: 1e-12)
            XCTAssertEqual(fast.averagePrecision, plain.averagePrecision, accuracy: 1e-12)
        }
    }

    func testMeasureOnClustersLeavesEachQueryOut() throws {
        // Two tight clusters on different axes: every neighbour of an item is of its class.
        var index = CatalogIndex(source: testSource, dimension: 3)
        for i in 0..<12 {
            let t = Float(i % 6) * 0.01
            let v: [Float] = i < 6 ? [1, t, 0] : [t, 0, 1]
            let norm = v.reduce(Float(0)) { $0 + $1 * $1 }.squareRoot()
            try index.add([CatalogItem(id: "i\(i)", vector: v.map { $0 / norm }, label: 0, probability: 1, contentHash: UInt64(i))])
        }
        let classes = (0..<12).map { $0 < 6 ? 0 : 1 }
        let quality = RetrievalQuality.measure(index: index, queries: index.vectors, queryClasses: classes, itemClasses: classes,
                                               classCount: 2, k: 5, excluding: (0..<12).map { $0 })
        XCTAssertEqual(quality.precision, 1, accuracy: 1e-12)
        XCTAssertEqual(quality.meanAveragePrecision, 1, accuracy: 1e-12)
        XCTAssertEqual(quality.queriesByClass, [6, 6])
        // Without leaving the query out, it ranks first: still all relevant. With k 6, the 6th is the other cluster.
        let wide = RetrievalQuality.measure(index: index, queries: index.vectors, queryClasses: classes, itemClasses: classes,
                                            classCount: 2, k: 6, excluding: (0..<12).map { $0 })
        XCTAssertEqual(wide.precision, 5.0 / 6, accuracy: 1e-12)
    }
}

final class CatalogGraphTests: XCTestCase {
    func testApproximateSearchFindsTheExactNeighboursAndKeepsUpWithUpdates() throws {
        var index = try toyIndex(2000, 16)
        let graph = try CatalogGraph(building: index)
        let queries = unitVectors(50, 16, seed: 21)
        let exact = try index.search(queries, k: 10)
        let approximate = try index.search(queries, k: 10, graph: graph, efSearch: 128)
        let hits = zip(exact, approximate).map { Set($0.map(\.slot)).intersection($1.map(\.slot)).count }.reduce(0, +)
        XCTAssertGreaterThanOrEqual(Double(hits) / 500, 0.95, "recall@10")
        // Removed items never come back; excluded slots neither.
        try index.remove(exact[0].prefix(3).map(\.id))
        let after = try index.search(Array(queries[0..<16]), k: 10, graph: graph, excluding: [exact[0][3].slot])
        XCTAssertFalse(after[0].contains { exact[0].prefix(4).map(\.slot).contains($0.slot) })
        // Added items are found once the graph is brought up to date; a stale graph file is refused.
        let url = try TestSupport.temporaryDirectory().appendingPathComponent("g.index.hnsw")
        try graph.write(to: url)
        try index.add([CatalogItem(id: "new", vector: Array(queries[16..<32]), label: 0, probability: 1, contentHash: 1)])
        XCTAssertThrowsError(try CatalogGraph(reading: url, for: index)) { XCTAssertTrue("\($0)".contains("out of date"), "\($0)") }
        try graph.update(for: index)
        XCTAssertEqual(try index.search(Array(queries[16..<32]), k: 1, graph: graph)[0].first?.id, "new")
        let sameLabel = try index.search(queries, k: 5, graph: graph, sameLabelAs: Array(repeating: 2, count: 50))
        XCTAssertTrue(sameLabel.allSatisfy { $0.allSatisfy { $0.label == 2 } })
    }
}
