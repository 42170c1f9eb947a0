import Foundation
import Training
import XCTest

/// When `EarlyStopping` says stop, and that its state survives a save and a resume.
final class EarlyStoppingTests: XCTestCase {
    /// The `observe` answers for a sequence of accuracies.
    func decisions(_ stopping: inout EarlyStopping, _ accuracies: [Double]) -> [Bool] {
        accuracies.map { stopping.observe($0) }
    }

    func testStopsAfterPatienceEpochsWithoutImprovement() {
        var stopping = EarlyStopping(patience: 2)
        XCTAssertEqual(decisions(&stopping, [0.50, 0.60, 0.60, 0.59]), [false, false, false, true])
        XCTAssertEqual(stopping.best, 0.60)
        XCTAssertEqual(stopping.epochsWithoutImprovement, 2)
    }

    func testImprovementRestartsTheCount() {
        var stopping = EarlyStopping(patience: 3)
        XCTAssertEqual(decisions(&stopping, [0.5, 0.4, 0.45, 0.51, 0.5, 0.5, 0.5]),
                       [false, false, false, false, false, false, true])
        XCTAssertEqual(stopping.best, 0.51)
    }

    func testFirstObservationIsTheBest() {
        var stopping = EarlyStopping(patience: 1, minDelta: 0.01)
        XCTAssertFalse(stopping.observe(0))
        XCTAssertEqual(stopping.best, 0)
        XCTAssertEqual(stopping.epochsWithoutImprovement, 0)
    }

    func testGainsNotAboveMinDeltaDoNotCount() {
        var stopping = EarlyStopping(patience: 2, minDelta: 0.01)
        XCTAssertEqual(decisions(&stopping, [0.80, 0.805, 0.809]), [false, false, true])
        XCTAssertEqual(stopping.best, 0.80, "small gains do not move the best")
        var again = EarlyStopping(patience: 2, minDelta: 0.01)
        XCTAssertEqual(decisions(&again, [0.80, 0.805, 0.812, 0.815]), [false, false, false, false])
        XCTAssertEqual(again.best, 0.812)
        XCTAssertEqual(again.epochsWithoutImprovement, 1)
    }

    func testZeroPatienceStopsAtTheFirstEpochWithoutImprovement() {
        var stopping = EarlyStopping(patience: 0)
        XCTAssertEqual(decisions(&stopping, [0.5, 0.6, 0.6]), [false, false, true])
    }

    /// A resumed run decodes the saved state and continues exactly where the original left off.
    func testJSONRoundTripContinuesTheCount() throws {
        let fresh = EarlyStopping(patience: 3, minDelta: 0.001)
        XCTAssertEqual(try JSONDecoder().decode(EarlyStopping.self, from: JSONEncoder().encode(fresh)), fresh)

        var original = fresh
        _ = decisions(&original, [0.7, 0.72, 0.71, 0.715])
        var resumed = try JSONDecoder().decode(EarlyStopping.self, from: JSONEncoder().encode(original))
        XCTAssertEqual(resumed, original)
        XCTAssertEqual(resumed.epochsWithoutImprovement, 2)
        XCTAssertTrue(resumed.observe(0.72))
        XCTAssertTrue(original.observe(0.72))
        XCTAssertEqual(resumed, original)
    }
}
