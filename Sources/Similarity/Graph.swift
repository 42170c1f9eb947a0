import ApproximateSearch
import Foundation

/// The approximate index of a catalogue: an HNSW graph (FAISS) over its slots, kept in a file
/// beside the index (`catalog.index.hnsw`), for catalogues too large for exact search.
///
/// Graph ids are slot numbers. A removal only frees the slot (freed slots are filtered out of
/// results); an add appends the new slots to the graph; a compaction renumbers the slots and so
/// rebuilds the graph.
public struct CatalogGraph {
    /// The graph.
    public let graph: HNSWIndex

    /// The graph file of the index at `url`.
    public static func url(for index: URL) -> URL {
        index.deletingLastPathComponent().appendingPathComponent(index.lastPathComponent + ".hnsw")
    }

    /// A new graph over every slot of `index` (freed ones as their zero vectors).
    public init(building index: CatalogIndex, neighbours: Int = HNSWIndex.defaultNeighbours,
                efConstruction: Int = HNSWIndex.defaultEfConstruction) throws {
        graph = try HNSWIndex(dimension: index.dimension, neighbours: neighbours, efConstruction: efConstruction)
        try graph.add(index.vectors)
    }

    /// Reads the graph of `index` from `url`, refusing one that does not cover the index's slots.
    public init(reading url: URL, for index: CatalogIndex) throws {
        do { graph = try HNSWIndex.read(from: url, dimension: index.dimension) } catch {
            throw CatalogError("\(url.path): \(error)")
        }
        guard graph.count == index.slotCount else {
            throw CatalogError("\(url.path) covers \(graph.count) slots, the index has \(index.slotCount): the graph is out of date; rebuild it with `fashion index compact --index \(url.deletingPathExtension().path)`")
        }
    }

    /// Adds the slots of `index` the graph does not hold yet (those appended since it was built).
    public func update(for index: CatalogIndex) throws {
        guard graph.count < index.slotCount else { return }
        try graph.add(Array(index.vectors[graph.count * index.dimension ..< index.slotCount * index.dimension]))
    }

    /// Writes the graph atomically.
    public func write(to url: URL) throws {
        do { try graph.write(to: url) } catch { throw CatalogError("\(url.path): \(error)") }
    }
}

extension CatalogIndex {
    /// Approximate cosine search through `graph`: like `search(_:k:sameLabelAs:excluding:)`, but
    /// only the `efSearch` best candidates the graph visits are considered, so a true neighbour can be
    /// missed. The graph is asked for more than `k` (twice, four times with a label filter) so that
    /// freed, excluded and other-label items can be dropped; a query may get fewer than `k`.
    public func search(_ queries: [Float], k: Int, graph: CatalogGraph, efSearch: Int = HNSWIndex.defaultEfSearch,
                       sameLabelAs queryLabels: [Int32]? = nil, excluding: [Int?]? = nil) throws -> [[Neighbour]] {
        guard count > 0 else { throw CatalogError("the index holds no items") }
        guard k >= 1, k <= count else { throw CatalogError("k must be between 1 and \(count) (the items in the index), not \(k)") }
        guard queries.count % dimension == 0 else {
            throw CatalogError("queries have \(queries.count) values, not a multiple of the index's dimension \(dimension)")
        }
        let n = queries.count / dimension
        let wanted = min(slotCount, (k + 1) * (queryLabels == nil ? 2 : 4))
        let found: (scores: [Float], ids: [Int])
        do { found = try graph.graph.search(queries, k: wanted, efSearch: max(efSearch, wanted)) } catch {
            throw CatalogError("approximate search failed: \(error)")
        }
        return (0..<n).map { query in
            var result: [Neighbour] = []
            for rank in 0..<wanted where result.count < k {
                let slot = found.ids[query * wanted + rank]
                guard slot >= 0, slot < slotCount, live[slot], slot != excluding?[query] ?? -1 else { continue }
                if let queryLabels, labels[slot] != queryLabels[query] { continue }
                result.append(Neighbour(slot: slot, id: ids[slot], label: labels[slot], score: found.scores[query * wanted + rank]))
            }
            return result
        }
    }
}
