import ArgumentParser
import Data
import Dispatch
import Foundation
import Models
import NN
import Tensor

extension Fashion {
    /// `fashion bench`: times training steps of a model and breaks the time down per layer.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time training steps (per-layer forward/backward) on random images.")

        @Option(help: "Architecture to time.") var model: String = "seed-cnn"
        @Option(help: "Images per step.") var batchSize: Int = 64
        @Option(help: "Timed steps (after 5 warm-up steps).") var steps: Int = 100
        @Option(help: "Threads (default: all cores).") var threads: Int?

        func run() throws {
            if let threads { Threads.set(threads) }
            let entry = try Models.named(model)
            let net = entry.make(1)
            var generator = SeededGenerator(seed: 7)
            let images = Initializer.uniform(shape: [batchSize] + entry.inputShape, limit: 1, using: &generator)
            let labels = (0..<batchSize).map { $0 % 10 }
            var optimizer = Adam()
            var optimizerSeconds = 0.0
            func step() {
                let logits = net.forward(images, phase: .training)
                let outcome = softmaxCrossEntropy(logits: logits, labels: labels)
                net.zeroGradients()
                _ = net.backward(outcome.gradient, needsInputGradient: false)
                let start = DispatchTime.now().uptimeNanoseconds
                optimizer.update(net.parameters)
                optimizerSeconds += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
            for _ in 0..<5 { step() }
            net.profiling = true
            net.profile = [:]
            optimizerSeconds = 0
            let start = Date()
            for _ in 0..<steps { step() }
            let seconds = Date().timeIntervalSince(start)
            let perStep = seconds / Double(steps)
            print(String(format: "%@: %.2f ms/step at batch %d, %.0f images/s; 50,000-image epoch ≈ %.1f s (extrapolated from %d steps, %d threads)",
                         model, perStep * 1000, batchSize, Double(batchSize) / perStep,
                         perStep * 50_000 / Double(batchSize), steps, Threads.count))
            print("layer        forward ms  backward ms")
            for layer in net.layers {
                let t = net.profile[layer.name] ?? (0, 0)
                print(layer.name.padding(toLength: 12, withPad: " ", startingAt: 0)
                      + String(format: " %10.3f  %11.3f", t.forward * 1000 / Double(steps), t.backward * 1000 / Double(steps)))
            }
            print(String(format: "optimizer    %10.3f", optimizerSeconds * 1000 / Double(steps)))
        }
    }
}
