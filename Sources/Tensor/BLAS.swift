// Matrix products through the platform BLAS: OpenBLAS (cblas.h) on Linux,
// Accelerate on macOS. All matrices are row-major.
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Row-major single-precision matrix product `C = alpha * op(A) * op(B) + beta * C`,
/// where op(A) is m×k, op(B) is k×n and C is m×n.
///
/// The BLAS itself runs single-threaded; the product is split into blocks of C's columns
/// (or rows, when C is tall and narrow) computed on `Threads.count` threads. Keeping all
/// threading in one place stops idle BLAS worker threads from spinning against the
/// engine's own parallel loops on a small machine.
public func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    let threads = Threads.count
    let work = m * n * k
    // Below ~4 MFLOP a split costs more than it saves.
    guard threads > 1, work >= 1 << 21, max(m, n) >= 32 * threads else {
        sgemmSerial(transposeA, transposeB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
        return
    }
    if n >= m {
        // Column block j0..<j1 of C needs column block j0..<j1 of op(B).
        parallelFor(n / 16, minimumPerThread: 1) { blocks in
            let j0 = blocks.lowerBound * 16
            let j1 = blocks.upperBound == n / 16 ? n : blocks.upperBound * 16
            sgemmSerial(transposeA, transposeB, m, j1 - j0, k, alpha, a, lda,
                        transposeB ? b + j0 * ldb : b + j0, ldb, beta, c + j0, ldc)
        }
    } else {
        // Row block i0..<i1 of C needs row block i0..<i1 of op(A).
        parallelFor(m / 16, minimumPerThread: 1) { blocks in
            let i0 = blocks.lowerBound * 16
            let i1 = blocks.upperBound == m / 16 ? m : blocks.upperBound * 16
            sgemmSerial(transposeA, transposeB, i1 - i0, n, k, alpha,
                        transposeA ? a + i0 : a + i0 * lda, lda, b, ldb, beta, c + i0 * ldc, ldc)
        }
    }
}

@inline(__always)
private func sgemmSerial(
    _ transposeA: Bool, _ transposeB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
    _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
    _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int
) {
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                beta, c, Int32(ldc))
}

/// Thread settings for the engine's parallel loops (the BLAS itself is kept single-threaded).
public enum Threads {
    /// The number of threads kernels use (default: all cores).
    nonisolated(unsafe) public private(set) static var count: Int = defaultCount()

    /// Use `n` threads in the engine's loops and matrix products (1 disables parallelism).
    public static func set(_ n: Int) {
        precondition(n >= 1, "thread count must be at least 1")
        _ = count  // runs defaultCount() first, which configures the BLAS
        count = n
    }

    private static func defaultCount() -> Int {
        #if !canImport(Accelerate)
        openblas_set_num_threads(1)
        #endif
        return ProcessInfo.processInfo.activeProcessorCount
    }
}

import Foundation
import Dispatch

/// Runs `body(i)` for every i in `0..<count`, split into contiguous blocks over
/// `Threads.count` threads. `body` must only write memory no other index writes.
public func parallelFor(_ count: Int, minimumPerThread: Int = 1, _ body: (Range<Int>) -> Void) {
    let threads = min(Threads.count, max(1, count / max(1, minimumPerThread)))
    if threads <= 1 || count <= 1 {
        body(0..<count)
        return
    }
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        let start = count * t / threads
        let end = count * (t + 1) / threads
        if start < end { body(start..<end) }
    }
}

#if canImport(CMalloc)
import CMalloc
#endif

/// Process-wide memory settings for training.
public enum Allocator {
    /// Keeps large tensors on the heap instead of fresh `mmap`s: glibc otherwise maps (and the
    /// kernel zero-fills, page by page) a new region for every multi-megabyte activation.
    public static func keepLargeBlocks() {
        #if canImport(CMalloc)
        _ = mallopt(M_MMAP_THRESHOLD, 32 << 20)
        _ = mallopt(M_TRIM_THRESHOLD, Int32.max)
        #endif
    }
}
