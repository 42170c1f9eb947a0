import Decoding
import Foundation

/// How `fashion serve` runs: where it listens, how it batches, what it takes.
public struct ServerConfiguration: Sendable {
    /// The address to bind (127.0.0.1 unless told otherwise).
    public var host = "127.0.0.1"
    /// The port (0: any free one).
    public var port = 8080
    /// How requests are batched in front of the model.
    public var batching = InferenceQueue.Settings()
    /// Request body size and arrival time.
    public var body = BodyLimits()
    /// Connections idle this long are closed.
    public var idleTimeout: Duration = .seconds(60)
    /// The bearer token `PUT` and `DELETE` need (nil: no token needed).
    public var token: String?
    /// The most neighbours one search returns.
    public var maxK = 100
    /// The most images one KServe infer request may hold.
    public var maxInferImages = 256
    /// Where the Fashion-MNIST files are (pictures of `train:N` / `test:N` catalogue items).
    public var datasetDirectory = URL(fileURLWithPath: "/usr/share/datasets/fashion-mnist")

    /// The defaults: 127.0.0.1:8080, batches of 16 within 2 ms, 16 MiB bodies within 30 s.
    public init() {}
}
