import Foundation
import Kernels
import Tensor

/// Updates parameters from their accumulated gradients; its state is keyed by parameter name
/// so it can be saved in a checkpoint and restored to resume training.
public protocol Optimizer {
    /// A name recorded in checkpoints, such as `adam`.
    var name: String { get }
    /// The number of updates applied so far.
    var step: Int { get }
    /// The learning rate used by the next update.
    var learningRate: Float { get set }
    /// Applies one update to every parameter from its `gradient`, at the learning rate times the
    /// parameter's `learningRateScale` (skipping those whose scale is 0).
    mutating func update(_ parameters: [NamedParameter])
    /// Per-parameter state tensors, named `<parameter>.<slot>` (e.g. `fc_1.weight.exp_avg`).
    var state: [String: Tensor] { get }
    /// Restores `state` and `step` saved from an optimiser of the same kind.
    mutating func restore(state: [String: Tensor], step: Int) throws
}

/// An optimiser state that does not fit the parameters it is restored for.
public struct OptimizerStateError: Error, CustomStringConvertible {
    /// What is wrong.
    public var description: String
}

/// Adam (Kingma & Ba, 2015) with PyTorch's update rule; defaults are Keras's
/// (lr 1e-3, β1 0.9, β2 0.999, ε 1e-7).
public struct Adam: Optimizer {
    public let name = "adam"
    public var learningRate: Float
    /// Decay of the first-moment (mean) estimate.
    public let beta1: Float
    /// Decay of the second-moment (uncentred variance) estimate.
    public let beta2: Float
    /// Added to the denominator for numerical stability.
    public let epsilon: Float
    /// AdamW's decoupled weight decay (0 for plain Adam); see `AdamW`.
    let decoupledWeightDecay: Float
    public private(set) var step = 0
    private var firstMoments: [String: Tensor] = [:]
    private var secondMoments: [String: Tensor] = [:]

    /// An Adam optimiser.
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7) {
        self.init(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon, decoupledWeightDecay: 0)
    }

    /// An Adam optimiser that also shrinks every parameter by lr·decay before each step (AdamW).
    init(learningRate: Float, beta1: Float, beta2: Float, epsilon: Float, decoupledWeightDecay: Float) {
        precondition(decoupledWeightDecay >= 0, "weight decay must not be negative")
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.decoupledWeightDecay = decoupledWeightDecay
    }

    public mutating func update(_ parameters: [NamedParameter]) {
        step += 1
        let correction1 = 1 - Float(pow(Double(beta1), Double(step)))
        let correction2 = 1 - Float(pow(Double(beta2), Double(step)))
        for (name, parameter) in parameters where parameter.learningRateScale > 0 {
            var m = firstMoments.removeValue(forKey: name) ?? Tensor.zeros(parameter.value.shape)
            var v = secondMoments.removeValue(forKey: name) ?? Tensor.zeros(parameter.value.shape)
            parameter.value.scalars.withUnsafeMutableBufferPointer { p in
                parameter.gradient.scalars.withUnsafeBufferPointer { g in
                    m.scalars.withUnsafeMutableBufferPointer { mp in
                        v.scalars.withUnsafeMutableBufferPointer { vp in
                            adamUpdate(parameter: p.baseAddress!, gradient: g.baseAddress!,
                                       firstMoment: mp.baseAddress!, secondMoment: vp.baseAddress!,
                                       count: p.count, learningRate: learningRate * parameter.learningRateScale, beta1: beta1, beta2: beta2,
                                       epsilon: epsilon, correction1: correction1, correction2: correction2,
                                       weightDecay: decoupledWeightDecay)
                        }
                    }
                }
            }
            firstMoments[name] = m
            secondMoments[name] = v
        }
    }

    public var state: [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (name, m) in firstMoments { state["\(name).exp_avg"] = m }
        for (name, v) in secondMoments { state["\(name).exp_avg_sq"] = v }
        return state
    }

    public mutating func restore(state: [String: Tensor], step: Int) throws {
        var first: [String: Tensor] = [:], second: [String: Tensor] = [:]
        for (key, tensor) in state {
            if key.hasSuffix(".exp_avg") { first[String(key.dropLast(".exp_avg".count))] = tensor }
            else if key.hasSuffix(".exp_avg_sq") { second[String(key.dropLast(".exp_avg_sq".count))] = tensor }
            else { throw OptimizerStateError(description: "unexpected Adam state tensor '\(key)'") }
        }
        guard Set(first.keys) == Set(second.keys) else {
            throw OptimizerStateError(description: "Adam state has unpaired moments")
        }
        firstMoments = first
        secondMoments = second
        self.step = step
    }
}

/// AdamW (Loshchilov & Hutter, 2019) with PyTorch's update rule (`torch.optim.AdamW`): each
/// parameter first decays, p ← p − lr·wd·p, then takes the Adam step (defaults are PyTorch's).
/// Its state and checkpoints are Adam's (`exp_avg`, `exp_avg_sq`).
public struct AdamW: Optimizer {
    public let name = "adamw"
    /// The Adam optimiser that does the work, with the decay switched on.
    private var adam: Adam

    /// An AdamW optimiser.
    public init(learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8,
                weightDecay: Float = 1e-2) {
        adam = Adam(learningRate: learningRate, beta1: beta1, beta2: beta2, epsilon: epsilon,
                    decoupledWeightDecay: weightDecay)
    }

    public var learningRate: Float {
        get { adam.learningRate }
        set { adam.learningRate = newValue }
    }
    /// Decay of the first-moment (mean) estimate.
    public var beta1: Float { adam.beta1 }
    /// Decay of the second-moment (uncentred variance) estimate.
    public var beta2: Float { adam.beta2 }
    /// Added to the denominator for numerical stability.
    public var epsilon: Float { adam.epsilon }
    /// Decoupled weight decay wd: every update first multiplies each parameter by 1 − lr·wd.
    public var weightDecay: Float { adam.decoupledWeightDecay }
    public var step: Int { adam.step }

    public mutating func update(_ parameters: [NamedParameter]) { adam.update(parameters) }

    public var state: [String: Tensor] { adam.state }

    public mutating func restore(state: [String: Tensor], step: Int) throws {
        try adam.restore(state: state, step: step)
    }
}

/// Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay, in
/// PyTorch's form (`torch.optim.SGD` with dampening 0).
public struct SGD: Optimizer {
    public let name = "sgd"
    public var learningRate: Float
    /// Momentum factor μ (0 disables the velocity buffer).
    public let momentum: Float
    /// Nesterov momentum: step along g + μ·b instead of b (needs μ > 0).
    public let nesterov: Bool
    /// L2 penalty wd: wd·p is added to each gradient before the momentum update.
    public let weightDecay: Float
    public private(set) var step = 0
    private var velocities: [String: Tensor] = [:]

    /// An SGD optimiser.
    public init(learningRate: Float = 0.01, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        precondition(momentum >= 0 && momentum < 1, "momentum must be in [0, 1)")
        precondition(!nesterov || momentum > 0, "Nesterov momentum needs a momentum above 0")
        precondition(weightDecay >= 0, "weight decay must not be negative")
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.weightDecay = weightDecay
    }

    public mutating func update(_ parameters: [NamedParameter]) {
        step += 1
        for (name, parameter) in parameters where parameter.learningRateScale > 0 {
            let firstStep = velocities[name] == nil
            var velocity = momentum > 0 ? (velocities.removeValue(forKey: name) ?? Tensor.zeros(parameter.value.shape)) : Tensor.empty
            parameter.value.scalars.withUnsafeMutableBufferPointer { p in
                parameter.gradient.scalars.withUnsafeBufferPointer { g in
                    velocity.scalars.withUnsafeMutableBufferPointer { b in
                        sgdUpdate(parameter: p.baseAddress!, gradient: g.baseAddress!,
                                  momentumBuffer: momentum > 0 ? b.baseAddress! : nil, count: p.count,
                                  learningRate: learningRate * parameter.learningRateScale, momentum: momentum, firstStep: firstStep,
                                  weightDecay: weightDecay, nesterov: nesterov)
                    }
                }
            }
            if momentum > 0 { velocities[name] = velocity }
        }
    }

    public var state: [String: Tensor] {
        var state: [String: Tensor] = [:]
        for (name, b) in velocities { state["\(name).momentum_buffer"] = b }
        return state
    }

    public mutating func restore(state: [String: Tensor], step: Int) throws {
        var velocities: [String: Tensor] = [:]
        for (key, tensor) in state {
            guard key.hasSuffix(".momentum_buffer") else {
                throw OptimizerStateError(description: "unexpected SGD state tensor '\(key)'")
            }
            velocities[String(key.dropLast(".momentum_buffer".count))] = tensor
        }
        self.velocities = velocities
        self.step = step
    }
}
