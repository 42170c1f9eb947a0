// Matrix products through the platform BLAS: OpenBLAS (cblas.h) on Linux,
// Accelerate on macOS. All matrices are row-major.
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

/// Row-major single-precision matrix product `C = alpha * op(A) * op(B) + beta * C`,
/// where op(A) is m×k, op(B) is k×n and C is m×n.
@inline(__always)
public func sgemm(
    transposeA: Bool, transposeB: Bool, m: Int, n: Int, k: Int,
    alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
) {
    cblas_sgemm(CblasRowMajor,
                transposeA ? CblasTrans : CblasNoTrans,
                transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
                beta, c, Int32(ldc))
}

/// Thread settings shared by the BLAS and the engine's own parallel loops.
public enum Threads {
    /// The number of threads kernels use (default: all cores).
    nonisolated(unsafe) public private(set) static var count: Int = defaultCount()

    /// Use `n` threads in BLAS and in the engine's loops (1 disables parallelism).
    public static func set(_ n: Int) {
        precondition(n >= 1, "thread count must be at least 1")
        count = n
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(n))
        #endif
    }

    private static func defaultCount() -> Int {
        #if canImport(Accelerate)
        return ProcessInfo.processInfo.activeProcessorCount
        #else
        return Int(openblas_get_num_threads())
        #endif
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
