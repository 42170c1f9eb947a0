@testable import Inference
import Tensor
import XCTest

/// Temperature scaling finds the temperature that generated the labels, and the calibration error
/// measures what it should.
final class CalibrationTests: XCTestCase {
    /// Logits of `count` images over 4 classes, and labels drawn from softmax(logits / trueTemperature).
    func synthetic(count: Int, trueTemperature: Float, seed: UInt64) -> (Calibration.ViewLogits, [[Int]]) {
        var g = SeededGenerator(seed: seed)
        var logits: [Float] = [], labels: [[Int]] = []
        for _ in 0..<count {
            let row = (0..<4).map { _ in 6 * g.nextUnitFloat() }
            logits += row
            let e = row.map { exp($0 / trueTemperature) }
            let total = e.reduce(0, +)
            var u = g.nextUnitFloat() * total, label = 3
            for (c, v) in e.enumerated() { if u < v { label = c; break }; u -= v }
            labels.append([label])
        }
        return (Calibration.ViewLogits(views: [logits], classes: 4), labels)
    }

    func testFitRecoversTheTemperatureThatMadeTheLabels() {
        for truth: Float in [0.5, 1, 2.5] {
            let (logits, labels) = synthetic(count: 20_000, trueTemperature: truth, seed: 3)
            XCTAssertEqual(Calibration.fitTemperature(logits, accepted: labels), truth, accuracy: truth * 0.08, "T = \(truth)")
        }
    }

    func testCalibrationLowersTheErrorOfAnOverconfidentModel() {
        let (logits, labels) = synthetic(count: 5_000, trueTemperature: 3, seed: 4)
        func ece(_ t: Float) -> Double {
            let p = logits.probabilities(temperature: t)
            let (confidence, correct) = Calibration.confidenceAndCorrectness(p, classes: 4, accepted: labels)
            return Calibration.expectedCalibrationError(confidence: confidence, correct: correct)
        }
        let fitted = Calibration.fitTemperature(logits, accepted: labels)
        XCTAssertGreaterThan(ece(1), 0.1, "logits at T = 1 are three times too sharp")
        XCTAssertLessThan(ece(fitted), 0.03)
    }

    func testExpectedCalibrationErrorByHand() {
        // Two bins: 0.9 confidence, 1 of 2 right (|0.5 − 0.9| = 0.4); 0.3 confidence, 1 of 2 right (0.2).
        let ece = Calibration.expectedCalibrationError(confidence: [0.9, 0.9, 0.3, 0.3], correct: [true, false, true, false], bins: 10)
        XCTAssertEqual(ece, 0.5 * 0.4 + 0.5 * 0.2, accuracy: 1e-6)
        XCTAssertEqual(Calibration.expectedCalibrationError(confidence: [1, 1], correct: [true, true]), 0, accuracy: 1e-9)
    }

    func testGroupsOfAcceptedClassesAddTheirProbabilities() {
        let p: [Float] = [0.5, 0.3, 0.2]
        XCTAssertEqual(Calibration.negativeLogLikelihood(p, classes: 3, accepted: [[1, 2]]), -log(0.5), accuracy: 1e-6)
        let (confidence, correct) = Calibration.confidenceAndCorrectness(p, classes: 3, accepted: [[1, 2]])
        XCTAssertEqual(confidence, [0.5])
        XCTAssertEqual(correct, [false])
    }

    func testViewsAreAveragedAfterTheSoftmax() {
        let logits = Calibration.ViewLogits(views: [[0, 0], [2, 0]], classes: 2)
        let p = logits.probabilities(temperature: 2)
        let second = 1 / (1 + exp(-1 as Float))
        XCTAssertEqual(p[0], 0.5 * (0.5 + second), accuracy: 1e-6)
        XCTAssertEqual(p[0] + p[1], 1, accuracy: 1e-6)
    }
}
