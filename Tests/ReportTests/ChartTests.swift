import Foundation
import Inference
@testable import Report
import Training
import XCTest

final class ChartTests: XCTestCase {
    func testNiceTicksCoverTheDataWithRoundSteps() {
        let loss = niceTicks(0.213, 0.918, integers: false)
        XCTAssertEqual(loss.step, 0.2, accuracy: 1e-12)
        XCTAssertEqual(loss.range.lowerBound, 0.2, accuracy: 1e-12)
        XCTAssertEqual(loss.range.upperBound, 1.0, accuracy: 1e-12)
        let epochs = niceTicks(1, 50, integers: true)
        XCTAssertEqual(epochs.step, 10)
        XCTAssertEqual(epochs.range, 0...50)
        let two = niceTicks(1, 2, integers: true)
        XCTAssertEqual(two.step, 1)
        XCTAssertEqual(two.range, 1...2)
        let flat = niceTicks(0.5, 0.5, integers: false)  // a single value still gets a range
        XCTAssertLessThan(flat.range.lowerBound, 0.5)
        XCTAssertGreaterThan(flat.range.upperBound, 0.5)
    }

    /// A diverged run's NaN and infinite losses (and absurd values from a damaged history.csv) are
    /// left out of the chart instead of stopping the report (found by fuzzing history.csv).
    func testPointsThatCannotBeDrawnAreLeftOut() throws {
        let values: [(x: Double, y: Double)] = [(1, 0.9), (2, .nan), (3, .infinity), (4, 8e571), (5, 0.3)]
        let chart = LineChart(title: "Loss", xLabel: "epoch", yLabel: "loss", series: [.init(name: "train", color: "#000", points: values)])
        let svg = try XMLElement.parse(Data(chart.svg.utf8))
        XCTAssertEqual(svg.elements("circle").count, 2)
        XCTAssertFalse(chart.svg.contains("nan") || chart.svg.contains("inf"), chart.svg)
        XCTAssertEqual(niceTicks(-1e308, 1e308, integers: false).step, 1, "an infinite span falls back to one step")
    }

    /// The polyline's pixels map back to the data through the axes the chart draws.
    func testPolylinePointsMapBackToTheData() throws {
        let values: [(x: Double, y: Double)] = [(1, 0.9), (2, 0.5), (3, 0.41), (4, 0.3)]
        let chart = LineChart(title: "Loss & more", xLabel: "epoch", yLabel: "loss",
                              series: [.init(name: "train <1>", color: "#123456", points: values)])
        let svg = try XMLElement.parse(Data(chart.svg.utf8))
        XCTAssertEqual(svg.name, "svg")
        let polyline = try XCTUnwrap(svg.elements("polyline").first)
        let pixels = try XCTUnwrap(polyline.attributes["points"]).split(separator: " ").map { pair in
            pair.split(separator: ",").map { Double($0)! }
        }
        XCTAssertEqual(pixels.count, 4)
        // Two points fix the affine map of each axis; the others must sit on it.
        let ySlope = (pixels[1][1] - pixels[0][1]) / (0.5 - 0.9)
        let xSlope = (pixels[1][0] - pixels[0][0]) / (2 - 1)
        XCTAssertLessThan(ySlope, 0, "larger values are drawn higher")
        for (pixel, value) in zip(pixels, values) {
            XCTAssertEqual(pixel[1], pixels[0][1] + ySlope * (value.y - 0.9), accuracy: 0.02)
            XCTAssertEqual(pixel[0], pixels[0][0] + xSlope * (value.x - 1), accuracy: 0.02)
        }
        // Every point has a tooltip with its value; titles and legend are escaped.
        let titles = svg.elements("title").map(\.allText)
        XCTAssertEqual(titles, ["train <1>, epoch 1: 0.900", "train <1>, epoch 2: 0.500",
                                "train <1>, epoch 3: 0.410", "train <1>, epoch 4: 0.300"])
        XCTAssertTrue(svg.elements("text").contains { $0.allText == "Loss & more" })
        XCTAssertTrue(svg.elements("text").contains { $0.allText == "epoch" })
    }

    func testConfusionHeatMapShowsEveryCount() throws {
        let predictions = Predictions(labels: [0, 0, 1, 1, 1, 2], predicted: [0, 1, 1, 1, 2, 2],
                                      confidence: Array(repeating: 0.9, count: 6), loss: 0.1)
        let report = EvaluationReport(predictions, classNames: ["a", "b", "c"])
        let svg = try XMLElement.parse(Data(confusionHeatMap(report).utf8))
        let counts = svg.elements("text").filter { $0.attributes["class"] == "count" }.map(\.allText)
        XCTAssertEqual(counts, ["1", "1", "0", "0", "2", "1", "0", "0", "1"])
        XCTAssertEqual(svg.elements("rect").count, 9)
        XCTAssertTrue(svg.elements("title").map(\.allText).contains("true b, predicted c: 1 (33.33% of the row)"))
    }

    func testMarkupEscaping() {
        XCTAssertEqual(escapeMarkup("T-shirt/top <\"&'>"), "T-shirt/top &lt;&quot;&amp;&#39;&gt;")
    }
}
