import Data
import Dispatch
import Foundation
import Inference
import Kernels
import Models
import NN
import Tensor

/// Timings of training steps, inference and memory for one model on this machine.
public struct BenchmarkReport: Codable {
    /// Time of one layer's passes within a training step, and the arithmetic rate achieved.
    public struct LayerTiming: Codable {
        /// Layer name (`conv_1`…), or `loss`, `optimizer`, `batch` for the other parts of a step.
        public var name: String
        /// Milliseconds per step in the forward and backward pass.
        public var forwardMilliseconds, backwardMilliseconds: Double
        /// Billions of floating-point operations per second (0 for layers without products).
        public var forwardGFLOPS, backwardGFLOPS: Double
    }

    /// Architecture timed.
    public var model: String
    /// Threads used.
    public var threads: Int
    /// Images per training step.
    public var batchSize: Int
    /// Timed training steps (after warm-up).
    public var steps: Int
    /// Whether the images were real Fashion-MNIST images or random noise.
    public var realImages: Bool
    /// Mean milliseconds per training step.
    public var stepMilliseconds: Double
    /// Seconds per 50,000-image epoch, extrapolated from the timed steps.
    public var epochSeconds: Double
    /// Training arithmetic per 50,000-image epoch, in TFLOP (matrix products only).
    public var epochTFLOP: Double
    /// Per-layer breakdown of a step.
    public var layers: [LayerTiming]
    /// Inference throughput in images per second over the test images (nil if not measured).
    public var inferenceImagesPerSecond: Double?
    /// Batch size used for throughput.
    public var inferenceBatchSize: Int
    /// Single-image latency percentiles in milliseconds (nil if not measured).
    public var latencyP50Milliseconds, latencyP99Milliseconds: Double?
    /// Mean single-image forward milliseconds per layer (empty if not measured).
    public var latencyLayers: [LayerTiming] = []
    /// Peak resident memory of the process so far, in MiB.
    public var peakResidentMiB: Double
    /// The products' number format (`fp32`, `bf16`) and how this CPU runs it.
    public var precision = Precision.current.rawValue
    public var precisionImplementation = Precision.current == .bf16 ? Precision.bf16Implementation : "fp32 kernels"
    /// The instruction set of the elementwise loops on this CPU (`avx512f`, `avx2`, `baseline`).
    public var elementwiseKernels = elementwiseInstructionSet
    /// The OpenBLAS kernels of the dense layers' products (`Haswell`, `SkylakeX`, `Cooperlake`, …).
    public var matrixKernels = BLASCore.name
    /// ReLUs that ran inside the max-pool after them (their time is in the pool's line).
    public var fusedLayers: [String] = []
    /// The checkpoint the inference figures ran (nil: the architecture's fresh weights).
    public var inferenceWeights: String?
    /// Its layers that ran int8 (`fashion quantize`).
    public var int8Layers: [String] = []
}

/// Measures training and inference speed.
public enum Benchmark {
    /// Images in a training epoch (the notebook's split).
    public static let epochImages = 50_000

    /// Multiply-add work of `layer` for an input of `shape`, as FLOP (2 per multiply-add):
    /// forward, and backward (weight gradient plus, unless it is the first layer, input gradient).
    public static func flops(_ layer: any Layer, input shape: [Int], isFirst: Bool) -> (forward: Double, backward: Double) {
        let forward = forwardFLOPs(layer, input: shape)
        // A convolution or dense layer in first place skips its input gradient; blocks (Sequential,
        // Residual) count backward as twice forward (their first layer's skipped input gradient is
        // not subtracted); other layers have no multiply-adds.
        let isLeaf = layer is Conv2D || layer is Dense
        return (forward, forward * (isLeaf && isFirst ? 1 : 2))
    }

    /// Times `steps` training steps (after `warmUp` untimed ones) of `entry` at `batchSize`,
    /// on batches drawn from `images` (or random noise when nil).
    public static func training(_ entry: Models.Entry, batchSize: Int, steps: Int, warmUp: Int = 10,
                                images: ImageSet?) -> BenchmarkReport {
        let model = entry.make(1)
        var generator = SeededGenerator(seed: 7)
        let noise = Initializer.uniform(shape: [batchSize] + entry.inputShape, limit: 0.5, using: &generator)
        var optimizer = Adam()
        var extra = ["batch": 0.0, "loss": 0.0, "optimizer": 0.0]
        func clock() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        func step() {
            var t = clock()
            let batch: (Tensor, [Int])
            if let images {
                let start = Int(generator.next() % UInt64(max(1, images.count - batchSize)))
                batch = images.batch(start ..< min(images.count, start + batchSize))
            } else {
                batch = (noise, (0..<batchSize).map { $0 % 10 })
            }
            extra["batch"]! += clock() - t
            let logits = model.forward(batch.0, phase: .training)
            t = clock()
            let outcome = softmaxCrossEntropy(logits: logits, labels: batch.1)
            extra["loss"]! += clock() - t
            model.zeroGradients()
            _ = model.backward(outcome.gradient, needsInputGradient: false)
            t = clock()
            optimizer.update(model.parameters)
            extra["optimizer"]! += clock() - t
        }
        for _ in 0..<warmUp { step() }
        model.profiling = true
        model.profile = [:]
        extra = extra.mapValues { _ in 0 }
        let start = clock()
        for _ in 0..<steps { step() }
        let perStep = (clock() - start) / Double(steps)

        var layers: [BenchmarkReport.LayerTiming] = []
        var shape = [batchSize] + entry.inputShape
        var stepFLOP = 0.0
        for (index, layer) in model.layers.enumerated() {
            let work = flops(layer.layer, input: shape, isFirst: index == 0)
            stepFLOP += work.forward + work.backward
            shape = layer.layer.outputShape(for: shape)
            let time = model.profile[layer.name] ?? (0, 0)
            let forward = time.forward / Double(steps), backward = time.backward / Double(steps)
            layers.append(.init(name: layer.name, forwardMilliseconds: forward * 1000, backwardMilliseconds: backward * 1000,
                                forwardGFLOPS: forward > 0 ? work.forward / forward / 1e9 : 0,
                                backwardGFLOPS: backward > 0 ? work.backward / backward / 1e9 : 0))
        }
        for name in ["batch", "loss", "optimizer"] {
            layers.append(.init(name: name, forwardMilliseconds: extra[name]! / Double(steps) * 1000,
                                backwardMilliseconds: 0, forwardGFLOPS: 0, backwardGFLOPS: 0))
        }
        let stepsPerEpoch = Double((epochImages + batchSize - 1) / batchSize)
        return BenchmarkReport(
            model: entry.name, threads: Threads.count, batchSize: batchSize, steps: steps, realImages: images != nil,
            stepMilliseconds: perStep * 1000, epochSeconds: perStep * stepsPerEpoch,
            epochTFLOP: stepFLOP * stepsPerEpoch / 1e12, layers: layers,
            inferenceImagesPerSecond: nil, inferenceBatchSize: 256,
            latencyP50Milliseconds: nil, latencyP99Milliseconds: nil, peakResidentMiB: peakResidentMiB(),
            fusedLayers: model.fusedLayerNames)
    }

    /// Images per second classifying all of `images` at `batchSize` (best of `passes`).
    public static func throughput(_ model: any Layer, images: ImageSet, batchSize: Int = 256, passes: Int = 3) -> Double {
        var best = Double.infinity
        for _ in 0..<passes {
            let start = DispatchTime.now().uptimeNanoseconds
            _ = predict(model, on: images, batchSize: batchSize)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return Double(images.count) / best
    }

    /// Single-image forward latency percentiles (p50, p99) in milliseconds over `calls` calls,
    /// then a per-layer breakdown from another `calls` profiled calls.
    public static func latency(_ model: Sequential, images: ImageSet, calls: Int = 1_000)
        -> (p50: Double, p99: Double, layers: [BenchmarkReport.LayerTiming]) {
        for i in 0..<50 { _ = model(images.batch([i % images.count]).images) }
        var times: [Double] = []
        for i in 0..<calls {
            let (x, _) = images.batch([i % images.count])
            let start = DispatchTime.now().uptimeNanoseconds
            _ = model(x)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
        }
        times.sort()
        model.profile = [:]
        model.profiling = true
        for i in 0..<calls { _ = model(images.batch([i % images.count]).images) }
        model.profiling = false
        let layers = model.layers.map { entry in
            BenchmarkReport.LayerTiming(name: entry.name,
                                        forwardMilliseconds: (model.profile[entry.name]?.forward ?? 0) / Double(calls) * 1000,
                                        backwardMilliseconds: 0, forwardGFLOPS: 0, backwardGFLOPS: 0)
        }
        return (times[times.count / 2], times[min(times.count - 1, times.count * 99 / 100)], layers)
    }

    /// The process's peak resident set size so far, in MiB.
    public static func peakResidentMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // Linux reports KiB
    }
}
