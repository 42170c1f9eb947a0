import Tensor

/// Whether a pass is part of training (dropout active, caches kept) or inference.
public enum Phase: Sendable {
    case training, inference
}

/// A trainable tensor with its accumulated gradient.
///
/// Parameters are reference objects so that a layer, the optimiser and a
/// checkpoint can all address the same storage by name; only the optimiser
/// (or a checkpoint load) changes `value`.
public final class Parameter {
    /// The current weights.
    public var value: Tensor
    /// dLoss/dValue accumulated by backward passes since the last `zeroGradient()`.
    public var gradient: Tensor
    /// Multiplies the optimiser's learning rate for this parameter: 1 normally, lower for layers
    /// loaded for fine-tuning, 0 for a frozen one (never updated, no optimiser state).
    public var learningRateScale: Float = 1

    /// A parameter initialised to `value`, with a zero gradient.
    public init(_ value: Tensor) {
        self.value = value
        gradient = Tensor.zeros(value.shape)
    }

    /// Clears the accumulated gradient.
    public func zeroGradient() { gradient.zero() }
}

/// A parameter (or non-trainable buffer) and its PyTorch-style dotted name, e.g. `conv_1.weight`.
public typealias NamedParameter = (name: String, parameter: Parameter)

/// A building block with an explicit forward pass and its hand-written backward pass.
///
/// `forward` in the training phase remembers what `backward` needs; `backward`
/// takes dLoss/dOutput, adds this layer's parameter gradients into
/// `Parameter.gradient` and returns dLoss/dInput.
public protocol Layer: AnyObject {
    /// Computes the output for `input`.
    func forward(_ input: consuming Tensor, phase: Phase) -> Tensor
    /// Backpropagates `gradient` (dLoss/dOutput of the last training forward pass).
    /// When `needsInputGradient` is false the layer may skip dLoss/dInput and return `Tensor.empty`.
    func backward(_ gradient: consuming Tensor, needsInputGradient: Bool) -> Tensor
    /// The output shape for an input of shape `inputShape` (batch dimension included).
    func outputShape(for inputShape: [Int]) -> [Int]
    /// Trainable parameters, named relative to this layer (`weight`, `bias`, `conv1.weight`…).
    var parameters: [NamedParameter] { get }
    /// Non-trainable state saved in checkpoints (e.g. running statistics).
    var buffers: [NamedParameter] { get }
    /// A short type name for summaries, such as `Conv2D`.
    var typeName: String { get }
    /// Restarts any random sequence the layer draws from (dropout masks) at `seed`.
    func reseed(_ seed: UInt64)
}

extension Layer {
    public var parameters: [NamedParameter] { [] }
    public var buffers: [NamedParameter] { [] }
    public var typeName: String { String(describing: type(of: self)) }
    public func reseed(_ seed: UInt64) {}

    /// Inference: `model(x)` runs the forward pass without training behaviour.
    public func callAsFunction(_ input: Tensor) -> Tensor { forward(input, phase: .inference) }

    /// The number of trainable scalars.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.parameter.value.count } }

    /// Clears every parameter's gradient.
    public func zeroGradients() { parameters.forEach { $0.parameter.zeroGradient() } }
}
