/// Two catalogue items that are the same content or nearly the same.
public struct DuplicatePair: Equatable, Sendable {
    /// The first item's slot (in the index searched).
    public var first: Int
    /// The second item's slot (in the same index, or in the `against` index).
    public var second: Int
    /// Their cosine similarity.
    public var score: Float
    /// True when their content fingerprints are equal (identical files or pixels).
    public var identical: Bool
}

/// Finds duplicates: items with the same content fingerprint, and items whose cosine similarity is at
/// least `threshold`, within `index` or between `index` and `other`. Each item is compared with its
/// `neighbours` most similar items, so an item with more near copies than that lists the closest
/// ones only. Pairs come most similar first, identical ones first among equals.
public func findDuplicates(in index: CatalogIndex, against other: CatalogIndex? = nil, threshold: Float,
                           neighbours: Int = 16) throws -> [DuplicatePair] {
    let target = other ?? index
    guard index.source.matches(target.source) else {
        throw CatalogError("the indexes hold vectors of different embeddings: \(index.source.summary) and \(target.source.summary)")
    }
    var pairs: [DuplicatePair] = []
    var seen = Set<[Int]>()
    func record(_ a: Int, _ b: Int, score: Float) {
        let key = other == nil ? [min(a, b), max(a, b)] : [a, b]
        guard seen.insert(key).inserted else { return }
        pairs.append(DuplicatePair(first: key[0], second: key[1], score: score,
                                   identical: index.contentHashes[key[0]] == target.contentHashes[key[1]]))
    }
    // Identical content, whatever the vectors say.
    var slotsByHash: [UInt64: [Int]] = [:]
    for slot in 0..<index.slotCount where index.live[slot] { slotsByHash[index.contentHashes[slot], default: []].append(slot) }
    for slot in 0..<target.slotCount where target.live[slot] {
        for first in slotsByHash[target.contentHashes[slot]] ?? [] where other != nil || first < slot {
            record(first, slot, score: dot(index.vector(at: first), target.vector(at: slot)))
        }
    }
    // Near copies: each item of `target` searched in `index`.
    let queries = (0..<target.slotCount).filter { target.live[$0] }
    let k = min(neighbours + (other == nil ? 1 : 0), index.count)
    guard k > 0 else { return pairs }
    for start in stride(from: 0, to: queries.count, by: 1024) {
        let block = Array(queries[start..<min(queries.count, start + 1024)])
        var vectors: [Float] = []
        vectors.reserveCapacity(block.count * target.dimension)
        for slot in block { vectors += target.vector(at: slot) }
        let found = try index.search(vectors, k: k, excluding: other == nil ? block.map { $0 } : nil)
        for (slot, list) in zip(block, found) {
            for neighbour in list where neighbour.score >= threshold { record(neighbour.slot, slot, score: neighbour.score) }
        }
    }
    return pairs.sorted { ($0.score, $0.identical ? 1 : 0, -$0.first, -$0.second) > ($1.score, $1.identical ? 1 : 0, -$1.first, -$1.second) }
}

/// The inner product of two equal-length vectors.
func dot(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
    zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
}
