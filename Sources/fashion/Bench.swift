import ArgumentParser
import Checkpoint
import Data
import Foundation
import Kernels
import Models
import Training

extension Fashion {
    /// `fashion bench`: training and inference speed, per-layer breakdown, memory and thread scaling.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure training speed (per layer), inference throughput and latency, memory, thread scaling.")

        @Option(help: "Architecture to time (with --weights: the checkpoint's).") var model: String = "seed-cnn"
        @Option(help: "Time inference on these weights, e.g. an int8 file from `fashion quantize` (a Fashion-MNIST model; default: fresh weights).")
        var weights: String?
        @Option(help: "Images per training step.") var batchSize: Int = 64
        @Option(help: "Timed training steps (after 10 warm-up steps); the epoch time is extrapolated from them.") var steps: Int = 200
        @Flag(help: "Also time training with 1 thread and report the speed-up.") var scaling = false
        @Flag(help: "Skip the inference measurements.") var skipInference = false
        @Flag(help: "Print the report as JSON.") var json = false
        @OptionGroup var dataOptions: DataOptions

        func validate() throws {
            if !(1...8192).contains(batchSize) { throw ValidationError("--batch-size must be between 1 and 8192") }
            if !(1...1_000_000).contains(steps) { throw ValidationError("--steps must be between 1 and 1000000") }
        }

        func run() throws {
            let directory = dataOptions.prepare()
            let checkpoint = try weights.map { try ModelCheckpoint.load(URL(fileURLWithPath: $0), defaultClassNames: FashionMNIST.classNames) }
            if let checkpoint, let weights { try requireFashionMNIST(checkpoint, weights: weights, for: "bench --weights") }
            let entry = try checkpoint?.architecture ?? Models.named(model)
            // Real images when the dataset is installed; noise otherwise (the timing hardly differs).
            let train = try? FashionMNIST.load(.train, from: directory)
            let test = try? FashionMNIST.load(.test, from: directory)
            let threads = Threads.count
            var report = Benchmark.training(entry, batchSize: batchSize, steps: steps, images: train)
            var singleThread: BenchmarkReport?
            if scaling && threads > 1 {
                Threads.set(1)
                singleThread = Benchmark.training(entry, batchSize: batchSize, steps: steps, images: train)
                Threads.set(threads)
            }
            if !skipInference, let test {
                let net = checkpoint?.model ?? entry.make(1)
                report.inferenceWeights = weights
                report.int8Layers = checkpoint?.int8Layers ?? []
                report.inferenceImagesPerSecond = Benchmark.throughput(net, images: test)
                (report.latencyP50Milliseconds, report.latencyP99Milliseconds, report.latencyLayers) =
                    Benchmark.latency(net, images: test)
            }
            report.peakResidentMiB = Benchmark.peakResidentMiB()
            if json {
                var object: [String: Any] = [:]
                let encoder = JSONEncoder()
                object["report"] = try JSONSerialization.jsonObject(with: encoder.encode(report))
                if let singleThread {
                    object["single_thread"] = try JSONSerialization.jsonObject(with: encoder.encode(singleThread))
                    object["speedup"] = singleThread.stepMilliseconds / report.stepMilliseconds
                }
                let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
                print(String(decoding: data, as: UTF8.self))
            } else {
                print(text(report))
                if let singleThread {
                    print(String(format: "\n1 thread: %.2f ms/step (%.1f s/epoch); %d threads are %.2f× faster",
                                 singleThread.stepMilliseconds, singleThread.epochSeconds, threads,
                                 singleThread.stepMilliseconds / report.stepMilliseconds))
                }
            }
        }

        func text(_ r: BenchmarkReport) -> String {
            var lines = [String(format: "%@, batch %d, %d threads, %@ images: %.2f ms/step → %.1f s per 50,000-image epoch (extrapolated from %d steps)",
                                r.model, r.batchSize, r.threads, r.realImages ? "real" : "random", r.stepMilliseconds,
                                r.epochSeconds, r.steps)]
            lines.append(String(format: "arithmetic: %.2f TFLOP per epoch → %.0f GFLOP/s overall", r.epochTFLOP,
                                r.epochTFLOP * 1000 / r.epochSeconds))
            lines.append("precision \(r.precision) (\(r.precisionImplementation)); elementwise loops: \(r.elementwiseKernels); "
                         + "matrix products: OpenBLAS \(r.matrixKernels) kernels")
            if !r.fusedLayers.isEmpty {
                lines.append("fused: \(r.fusedLayers.joined(separator: ", ")) run inside the max-pool after each (time in its line)")
            }
            lines.append("")
            lines.append("part          forward ms  backward ms   share   fwd GFLOP/s  bwd GFLOP/s")
            for l in r.layers {
                let share = (l.forwardMilliseconds + l.backwardMilliseconds) / r.stepMilliseconds * 100
                lines.append(l.name.padding(toLength: 12, withPad: " ", startingAt: 0)
                             + String(format: " %11.3f  %11.3f  %5.1f%%  %12.1f  %11.1f", l.forwardMilliseconds,
                                      l.backwardMilliseconds, share, l.forwardGFLOPS, l.backwardGFLOPS))
            }
            if let ips = r.inferenceImagesPerSecond, let p50 = r.latencyP50Milliseconds, let p99 = r.latencyP99Milliseconds {
                lines.append("")
                let on = r.inferenceWeights.map { " (\($0)" + (r.int8Layers.isEmpty ? ")" : "; int8: \(r.int8Layers.joined(separator: ", ")))") } ?? ""
                lines.append(String(format: "inference%@: %.0f images/s at batch %d over the test set; single image p50 %.3f ms, p99 %.3f ms",
                                    on, ips, r.inferenceBatchSize, p50, p99))
                lines.append("single-image forward by layer (ms): " + r.latencyLayers.map {
                    String(format: "%@ %.3f", $0.name, $0.forwardMilliseconds)
                }.joined(separator: ", "))
            }
            lines.append(String(format: "peak resident memory: %.0f MiB", r.peakResidentMiB))
            return lines.joined(separator: "\n")
        }
    }
}
