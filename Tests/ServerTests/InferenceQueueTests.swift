import Foundation
import Server
import Tensor
import XCTest

/// The batching queue on its own, with a compute that records the batches it gets.
final class InferenceQueueTests: XCTestCase {
    /// A compute giving each image's first value and its batch size, and remembering batch sizes.
    final class Recorder: @unchecked Sendable {
        private let lock = NSLock()
        private var sizes: [Int] = []
        var batches: [Int] { lock.withLock { sizes } }
        func compute(_ images: Tensor) -> [[Float]] {
            let n = images.shape[0], size = images.count / n
            lock.withLock { sizes.append(n) }
            Thread.sleep(forTimeInterval: 0.02)
            return [(0..<n).map { images.scalars[$0 * size] }, (0..<n).flatMap { _ in [Float(n), Float(n)] }]
        }
    }

    func images(_ values: [Float]) -> Tensor {
        Tensor(shape: [values.count, 1, 2, 2], scalars: values.flatMap { [Float](repeating: $0, count: 4) })
    }

    func testRequestsAreBatchedAndEachGetsItsOwnRows() async throws {
        let recorder = Recorder()
        let queue = InferenceQueue(settings: .init(maxBatch: 6, maxDelay: .milliseconds(50), capacity: 100)) { recorder.compute($0) }
        let results = try await withThrowingTaskGroup(of: (Float, InferenceQueue.Result).self) { group in
            for r in 0..<10 {
                let n = [1, 2, 3][r % 3], first = Float(r * 10)
                let batch = images((0..<n).map { first + Float($0) })
                group.addTask { (first, try await queue.run(preparing: { batch })) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (first, result) in results {
            let n = result.outputs[0].count
            XCTAssertEqual(result.outputs[0], (0..<n).map { first + Float($0) })
            XCTAssertEqual(result.outputs[1].count, 2 * n)
            XCTAssertLessThanOrEqual(result.batchSize, 6)
            XCTAssertGreaterThanOrEqual(result.computeSeconds, 0.02)
        }
        XCTAssertEqual(recorder.batches.reduce(0, +), 19)  // 4 × 1 + 3 × 2 + 3 × 3 images
        XCTAssertTrue(recorder.batches.contains { $0 > 3 }, "\(recorder.batches)")
        queue.stop()
    }

    func testALoneRequestDoesNotWaitForTheBatchWindow() async throws {
        let queue = InferenceQueue(settings: .init(maxBatch: 8, maxDelay: .seconds(5), capacity: 10)) { Recorder().compute($0) }
        let started = ContinuousClock.now
        let result = try await queue.run(images([1]))
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(2))
        XCTAssertEqual(result.batchSize, 1)
        queue.stop()
    }

    func testStopFinishesWaitingRequestsThenRefuses() async throws {
        let recorder = Recorder()
        let queue = InferenceQueue(settings: .init(maxBatch: 1, maxDelay: .zero, capacity: 10)) { recorder.compute($0) }
        async let a = queue.run(images([1]))
        async let b = queue.run(images([2]))
        try await Task.sleep(for: .milliseconds(5))
        queue.stop()
        let answered = try await [a.outputs[0], b.outputs[0]]
        XCTAssertEqual(Set(answered), [[1], [2]])
        do {
            _ = try await queue.run(images([3]))
            XCTFail("a stopped queue ran a request")
        } catch let error as InferenceQueue.QueueError {
            XCTAssertEqual(error, .stopped)
        }
    }
}
