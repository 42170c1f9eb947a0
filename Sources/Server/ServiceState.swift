import Checkpoint
import Decoding
import Foundation
import Inference
import Kernels
import Preprocessing
import Similarity
import Tensor

/// Everything the routes share: the model and its queue, the catalogue, metrics, readiness and limits.
public final class ServiceState: Sendable {
    /// The model answering.
    public let model: ServingModel
    /// The batching queue in front of it.
    public let queue: InferenceQueue
    /// The catalogue index, when the service has one.
    public let catalogue: Catalogue?
    /// The metrics served at /metrics.
    public let metrics: ServerMetrics
    /// The service's settings.
    public let configuration: ServerConfiguration
    private let readiness = LockedValue(false)

    /// The state for `model` (and `catalogue`) under `configuration`; not ready until `warmUp()` passed.
    public init(model: ServingModel, catalogue: Catalogue?, configuration: ServerConfiguration) {
        self.model = model
        self.catalogue = catalogue
        self.configuration = configuration
        metrics = ServerMetrics()
        queue = InferenceQueue(settings: configuration.batching) { [model] images in model.outputs(images) }
    }

    /// Whether the weights are loaded and a warm-up inference has passed.
    public var isReady: Bool { readiness.withLock { $0 } }

    /// Runs one inference of a blank image and of a full batch through the queue, then marks the
    /// service ready.
    public func warmUp() async throws {
        let shape = model.inputShape
        for n in Set([1, configuration.batching.maxBatch]).sorted() {
            _ = try await queue.run(Tensor(shape: [n] + shape))
        }
        readiness.withLock { $0 = true }
    }

    /// What one photo gives: the input the model saw, its probabilities and (with an embedder) its
    /// unit embedding.
    struct Inferred: Sendable {
        var input: ModelInput
        var probabilities: [Float]
        var vector: [Float]?
    }

    /// Decodes and preprocesses `photo` off the event loops, then runs it through the queue. 503 when
    /// not ready or the queue is full; 413 over the pixel cap; 400 when it cannot be decoded.
    func infer(photo: Data) async throws -> Inferred {
        try checkReady()
        let model = self.model
        let prepared = LockedValue<ModelInput?>(nil)  // set by the closure, which runs before `run` returns
        let result = try await run {
            let input = try await Self.offLoop { try Self.input(photo: photo, for: model) }
            prepared.withLock { $0 = input }
            return Classifier.tensor([input])
        }
        return Inferred(input: prepared.withLock { $0 }!, probabilities: result.outputs[0],
                        vector: result.outputs.count > 1 ? result.outputs[1] : nil)
    }

    /// The model input of `photo`: 413 over the pixel cap, 400 when it cannot be decoded.
    private static func input(photo: Data, for model: ServingModel) throws -> ModelInput {
        let size: (width: Int, height: Int)
        do { size = try ImageDecoder.size(of: photo) } catch {
            throw APIError.badRequest("undecodable_image", "the photo cannot be decoded: \(error)")
        }
        let (pixels, overflow) = size.width.multipliedReportingOverflow(by: size.height)
        if overflow || pixels > model.classifier.limits.maxPixels {
            throw APIError(.contentTooLarge, "too_many_pixels",
                           "the photo is \(size.width)×\(size.height) pixels, over the \(model.classifier.limits.maxPixels)-pixel limit")
        }
        do { return try model.input(photo: photo) } catch {
            throw APIError.badRequest("undecodable_image", "the photo cannot be decoded: \(error)")
        }
    }

    /// Runs `images` [n, C, H, W] through the queue, recording its times.
    func run(_ images: Tensor) async throws -> InferenceQueue.Result {
        try await run { images }
    }

    /// Runs the images `prepare` makes through the queue (announced while they are made), recording its times.
    func run(_ prepare: @escaping @Sendable () async throws -> Tensor) async throws -> InferenceQueue.Result {
        do {
            let result = try await queue.run(preparing: prepare)
            metrics.record(result)
            return result
        } catch InferenceQueue.QueueError.full {
            throw APIError.unavailable("queue_full", "the service is busy (\(configuration.batching.capacity) images waiting); retry shortly")
        } catch InferenceQueue.QueueError.stopped {
            throw APIError.unavailable("shutting_down", "the service is shutting down")
        }
    }

    /// 503 with Retry-After until the warm-up has passed.
    func checkReady() throws {
        guard isReady else { throw APIError.unavailable("not_ready", "the model is still loading; retry shortly") }
    }

    /// The catalogue, or 404 when the service runs without one.
    func requireCatalogue() throws -> Catalogue {
        guard let catalogue else {
            throw APIError.notFound("no_index", "this service has no catalogue index (start it with --index)")
        }
        return catalogue
    }

    /// `work` on a global dispatch queue, so that decoding never blocks an event loop or the
    /// concurrency pool's few threads.
    static func offLoop<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try work() }) }
        }
    }
}
