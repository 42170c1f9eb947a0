import CBLAS
import Foundation
import Kernels
import TestSupport

/// Random vectors and exact search to measure the index against.
enum Vectors {
    /// Sets OpenBLAS up as the engine does before its first product (one thread, and its kernels
    /// chosen again if it fell back to SSE3 ones): otherwise the order in which test classes run
    /// decides whether the engine's later set-up finds OpenBLAS untouched or its thread pool in use.
    static func prepareBLAS() { _ = Threads.count }

    /// `n` vectors drawn uniformly from the unit sphere in `dimension` dimensions, row-major
    /// [n, dimension] (normalised Gaussians, the Gaussians from Box–Muller pairs).
    static func randomUnit(_ n: Int, dimension: Int, seed: UInt64) -> [Float] {
        var generator = SplitMix64(seed: seed)
        var values = [Float](repeating: 0, count: n * dimension)
        var i = 0
        while i < values.count {
            let u1 = Double(generator.next() >> 11 | 1) * 0x1p-53  // (0, 1]
            let u2 = Double(generator.next() >> 11) * 0x1p-53
            let radius = (-2 * Foundation.log(u1)).squareRoot()
            values[i] = Float(radius * Foundation.cos(2 * .pi * u2))
            if i + 1 < values.count { values[i + 1] = Float(radius * Foundation.sin(2 * .pi * u2)) }
            i += 2
        }
        normalise(&values, dimension: dimension)
        return values
    }

    /// `n` unit vectors near a random `latent`-dimensional subspace of `dimension`-space, a
    /// stand-in for learned embeddings (whose intrinsic dimension is far below their length):
    /// normalise(A·z + 0.1·ε) with z ~ N(0, I_latent), A [dimension, latent] ~ N(0, 1/latent) drawn
    /// from `basisSeed` (the same A for the vectors and their queries) and ε ~ N(0, I_dimension).
    static func nearSubspace(_ n: Int, dimension: Int, latent: Int, seed: UInt64, basisSeed: UInt64) -> [Float] {
        func gaussians(_ count: Int, _ seed: UInt64) -> [Float] {
            var generator = SplitMix64(seed: seed)
            return (0..<count).map { _ in
                let u1 = Double(generator.next() >> 11 | 1) * 0x1p-53, u2 = Double(generator.next() >> 11) * 0x1p-53
                return Float((-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * .pi * u2))
            }
        }
        let basis = gaussians(latent * dimension, basisSeed).map { $0 / Float(latent).squareRoot() }  // [latent, dimension]
        let z = gaussians(n * latent, seed)  // [n, latent]
        var values = gaussians(n * dimension, seed ^ 0x5EED).map { 0.1 * $0 }  // noise, then + z·A
        prepareBLAS()
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(dimension), Int32(latent),
                    1, z, Int32(latent), basis, Int32(dimension), 1, &values, Int32(dimension))
        normalise(&values, dimension: dimension)
        return values
    }

    /// Scales each row of `values` (rows of `dimension`) to unit length.
    static func normalise(_ values: inout [Float], dimension: Int) {
        for row in 0..<values.count / dimension {
            var norm: Float = 0
            for j in row * dimension..<(row + 1) * dimension { norm += values[j] * values[j] }
            let scale = 1 / norm.squareRoot()
            for j in row * dimension..<(row + 1) * dimension { values[j] *= scale }
        }
    }

    /// Ids of the `k` largest inner products of each query with every vector (exact: OpenBLAS
    /// sgemm over blocks of queries), row-major [queries, k], best first.
    static func exactTopK(queries: [Float], vectors: [Float], dimension: Int, k: Int) -> [Int] {
        let nq = queries.count / dimension, n = vectors.count / dimension
        let block = max(1, min(nq, (1 << 24) / max(n, 1)))  // at most 64 MB of scores at a time
        var ids: [Int] = []
        ids.reserveCapacity(nq * k)
        var scores = [Float](repeating: 0, count: block * n)
        prepareBLAS()
        var start = 0
        while start < nq {
            let rows = min(block, nq - start)
            let slice = Array(queries[start * dimension..<(start + rows) * dimension])
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(rows), Int32(n), Int32(dimension),
                        1, slice, Int32(dimension), vectors, Int32(dimension), 0, &scores, Int32(n))
            for r in 0..<rows { ids += topK(scores, from: r * n, count: n, k: k) }
            start += rows
        }
        return ids
    }

    /// Ids (relative to `from`) of the `k` largest of `count` scores starting at `from`, best first.
    static func topK(_ scores: [Float], from: Int, count: Int, k: Int) -> [Int] {
        var best: [(score: Float, id: Int)] = []
        best.reserveCapacity(k + 1)
        for i in 0..<count {
            let s = scores[from + i]
            if best.count == k, s <= best[k - 1].score { continue }
            var at = best.count
            while at > 0, best[at - 1].score < s { at -= 1 }
            best.insert((s, i), at: at)
            if best.count > k { best.removeLast() }
        }
        return best.map(\.id)
    }

    /// Fraction of the exact top-k ids that the approximate top-k found (both [queries, k]).
    static func recall(approximate: [Int], exact: [Int], k: Int) -> Double {
        var found = 0
        for q in 0..<exact.count / k {
            let truth = Set(exact[q * k..<(q + 1) * k])
            found += approximate[q * k..<(q + 1) * k].filter { truth.contains($0) }.count
        }
        return Double(found) / Double(exact.count)
    }
}
