import Dispatch
import Tensor

/// A chain of named layers applied in order; parameter names are `layerName.parameterName`.
public final class Sequential: Layer {
    /// The layers and their names, in the order data flows through them.
    public let layers: [(name: String, layer: any Layer)]

    /// The positions of ReLUs directly followed by a max-pool. Each such pair runs as one rectifying
    /// max-pool: max-pooling commutes with ReLU, so the outputs and gradients are the same, and the
    /// ReLU's passes over the (four times larger) input disappear.
    private let rectifiedPools: Set<Int>

    /// A chain of layers; names must be unique (they prefix checkpoint keys).
    public init(_ layers: [(String, any Layer)]) {
        precondition(Set(layers.map(\.0)).count == layers.count, "layer names must be unique")
        let chain = layers.map { (name: $0.0, layer: $0.1) }
        self.layers = chain
        rectifiedPools = Set(chain.indices.dropLast().filter { chain[$0].layer is ReLU && chain[$0 + 1].layer is MaxPool2D })
    }

    /// The names of ReLUs run inside the max-pool that follows them (their time is the pool's).
    public var fusedLayerNames: [String] { rectifiedPools.sorted().map { layers[$0].name } }

    public var parameters: [NamedParameter] {
        layers.flatMap { entry in entry.layer.parameters.map { ("\(entry.name).\($0.name)", $0.parameter) } }
    }

    public var buffers: [NamedParameter] {
        layers.flatMap { entry in entry.layer.buffers.map { ("\(entry.name).\($0.name)", $0.parameter) } }
    }

    /// Reseeds each layer with a seed derived from `seed` and its position.
    public func reseed(_ seed: UInt64) {
        for (index, entry) in layers.enumerated() { entry.layer.reseed(seed &* 31 &+ UInt64(index)) }
    }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        layers.reduce(inputShape) { $1.layer.outputShape(for: $0) }
    }

    /// The model cut after the layer at `path` (dotted names into nested chains, e.g. `classifier.1`):
    /// `head` runs the layers up to and including it, `tail` the rest, so `tail(head(x))` equals
    /// `self(x)`. Both share this model's layer objects. Nil when there is no such layer.
    public func split(after path: String) -> (head: Sequential, tail: Sequential)? {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        guard let position = layers.firstIndex(where: { $0.name == parts.first }) else { return nil }
        var head = layers[..<position].map { ($0.name, $0.layer) }
        var tail = layers[(position + 1)...].map { ($0.name, $0.layer) }
        let entry = layers[position]
        if parts.count == 2 {
            guard let inner = (entry.layer as? Sequential)?.split(after: parts[1]) else { return nil }
            head.append((entry.name, inner.head))
            if !inner.tail.layers.isEmpty { tail.insert((entry.name, inner.tail), at: 0) }
        } else {
            head.append((entry.name, entry.layer))
        }
        return (Sequential(head), Sequential(tail))
    }

    /// Seconds spent per layer (forward, backward), accumulated while `profiling` is on.
    public var profile: [String: (forward: Double, backward: Double)] = [:]
    /// Record per-layer times in `profile`.
    public var profiling = false

    public func forward(_ input: consuming Tensor, phase: Phase) -> Tensor {
        var x = input
        // In inference a convolution, its ReLU and a 2×2 max-pool run as one step (the pool reads the
        // convolution's output where its kernel wrote it; the three layers' time is the convolution's).
        var pooledAlready = -1  // the max-pool the convolution before has just run
        for (index, entry) in layers.enumerated() where !rectifiedPools.contains(index) && index != pooledAlready {
            let start = profiling ? DispatchTime.now().uptimeNanoseconds : 0
            if phase == .inference, let conv = entry.layer as? Conv2D, rectifiedPools.contains(index + 1),
               let pool = layers[index + 2].layer as? MaxPool2D, let y = conv.inferencePooled(x, by: pool) {
                x = y
                pooledAlready = index + 2
            } else if index > 0, rectifiedPools.contains(index - 1), let pool = entry.layer as? MaxPool2D {
                x = pool.forward(consume x, phase: phase, rectifying: true)
            } else {
                x = entry.layer.forward(consume x, phase: phase)
            }
            if profiling {
                profile[entry.name, default: (0, 0)].forward += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
        }
        return x
    }

    /// Backpropagates through the layers in reverse; the first layer skips its input gradient
    /// unless `needsInputGradient`.
    public func backward(_ gradient: consuming Tensor, needsInputGradient: Bool) -> Tensor {
        var g = gradient
        for (index, entry) in layers.enumerated().reversed() where !rectifiedPools.contains(index) {
            let start = profiling ? DispatchTime.now().uptimeNanoseconds : 0
            // A rectifying pool's backward is also its ReLU's (the ReLU at index − 1 is skipped).
            let first = rectifiedPools.contains(index - 1) ? index - 1 : index
            g = entry.layer.backward(consume g, needsInputGradient: first > 0 || needsInputGradient)
            if profiling {
                profile[entry.name, default: (0, 0)].backward += Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
        }
        return g
    }
}
