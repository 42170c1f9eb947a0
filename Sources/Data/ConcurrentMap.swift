import Foundation
import Kernels

/// `transform` applied to every element on `Threads.count` threads (results in input order); each
/// thread takes every `Threads.count`-th element, so slow and fast items spread evenly.
public func concurrentMap<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
    let threads = min(Threads.count, items.count)
    guard threads > 1 else { return items.map(transform) }
    let results = Results<R>(count: items.count)
    DispatchQueue.concurrentPerform(iterations: threads) { t in
        for i in stride(from: t, to: items.count, by: threads) { results.set(i, transform(items[i])) }
    }
    return results.values.map { $0! }
}

/// Slots filled from several threads, one lock around them.
private final class Results<R>: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [R?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ value: R) {
        lock.lock()
        values[i] = value
        lock.unlock()
    }
}
