import Foundation

/// A learning rate that changes over a run, as a pure function of the optimiser step.
///
/// A run has `totalSteps` updates, `stepsPerEpoch` of them per epoch; step s (0-based) is the
/// (s+1)-th update. For `constant`, `step` and `cosine` the run is split in two, as PyTorch's
/// `SequentialLR(schedulers: [warm-up, shape], milestones: [W])` stepped once per update:
///
/// - warm-up: the first W = min(round(warmupEpochs · stepsPerEpoch), totalSteps) steps (rounded
///   to the nearest step, halves away from zero) use peak · (0.01 + 0.99 · s / W), PyTorch's
///   `LinearLR(start_factor: 0.01, total_iters: W)`: from peak/100 up towards peak;
/// - then the shape runs on its own clock, s′ = s − W, over the T = totalSteps − W remaining
///   steps, starting at peak (see `Shape`).
///
/// `oneCycle` ignores `warmupEpochs`: its first phase is its own warm-up.
/// Steps past the end of the run (s ≥ totalSteps) get the rate of the last step.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    /// How the rate moves after the warm-up.
    public enum Shape: Codable, Equatable, Sendable {
        /// The rate stays at peak (after the warm-up this is PyTorch's `LinearLR` holding its end value).
        case constant
        /// peak · gamma^⌊e / everyEpochs⌋ in epoch e = ⌊s′ / stepsPerEpoch⌋: PyTorch's
        /// `StepLR(step_size: everyEpochs, gamma)` stepped once per epoch (without warm-up), or
        /// `StepLR(step_size: everyEpochs · stepsPerEpoch)` stepped per update after a warm-up,
        /// so the epochs are counted from the end of the warm-up.
        case step(everyEpochs: Int, gamma: Float)
        /// minimum + (peak − minimum) · (1 + cos(π · s′ / T)) / 2: PyTorch's
        /// `CosineAnnealingLR(T_max: T, eta_min: minimum)` stepped once per update. The last
        /// update (s′ = T − 1) is one step short of `minimum`, as in PyTorch.
        case cosine(minimum: Float)
        /// PyTorch's `OneCycleLR(max_lr: peak, total_steps: totalSteps, pct_start: warmupFraction,
        /// anneal_strategy: "cos", div_factor, final_div_factor, three_phase: false)`: with
        /// a = warmupFraction · totalSteps − 1, the rate rises by a cosine from peak/divFactor at
        /// step 0 to peak at step a, then falls by a cosine to peak/(divFactor · finalDivFactor)
        /// at step totalSteps − 1. A phase of length 0 or less counts as finished.
        case oneCycle(warmupFraction: Float, divFactor: Float, finalDivFactor: Float)
    }

    /// The shape of the schedule after the warm-up.
    public var shape: Shape
    /// The base (or, for `oneCycle`, maximum) learning rate.
    public var peak: Float
    /// Epochs of linear warm-up from peak/100 to peak before `shape` (ignored by `oneCycle`).
    public var warmupEpochs: Double = 0

    /// A schedule of the given shape around `peak`, after `warmupEpochs` of linear warm-up.
    public init(shape: Shape, peak: Float, warmupEpochs: Double = 0) {
        precondition(warmupEpochs >= 0, "warm-up epochs must not be negative")
        switch shape {
        case .constant: break
        case let .step(everyEpochs, gamma):
            precondition(everyEpochs >= 1 && gamma > 0, "step schedule needs everyEpochs ≥ 1 and gamma > 0")
        case .cosine: break
        case let .oneCycle(warmupFraction, divFactor, finalDivFactor):
            precondition(warmupFraction >= 0 && warmupFraction <= 1 && divFactor > 0 && finalDivFactor > 0,
                         "one-cycle schedule needs warmupFraction in [0, 1] and positive factors")
        }
        self.shape = shape
        self.peak = peak
        self.warmupEpochs = warmupEpochs
    }

    /// The rate for optimiser step `step` (0-based: the rate used by the (step+1)-th update) of a run
    /// of `totalSteps` steps with `stepsPerEpoch` steps per epoch.
    public func rate(step: Int, totalSteps: Int, stepsPerEpoch: Int) -> Float {
        precondition(step >= 0 && totalSteps >= 1 && stepsPerEpoch >= 1,
                     "rate(step: \(step), totalSteps: \(totalSteps), stepsPerEpoch: \(stepsPerEpoch)) is undefined")
        let s = min(step, totalSteps - 1)
        let peak = Double(self.peak)
        if case let .oneCycle(warmupFraction, divFactor, finalDivFactor) = shape {
            return Float(Self.oneCycle(step: s, totalSteps: totalSteps, peak: peak, warmupFraction: Double(warmupFraction),
                                       divFactor: Double(divFactor), finalDivFactor: Double(finalDivFactor)))
        }
        let warmupSteps = min(Int((warmupEpochs * Double(stepsPerEpoch)).rounded()), totalSteps)
        if s < warmupSteps {
            return Float(peak * (0.01 + 0.99 * Double(s) / Double(warmupSteps)))
        }
        let t = s - warmupSteps  // the shape's own step s′
        switch shape {
        case .constant, .oneCycle:
            return Float(peak)
        case let .step(everyEpochs, gamma):
            let decays = t / stepsPerEpoch / everyEpochs
            return Float(peak * pow(Double(gamma), Double(decays)))
        case let .cosine(minimum):
            let length = Double(totalSteps - warmupSteps)
            let minimum = Double(minimum)
            return Float(minimum + (peak - minimum) * (1 + cos(Double.pi * Double(t) / length)) / 2)
        }
    }

    /// The one-cycle rate at step `s`, following PyTorch's two phases (see `Shape.oneCycle`).
    private static func oneCycle(step s: Int, totalSteps: Int, peak: Double, warmupFraction: Double,
                                 divFactor: Double, finalDivFactor: Double) -> Double {
        let initial = peak / divFactor
        let minimum = initial / finalDivFactor
        let peakStep = warmupFraction * Double(totalSteps) - 1
        let lastStep = Double(totalSteps - 1)
        // Cosine from `start` (fraction 0) to `end` (fraction 1).
        func anneal(_ start: Double, _ end: Double, from first: Double, to last: Double) -> Double {
            let fraction = last > first ? (Double(s) - first) / (last - first) : 1
            return end + (start - end) / 2 * (cos(Double.pi * fraction) + 1)
        }
        if Double(s) <= peakStep {
            return anneal(initial, peak, from: 0, to: peakStep)
        }
        return anneal(peak, minimum, from: peakStep, to: lastStep)
    }
}
