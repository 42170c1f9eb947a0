// Exact inner-product search kernels: one matrix product per block of queries against a block
// of item rows, then a partial selection of the best k per query.
//
// Size letters: Q queries, N item rows, D dimensions, K neighbours.

/// Inner products of every query with items `rows` of `items`: scores [Q, rows.count], row-major.
/// queries is (Q, D), items is (N, D), both row-major.
public func innerProducts(queries: [Float], items: [Float], dimension d: Int, rows: Range<Int>) -> [Float] {
    let q = queries.count / d
    precondition(d > 0 && queries.count == q * d && items.count % d == 0 && rows.upperBound * d <= items.count,
                 "innerProducts: sizes do not fit")
    var scores = [Float](repeating: 0, count: q * rows.count)
    guard q > 0, !rows.isEmpty else { return scores }
    if q == 1 {
        // One query: a pass over the items at memory speed (the BLAS's sgemv measured 1.4× slower).
        queries.withUnsafeBufferPointer { a in
            items.withUnsafeBufferPointer { b in
                scores.withUnsafeMutableBufferPointer { c in
                    parallelFor(rows.count, minimumPerThread: 4096) { part in
                        for r in part {
                            c[r] = dot(a.baseAddress!, b.baseAddress! + (rows.lowerBound + r) * d, d)
                        }
                    }
                }
            }
        }
        return scores
    }
    queries.withUnsafeBufferPointer { a in
        items.withUnsafeBufferPointer { b in
            scores.withUnsafeMutableBufferPointer { c in
                sgemm(transposeA: false, transposeB: true, m: q, n: rows.count, k: d,
                      a: a.baseAddress!, lda: d, b: b.baseAddress! + rows.lowerBound * d, ldb: d,
                      beta: 0, c: c.baseAddress!, ldc: rows.count)
            }
        }
    }
    return scores
}

/// The inner product of two vectors of `d` values, eight lanes at a time with two accumulators.
@inline(__always)
private func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
    var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
    var p = 0
    let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
    while p + 16 <= d {
        s0 += ra.loadUnaligned(fromByteOffset: p * 4, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: p * 4, as: SIMD8<Float>.self)
        s1 += ra.loadUnaligned(fromByteOffset: p * 4 + 32, as: SIMD8<Float>.self) * rb.loadUnaligned(fromByteOffset: p * 4 + 32, as: SIMD8<Float>.self)
        p += 16
    }
    var sum = (s0 + s1).sum()
    while p < d {
        sum += a[p] * b[p]
        p += 1
    }
    return sum
}

/// The K best items of each query by inner product, best first: scores and item rows [Q, K], with
/// row -1 (score -infinity) where fewer than K items qualify.
///
/// An item qualifies for query q when `groups[item] >= 0` (a negative group marks a removed slot),
/// when `queryGroups` is nil or `groups[item] == queryGroups[q]`, and when it is not `excluded[q]`
/// (-1 excludes nothing). Ties keep the lower row first. Items are scanned in blocks of rows so
/// the score matrix stays small; the product uses all threads, the selection one thread per query.
public func topInnerProducts(queries: [Float], items: [Float], dimension d: Int, k: Int,
                             groups: [Int32], queryGroups: [Int32]? = nil, excluded: [Int]) -> (scores: [Float], rows: [Int]) {
    let q = queries.count / d, n = items.count / max(d, 1)
    precondition(d > 0 && k > 0 && queries.count == q * d && items.count == n * d && groups.count == n
                 && excluded.count == q && (queryGroups?.count ?? q) == q, "topInnerProducts: sizes do not fit")
    var bestScores = [Float](repeating: -.infinity, count: q * k)
    var bestRows = [Int](repeating: -1, count: q * k)
    // About 4 M scores per block (16 MB), at least 256 rows.
    let block = max(256, (4 << 20) / max(q, 1))
    for start in stride(from: 0, to: n, by: block) {
        let rows = start..<min(n, start + block)
        let scores = innerProducts(queries: queries, items: items, dimension: d, rows: rows)
        scores.withUnsafeBufferPointer { s in
            groups.withUnsafeBufferPointer { g in
                bestScores.withUnsafeMutableBufferPointer { bs in
                    bestRows.withUnsafeMutableBufferPointer { br in
                        parallelFor(q) { queryRange in
                            for query in queryRange {
                                selectBest(scores: s.baseAddress! + query * rows.count, rows: rows, groups: g.baseAddress!,
                                           group: queryGroups?[query], excluded: excluded[query], k: k,
                                           bestScores: bs.baseAddress! + query * k, bestRows: br.baseAddress! + query * k)
                            }
                        }
                    }
                }
            }
        }
    }
    return (bestScores, bestRows)
}

/// Merges one query's scores over `rows` into its sorted best-K lists (insertion into a short list:
/// after the first rows almost every score is below the K-th best and costs one comparison).
private func selectBest(scores: UnsafePointer<Float>, rows: Range<Int>, groups: UnsafePointer<Int32>, group: Int32?,
                        excluded: Int, k: Int, bestScores: UnsafeMutablePointer<Float>, bestRows: UnsafeMutablePointer<Int>) {
    var threshold = bestScores[k - 1]
    for (offset, row) in rows.enumerated() {
        let score = scores[offset]
        guard score > threshold else { continue }  // also skips NaN
        let itemGroup = groups[row]
        guard itemGroup >= 0, row != excluded, group == nil || itemGroup == group! else { continue }
        var position = k - 1
        while position > 0 && bestScores[position - 1] < score {
            bestScores[position] = bestScores[position - 1]
            bestRows[position] = bestRows[position - 1]
            position -= 1
        }
        bestScores[position] = score
        bestRows[position] = row
        threshold = bestScores[k - 1]
    }
}
