import NN
import Tensor
import TestSupport
import XCTest

/// AdamW, SGD with Nesterov momentum and weight decay, label smoothing, gradient clipping and
/// learning-rate schedules against PyTorch (fixtures from scripts/make_fixtures_training.py).
final class TrainingToolsTests: XCTestCase {
    var fixture = TorchFixture.empty

    override func setUpWithError() throws { fixture = try TorchFixture("torch_training.safetensors") }

    func t(_ name: String) -> Tensor { fixture[name] }

    func assertClose(_ a: Tensor, _ name: String, file: StaticString = #filePath, line: UInt = #line) {
        let b = t(name)
        XCTAssertTrue(TestSupport.allClose(a, b, atol: 1e-5, rtol: 1e-5),
                      "\(name): max difference \(TestSupport.maxDifference(a, b))", file: file, line: line)
    }

    // MARK: Optimisers

    /// Three updates of a [3, 4] parameter, compared with PyTorch after each.
    func checkOptimizer(_ prefix: String, _ optimizer: inout some Optimizer,
                        file: StaticString = #filePath, line: UInt = #line) -> Parameter {
        let p = Parameter(t("\(prefix).p0"))
        for i in 1...3 {
            p.gradient = t("\(prefix).g\(i)")
            optimizer.update([("p", p)])
            assertClose(p.value, "\(prefix).p\(i)", file: file, line: line)
        }
        XCTAssertEqual(optimizer.step, 3, file: file, line: line)
        return p
    }

    func testAdamW() {
        var adamw = AdamW(learningRate: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1)
        XCTAssertEqual(adamw.name, "adamw")
        _ = checkOptimizer("adamw", &adamw)
        XCTAssertEqual(Set(adamw.state.keys), ["p.exp_avg", "p.exp_avg_sq"])
        assertClose(adamw.state["p.exp_avg"]!, "adamw.exp_avg")
        assertClose(adamw.state["p.exp_avg_sq"]!, "adamw.exp_avg_sq")
    }

    func testAdamWDefaultsArePyTorchs() {
        let adamw = AdamW()
        XCTAssertEqual([adamw.learningRate, adamw.beta1, adamw.beta2, adamw.epsilon, adamw.weightDecay],
                       [1e-3, 0.9, 0.999, 1e-8, 1e-2])
    }

    func testAdamWWithoutDecayIsAdam() {
        var adamw = AdamW(learningRate: 0.1, weightDecay: 0)
        var adam = Adam(learningRate: 0.1, epsilon: 1e-8)
        let p = Parameter(t("adamw.p0")), q = Parameter(t("adamw.p0"))
        for i in 1...3 {
            p.gradient = t("adamw.g\(i)")
            q.gradient = t("adamw.g\(i)")
            adamw.update([("p", p)])
            adam.update([("p", q)])
        }
        XCTAssertEqual(p.value, q.value)
    }

    /// Restoring the saved state and step into a fresh AdamW continues exactly like the original.
    func testAdamWSaveRestoreRoundTrip() throws {
        var original = AdamW(learningRate: 0.1, weightDecay: 0.1)
        let p = Parameter(t("adamw.p0"))
        for i in 1...2 {
            p.gradient = t("adamw.g\(i)")
            original.update([("p", p)])
        }
        var restored = AdamW(learningRate: 0.1, weightDecay: 0.1)
        try restored.restore(state: original.state, step: original.step)
        XCTAssertEqual(restored.step, 2)
        XCTAssertEqual(restored.state, original.state)

        let q = Parameter(p.value)
        p.gradient = t("adamw.g3")
        q.gradient = t("adamw.g3")
        original.update([("p", p)])
        restored.update([("p", q)])
        XCTAssertEqual(q.value, p.value)
        assertClose(q.value, "adamw.p3")

        var other = AdamW()
        XCTAssertThrowsError(try other.restore(state: ["p.momentum_buffer": p.value], step: 1))
        XCTAssertThrowsError(try other.restore(state: ["p.exp_avg": p.value], step: 1), "unpaired moments")
    }

    func testSGDNesterovWithWeightDecay() {
        var sgd = SGD(learningRate: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4)
        _ = checkOptimizer("sgd_nesterov", &sgd)
    }

    func testSGDWithLargeWeightDecay() {
        var sgd = SGD(learningRate: 0.1, momentum: 0.9, weightDecay: 0.05)
        _ = checkOptimizer("sgd_decay", &sgd)
        XCTAssertEqual(Set(sgd.state.keys), ["p.momentum_buffer"])
    }

    // MARK: Label smoothing

    func testLabelSmoothedCrossEntropy() {
        let labels = t("xent_smooth.labels").scalars.map { Int($0) }
        let logits = t("xent_smooth.logits")
        let result = softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: 0.1)
        let expected = t("xent_smooth.loss").scalars[0]
        XCTAssertEqual(result.loss, expected, accuracy: 1e-6 * abs(expected))
        assertClose(result.gradient, "xent_smooth.dlogits")
        let hits = (0..<labels.count).filter { row in
            argmax(logits.scalars[row * 10 ..< (row + 1) * 10]) == labels[row]
        }.count
        XCTAssertEqual(result.correct, hits)
    }

    func testLabelSmoothingGradientByFiniteDifferences() {
        var g = SeededGenerator(seed: 21)
        let logits = Initializer.uniform(shape: [3, 5], limit: 3, using: &g)
        let labels = [1, 4, 0]
        let h: Float = 1e-2
        let analytic = softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: 0.2).gradient
        for i in 0..<logits.count {
            var plus = logits, minus = logits
            plus.scalars[i] += h
            minus.scalars[i] -= h
            let estimate = (softmaxCrossEntropy(logits: plus, labels: labels, labelSmoothing: 0.2).loss
                - softmaxCrossEntropy(logits: minus, labels: labels, labelSmoothing: 0.2).loss) / (2 * h)
            XCTAssertEqual(analytic.scalars[i], estimate, accuracy: 1e-3, "dlogits[\(i)]")
        }
    }

    /// Class weights: the loss is Σ w_label · loss_row / Σ w_label (PyTorch's `weight=`), with a
    /// gradient that agrees with finite differences; equal weights change nothing.
    func testClassWeightedCrossEntropy() {
        var g = SeededGenerator(seed: 22)
        let logits = Initializer.uniform(shape: [4, 3], limit: 2, using: &g)
        let labels = [0, 2, 2, 1], weights: [Float] = [2, 0.5, 1]
        let rows = (0 ..< 4).map { softmaxCrossEntropy(logits: logits.slice($0 ..< $0 + 1), labels: [labels[$0]]).loss }
        let expected = zip(rows, labels).map { $0 * weights[$1] }.reduce(0, +) / labels.map { weights[$0] }.reduce(0, +)
        let weighted = softmaxCrossEntropy(logits: logits, labels: labels, labelSmoothing: 0.1, classWeights: weights)
        let smoothedRows = (0 ..< 4).map { softmaxCrossEntropy(logits: logits.slice($0 ..< $0 + 1), labels: [labels[$0]], labelSmoothing: 0.1).loss }
        let smoothedExpected = zip(smoothedRows, labels).map { $0 * weights[$1] }.reduce(0, +) / labels.map { weights[$0] }.reduce(0, +)
        XCTAssertEqual(weighted.loss, smoothedExpected, accuracy: 1e-5)
        XCTAssertEqual(softmaxCrossEntropy(logits: logits, labels: labels, classWeights: weights).loss, expected, accuracy: 1e-5)
        let h: Float = 1e-2
        for i in 0 ..< logits.count {
            var plus = logits, minus = logits
            plus.scalars[i] += h
            minus.scalars[i] -= h
            let estimate = (softmaxCrossEntropy(logits: plus, labels: labels, classWeights: weights).loss
                - softmaxCrossEntropy(logits: minus, labels: labels, classWeights: weights).loss) / (2 * h)
            XCTAssertEqual(softmaxCrossEntropy(logits: logits, labels: labels, classWeights: weights).gradient.scalars[i], estimate,
                           accuracy: 1e-3, "dlogits[\(i)]")
        }
        let plain = softmaxCrossEntropy(logits: logits, labels: labels)
        let equal = softmaxCrossEntropy(logits: logits, labels: labels, classWeights: [3, 3, 3])
        XCTAssertEqual(plain.loss, equal.loss, accuracy: 1e-6)
        XCTAssertTrue(TestSupport.allClose(plain.gradient, equal.gradient, atol: 1e-7))
    }

    /// With ε = 1 the target is uniform, so the loss is mean_k(−log p_k) whatever the label.
    func testFullSmoothingIgnoresTheLabel() {
        let logits = t("xent_smooth.logits").slice(0..<2)
        let a = softmaxCrossEntropy(logits: logits, labels: [0, 1], labelSmoothing: 1)
        let b = softmaxCrossEntropy(logits: logits, labels: [5, 9], labelSmoothing: 1)
        XCTAssertEqual(a.loss, b.loss)
        XCTAssertEqual(a.gradient, b.gradient)
    }

    // MARK: Gradient clipping

    func checkClip(_ prefix: String, file: StaticString = #filePath, line: UInt = #line) {
        let parameters: [NamedParameter] = (0..<3).map { i in
            let p = Parameter(Tensor.zeros(t("\(prefix).g\(i)").shape))
            p.gradient = t("\(prefix).g\(i)")
            return ("p\(i)", p)
        }
        let norm = clipGradientNorm(parameters, maxNorm: t("\(prefix).max_norm").scalars[0])
        let expected = t("\(prefix).norm").scalars[0]
        XCTAssertEqual(norm, expected, accuracy: 1e-6 * expected, file: file, line: line)
        for (i, (_, p)) in parameters.enumerated() {
            assertClose(p.gradient, "\(prefix).clipped\(i)", file: file, line: line)
        }
    }

    func testClipGradientNormBelowMaximumLeavesGradients() {
        checkClip("clip_below")
        XCTAssertEqual(t("clip_below.g0"), t("clip_below.clipped0"))
    }

    func testClipGradientNormAboveMaximumRescales() {
        checkClip("clip_above")
        XCTAssertNotEqual(t("clip_above.g0"), t("clip_above.clipped0"))
    }

    // MARK: Learning-rate schedules

    /// The rates of a 5-epoch × 7-step run, each within 1e-6 (relative) of PyTorch's.
    func checkSchedule(_ schedule: LearningRateSchedule, _ name: String,
                       file: StaticString = #filePath, line: UInt = #line) {
        let expected = t("lr.\(name)").scalars
        XCTAssertEqual(expected.count, 35, file: file, line: line)
        for (step, torchRate) in expected.enumerated() {
            let rate = schedule.rate(step: step, totalSteps: 35, stepsPerEpoch: 7)
            XCTAssertEqual(rate, torchRate, accuracy: 1e-6 * abs(torchRate),
                           "\(name) step \(step)", file: file, line: line)
        }
    }

    func testStepSchedule() {
        checkSchedule(LearningRateSchedule(shape: .step(everyEpochs: 2, gamma: 0.3), peak: 0.1), "step")
    }

    func testCosineSchedule() {
        checkSchedule(LearningRateSchedule(shape: .cosine(minimum: 1e-3), peak: 0.1), "cosine")
    }

    func testOneCycleSchedule() {
        let shape = LearningRateSchedule.Shape.oneCycle(warmupFraction: 0.3, divFactor: 25, finalDivFactor: 1e4)
        checkSchedule(LearningRateSchedule(shape: shape, peak: 0.1), "onecycle")
        // oneCycle has its own warm-up and ignores warmupEpochs.
        checkSchedule(LearningRateSchedule(shape: shape, peak: 0.1, warmupEpochs: 2), "onecycle")
    }

    func testWarmupThenCosineSchedule() {
        checkSchedule(LearningRateSchedule(shape: .cosine(minimum: 1e-3), peak: 0.1, warmupEpochs: 1), "warmup_cosine")
    }

    func testWarmupThenStepSchedule() {
        checkSchedule(LearningRateSchedule(shape: .step(everyEpochs: 1, gamma: 0.5), peak: 0.1, warmupEpochs: 2),
                      "warmup_step")
    }

    func testWarmupThenConstantSchedule() {
        checkSchedule(LearningRateSchedule(shape: .constant, peak: 0.1, warmupEpochs: 3), "warmup_constant")
    }

    func testConstantScheduleAndStepsPastTheEnd() {
        let constant = LearningRateSchedule(shape: .constant, peak: 0.01)
        XCTAssertEqual((0..<20).map { constant.rate(step: $0, totalSteps: 20, stepsPerEpoch: 4) },
                       Array(repeating: 0.01, count: 20))
        let cosine = LearningRateSchedule(shape: .cosine(minimum: 0), peak: 1)
        XCTAssertEqual(cosine.rate(step: 50, totalSteps: 10, stepsPerEpoch: 5),
                       cosine.rate(step: 9, totalSteps: 10, stepsPerEpoch: 5))
        // Half an epoch of 5 steps rounds to 3 warm-up steps: 0.01, 0.34, 0.67, then the peak.
        let warm = LearningRateSchedule(shape: .constant, peak: 1, warmupEpochs: 0.5)
        assertAllClose((0..<4).map { warm.rate(step: $0, totalSteps: 10, stepsPerEpoch: 5) },
                       [0.01, 0.34, 0.67, 1], accuracy: 1e-6)
    }

    func testScheduleIsCodable() throws {
        let schedules = [
            LearningRateSchedule(shape: .constant, peak: 0.1),
            LearningRateSchedule(shape: .step(everyEpochs: 3, gamma: 0.1), peak: 0.1, warmupEpochs: 0.5),
            LearningRateSchedule(shape: .cosine(minimum: 1e-5), peak: 1e-3, warmupEpochs: 2),
            LearningRateSchedule(shape: .oneCycle(warmupFraction: 0.3, divFactor: 25, finalDivFactor: 1e4), peak: 0.01),
        ]
        let decoded = try JSONDecoder().decode([LearningRateSchedule].self, from: JSONEncoder().encode(schedules))
        XCTAssertEqual(decoded, schedules)
    }
}

/// Element-wise `XCTAssertEqual(_:_:accuracy:)` for arrays of equal length.
private func assertAllClose(_ a: [Float], _ b: [Float], accuracy: Float,
                            file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "lengths", file: file, line: line)
    for (i, (x, y)) in zip(a, b).enumerated() {
        XCTAssertEqual(x, y, accuracy: accuracy, "[\(i)]", file: file, line: line)
    }
}
