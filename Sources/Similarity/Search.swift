import Kernels
import Tensor

/// An item found by search and how similar it is.
public struct Neighbour: Equatable, Sendable {
    /// Its slot in the index.
    public var slot: Int
    /// Its id.
    public var id: String
    /// Its predicted class (-1 when none).
    public var label: Int32
    /// Cosine similarity with the query, in [-1, 1].
    public var score: Float
}

extension CatalogIndex {
    /// Exact cosine search: the `k` most similar items of each query (rows of D unit values), best
    /// first, through one matrix product per block of queries and a partial selection.
    ///
    /// With `sameLabelAs`, only items whose predicted class is the query's count; `excluding` names
    /// one slot per query to leave out (the query itself when it is in the index). A query may get
    /// fewer than `k` neighbours when fewer items qualify.
    public func search(_ queries: [Float], k: Int, sameLabelAs queryLabels: [Int32]? = nil,
                       excluding: [Int?]? = nil) throws -> [[Neighbour]] {
        let items = count
        guard items > 0 else { throw CatalogError("the index holds no items") }
        guard k >= 1, k <= items else { throw CatalogError("k must be between 1 and \(items) (the items in the index), not \(k)") }
        guard queries.count % dimension == 0 else {
            throw CatalogError("queries have \(queries.count) values, not a multiple of the index's dimension \(dimension)")
        }
        let n = queries.count / dimension
        if let queryLabels {
            guard labels.indices.contains(where: { live[$0] && labels[$0] >= 0 }) else {
                throw CatalogError("the index holds no predicted classes (\(source.summary)); same-label search needs them")
            }
            precondition(queryLabels.count == n, "one label per query")
        }
        let excluded = (0..<n).map { excluding?[$0] ?? -1 }
        let best = topInnerProducts(queries: queries, items: vectors, dimension: dimension, k: k,
                                    groups: groups, queryGroups: queryLabels, excluded: excluded)
        return (0..<n).map { query in
            (0..<k).compactMap { rank in
                let slot = best.rows[query * k + rank]
                guard slot >= 0 else { return nil }
                return Neighbour(slot: slot, id: ids[slot], label: labels[slot], score: best.scores[query * k + rank])
            }
        }
    }
}
