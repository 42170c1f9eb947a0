import Kernels
import Tensor

/// Batch normalisation over the channels of NCHW input, as PyTorch's `BatchNorm2d`:
/// y = (x − mean) / √(variance + ε) · weight + bias, per channel.
///
/// In training the mean and (biased) variance are those of the batch over (N, H, W), and the
/// running statistics move towards them: running = (1 − momentum)·running + momentum·batch,
/// with the unbiased batch variance for `running_var`. At inference the running statistics
/// are used. PyTorch's `num_batches_tracked` counter is left out: checkpoints hold F32
/// tensors only, and it matters only for `momentum = None` (a cumulative average).
public final class BatchNorm2D: Layer {
    /// Scale γ per channel [C], initially ones.
    public let weight: Parameter
    /// Shift β per channel [C], initially zeros.
    public let bias: Parameter
    /// Running mean per channel [C] (a buffer, not trained), initially zeros.
    public let runningMean: Parameter
    /// Running unbiased variance per channel [C] (a buffer, not trained), initially ones.
    public let runningVariance: Parameter
    /// The number of channels (C).
    public let channels: Int
    /// Weight of the newest batch in the running statistics.
    public let momentum: Float
    /// Added to the variance before the square root.
    public let epsilon: Float

    /// The input of the last training forward pass and its batch statistics, for backward.
    private var input: Tensor?
    private var batchMean: [Float] = []
    private var batchVariance: [Float] = []

    /// Batch norm over `channels` channels, with PyTorch's defaults.
    public init(channels: Int, momentum: Float = 0.1, epsilon: Float = 1e-5) {
        precondition(channels > 0, "BatchNorm2D needs at least one channel")
        precondition(momentum >= 0 && momentum <= 1, "BatchNorm2D momentum must be in [0, 1]")
        precondition(epsilon >= 0, "BatchNorm2D epsilon must not be negative")
        self.channels = channels
        self.momentum = momentum
        self.epsilon = epsilon
        weight = Parameter(Tensor(shape: [channels], repeating: 1))
        bias = Parameter(Tensor.zeros([channels]))
        runningMean = Parameter(Tensor.zeros([channels]))
        runningVariance = Parameter(Tensor(shape: [channels], repeating: 1))
    }

    public var parameters: [NamedParameter] { [("weight", weight), ("bias", bias)] }

    public var buffers: [NamedParameter] { [("running_mean", runningMean), ("running_var", runningVariance)] }

    public func outputShape(for inputShape: [Int]) -> [Int] {
        precondition(inputShape.count == 4 && inputShape[1] == channels,
                     "BatchNorm2D expects [N, \(channels), H, W], got \(inputShape)")
        return inputShape
    }

    // x: [N, C, H, W] → y: [N, C, H, W]
    // (The kernels get the arrays' storage through Swift's array-to-pointer argument conversion.)
    public func forward(_ x: consuming Tensor, phase: Phase) -> Tensor {
        let shape = outputShape(for: x.shape)
        let (batch, plane) = (shape[0], shape[2] * shape[3])
        var y = Tensor.uninitialized(shape)  // every element is written
        guard phase == .training else {
            batchNormForwardInference(x.scalars, batch: batch, channels: channels, plane: plane,
                                      weight: weight.value.scalars, bias: bias.value.scalars,
                                      mean: runningMean.value.scalars, variance: runningVariance.value.scalars,
                                      epsilon: epsilon, into: &y.scalars)
            return y
        }
        let count = batch * plane
        precondition(count > 1, "BatchNorm2D needs more than one value per channel in training, got \(shape)")
        if batchMean.count != channels {
            batchMean = [Float](repeating: 0, count: channels)
            batchVariance = [Float](repeating: 0, count: channels)
        }
        batchNormForwardTraining(x.scalars, batch: batch, channels: channels, plane: plane,
                                 weight: weight.value.scalars, bias: bias.value.scalars, epsilon: epsilon,
                                 into: &y.scalars, mean: &batchMean, variance: &batchVariance)
        let unbiased = Float(count) / Float(count - 1)
        for c in 0..<channels {
            runningMean.value.scalars[c] = (1 - momentum) * runningMean.value.scalars[c] + momentum * batchMean[c]
            runningVariance.value.scalars[c] = (1 - momentum) * runningVariance.value.scalars[c]
                + momentum * batchVariance[c] * unbiased
        }
        input = x
        return y
    }

    // dy: [N, C, H, W] → dx: [N, C, H, W]; accumulates dweight and dbias.
    public func backward(_ dy: consuming Tensor, needsInputGradient: Bool) -> Tensor {
        guard let x = input else { preconditionFailure("BatchNorm2D.backward without a training forward pass") }
        precondition(dy.shape == x.shape,
                     "BatchNorm2D.backward: gradient shape \(dy.shape) does not match the input \(x.shape)")
        var dx = dy  // overwritten in place with the input gradient
        batchNormBackward(&dx.scalars, x: x.scalars, batch: x.shape[0], channels: channels,
                          plane: x.shape[2] * x.shape[3], weight: weight.value.scalars,
                          mean: batchMean, variance: batchVariance, epsilon: epsilon,
                          weightGradient: &weight.gradient.scalars, biasGradient: &bias.gradient.scalars,
                          inputGradient: needsInputGradient)
        return needsInputGradient ? dx : Tensor.empty
    }
}
