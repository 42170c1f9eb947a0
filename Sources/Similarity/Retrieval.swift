import Data
import Inference
import Kernels
import Tensor

/// How well nearest neighbours share the query's class: precision@k (per class and overall) and
/// mean average precision over the full ranking of the index.
public struct RetrievalQuality: Equatable, Sendable {
    /// The k of precision@k.
    public var k: Int
    /// Mean precision@k of the queries of each class (nil for a class without queries).
    public var precisionByClass: [Double?]
    /// Number of queries of each class.
    public var queriesByClass: [Int]
    /// Mean precision@k over all queries.
    public var precision: Double
    /// Mean over queries of average precision: for each item of the query's class, the fraction of
    /// same-class items among those ranked at or above it, averaged.
    public var meanAveragePrecision: Double

    /// Ranks every live item of `index` for each query (rows of D unit values) with true class
    /// `queryClasses[q]`; items' true classes are `itemClasses[slot]` (-1: unknown, never relevant).
    /// `excluding[q]` is a slot left out of query q's ranking (itself), or nil.
    public static func measure(index: CatalogIndex, queries: [Float], queryClasses: [Int], itemClasses: [Int],
                               classCount: Int, k: Int = 10, excluding: [Int?]? = nil) -> RetrievalQuality {
        let d = index.dimension, n = queries.count / d
        precondition(queryClasses.count == n && itemClasses.count == index.slotCount, "one class per query and per slot")
        var perQuery: [(precision: Double, averagePrecision: Double)] = []
        perQuery.reserveCapacity(n)
        for start in stride(from: 0, to: n, by: 256) {
            let block = start..<min(n, start + 256)
            let scores = innerProducts(queries: Array(queries[block.lowerBound * d ..< block.upperBound * d]),
                                       items: index.vectors, dimension: d, rows: 0..<index.slotCount)
            perQuery += concurrentMap(Array(block)) { query in
                // The scores of same-class and other items, each sorted best first, then merged.
                let row = (query - start) * index.slotCount, excluded = excluding?[query] ?? -1
                var relevant: [Float] = [], others: [Float] = []
                for slot in 0..<index.slotCount where index.live[slot] && slot != excluded {
                    if itemClasses[slot] == queryClasses[query] { relevant.append(scores[row + slot]) } else { others.append(scores[row + slot]) }
                }
                relevant.sort(by: >)
                others.sort(by: >)
                return Self.precisionAndAP(relevantSorted: relevant, othersSorted: others, k: k)
            }
        }
        var byClass = [Double](repeating: 0, count: classCount), counts = [Int](repeating: 0, count: classCount)
        for (query, value) in perQuery.enumerated() where (0..<classCount).contains(queryClasses[query]) {
            byClass[queryClasses[query]] += value.precision
            counts[queryClasses[query]] += 1
        }
        let total = Double(max(n, 1))
        return RetrievalQuality(
            k: k, precisionByClass: zip(byClass, counts).map { $1 > 0 ? $0 / Double($1) : nil }, queriesByClass: counts,
            precision: perQuery.reduce(0) { $0 + $1.precision } / total,
            meanAveragePrecision: perQuery.reduce(0) { $0 + $1.averagePrecision } / total)
    }

    /// Precision@k and average precision of the ranking that merges `relevantSorted` and
    /// `othersSorted` (scores, each best first; on equal scores the relevant item ranks first).
    static func precisionAndAP(relevantSorted relevant: [Float], othersSorted others: [Float], k: Int) -> (precision: Double, averagePrecision: Double) {
        var hits = 0, sum = 0.0, above = 0, topHits = 0
        for score in relevant {
            while above < others.count && others[above] > score { above += 1 }
            hits += 1
            let rank = hits + above
            sum += Double(hits) / Double(rank)
            if rank <= k { topHits += 1 }
        }
        return (Double(topHits) / Double(max(k, 1)), hits == 0 ? 0 : sum / Double(hits))
    }

    /// Precision@k and average precision of one ranking (true = relevant), best first.
    public static func precisionAndAP(_ relevant: [Bool], k: Int) -> (precision: Double, averagePrecision: Double) {
        var hits = 0, sum = 0.0, precision = 0.0
        for (rank, isRelevant) in relevant.enumerated() {
            if isRelevant {
                hits += 1
                sum += Double(hits) / Double(rank + 1)
            }
            if rank + 1 == k { precision = Double(hits) / Double(k) }
        }
        if relevant.count < k { precision = Double(hits) / Double(max(k, 1)) }
        return (precision, hits == 0 ? 0 : sum / Double(hits))
    }
}
