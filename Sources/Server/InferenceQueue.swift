import Foundation
import Kernels
import Tensor

/// The one queue in front of the model: requests wait in it and a dedicated thread (not an event
/// loop, not the concurrency pool) takes them in batches of up to `maxBatch` images, waiting up to
/// `maxDelay` after the oldest for others to join, runs the batch and answers each request.
public final class InferenceQueue: @unchecked Sendable {  // state guarded by `condition`
    /// How requests are batched.
    public struct Settings: Sendable, Equatable {
        /// The most images run in one pass (a request with more runs alone).
        public var maxBatch = 16
        /// How long the oldest waiting request waits for others to join its batch, while others are
        /// on their way (`announce()`d: being decoded); 0: never.
        public var maxDelay: Duration = .milliseconds(2)
        /// The most images waiting; a request beyond it is refused (HTTP 503).
        public var capacity = 1024

        /// The defaults: batches of up to 16 images, 2 ms window, 1024 images queued.
        public init(maxBatch: Int = 16, maxDelay: Duration = .milliseconds(2), capacity: Int = 1024) {
            self.maxBatch = maxBatch
            self.maxDelay = maxDelay
            self.capacity = capacity
        }
    }

    /// The answer for one request: its rows of every output, and where its time went.
    public struct Result: Sendable {
        /// One array per output of `compute`, each holding this request's rows.
        public var outputs: [[Float]]
        /// Seconds spent waiting in the queue.
        public var queueSeconds: Double
        /// Seconds of the batch pass that answered it.
        public var computeSeconds: Double
        /// Images in that batch.
        public var batchSize: Int
    }

    /// Why a request was not run.
    public enum QueueError: Error, Equatable {
        /// `capacity` images are already waiting.
        case full
        /// The queue is shutting down.
        case stopped
    }

    /// One waiting request.
    private struct Job {
        let images: Tensor  // [n, C, H, W]
        let enqueued: ContinuousClock.Instant
        let continuation: CheckedContinuation<Result, any Error>
    }

    /// The batching settings.
    public let settings: Settings
    /// Runs the model on a batch [n, C, H, W]; each output is n rows, row-major (e.g. probabilities and embeddings).
    private let compute: @Sendable (Tensor) -> [[Float]]
    private let condition = NSCondition()
    private var waiting: [Job] = []
    private var waitingImages = 0
    private var announced = 0
    private var computing = false
    private var stopping = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// A queue running `compute` on its own thread.
    public init(settings: Settings, compute: @escaping @Sendable (Tensor) -> [[Float]]) {
        precondition(settings.maxBatch >= 1 && settings.capacity >= 1, "batch size and capacity must be positive")
        self.settings = settings
        self.compute = compute
        let thread = Thread { [unowned self] in self.serve() }
        thread.name = "fashion-inference"
        thread.stackSize = 8 << 20
        self.thread = thread
        thread.start()
    }

    /// Images waiting now.
    public var depth: Int { condition.withLock { waitingImages } }

    /// Whether a batch is being computed now.
    public var busy: Bool { condition.withLock { computing } }

    /// Runs the images `prepare` makes: while it works (decoding a photo), a batch about to run waits
    /// for it (up to `maxDelay`); then as `run(_:)`.
    public func run(preparing prepare: @Sendable () async throws -> Tensor) async throws -> Result {
        condition.withLock { announced += 1 }
        let images: Tensor
        do { images = try await prepare() } catch {
            condition.withLock {
                announced -= 1
                condition.broadcast()
            }
            throw error
        }
        return try await enqueue(images, announced: true)
    }

    /// Runs `images` [n, C, H, W] in the next batch with room; throws `QueueError.full` at once when
    /// the queue is full and `.stopped` after `stop()`.
    public func run(_ images: Tensor) async throws -> Result {
        try await enqueue(images, announced: false)
    }

    private func enqueue(_ images: Tensor, announced wasAnnounced: Bool) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            condition.lock()
            defer { condition.unlock() }
            if wasAnnounced { announced -= 1 }
            if stopping { return continuation.resume(throwing: QueueError.stopped) }
            let n = images.shape[0]
            if waitingImages > 0 && waitingImages + n > settings.capacity { return continuation.resume(throwing: QueueError.full) }
            waiting.append(Job(images: images, enqueued: .now, continuation: continuation))
            waitingImages += n
            condition.signal()
        }
    }

    /// Refuses new requests, finishes those waiting, and returns when the thread has ended.
    public func stop() {
        let first = condition.withLock { () -> Bool in
            let first = !stopping
            stopping = true
            condition.broadcast()
            return first
        }
        if first { finished.wait() }
    }

    /// The thread's loop: wait for a request, gather a batch, run it, answer.
    private func serve() {
        Threads.applyToCurrentThread()  // oneDNN's OpenMP threads, as `Threads.count` says
        while let batch = nextBatch() {
            defer { condition.withLock { computing = false } }
            let started = ContinuousClock.now
            let images = batch.count == 1 ? batch[0].images : Self.stack(batch.map(\.images))
            let outputs = compute(images)
            let finished = ContinuousClock.now
            let computeSeconds = Self.seconds(finished - started)
            var row = 0
            for job in batch {
                let n = job.images.shape[0]
                let rows = outputs.map { output in
                    let width = output.count / images.shape[0]
                    return Array(output[row * width ..< (row + n) * width])
                }
                job.continuation.resume(returning: Result(outputs: rows, queueSeconds: Self.seconds(started - job.enqueued),
                                                          computeSeconds: computeSeconds, batchSize: images.shape[0]))
                row += n
            }
        }
        finished.signal()
    }

    /// The next batch: the oldest request and those behind it that fit in `maxBatch`, once the batch
    /// is full, no other request is on its way, or the oldest has waited `maxDelay`; nil when
    /// stopping with nothing left.
    private func nextBatch() -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while waiting.isEmpty {
            if stopping { return nil }
            condition.wait()
        }
        let deadline = Date(timeIntervalSinceNow: Self.seconds(settings.maxDelay - (ContinuousClock.now - waiting[0].enqueued)))
        while waitingImages < settings.maxBatch && announced > 0 && !stopping && Date() < deadline {
            _ = condition.wait(until: deadline)
        }
        var batch: [Job] = [], images = 0
        while let job = waiting.first, batch.isEmpty || images + job.images.shape[0] <= settings.maxBatch {
            batch.append(waiting.removeFirst())
            images += job.images.shape[0]
        }
        waitingImages -= images
        computing = true
        return batch
    }

    /// Tensors [nᵢ, C, H, W] stacked into one [Σnᵢ, C, H, W].
    static func stack(_ parts: [Tensor]) -> Tensor {
        var scalars: [Float] = []
        scalars.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for part in parts { scalars += part.scalars }
        return Tensor(shape: [parts.reduce(0) { $0 + $1.shape[0] }] + parts[0].shape.dropFirst(), scalars: scalars)
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }
}
