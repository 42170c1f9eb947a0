import Data
import Foundation
import Imaging
@testable import Report
import TestSupport
import Training
import XCTest

final class RunReportTests: XCTestCase {
    /// A 2-epoch run on 300 training images, made once for all tests of this class.
    static var run: (directory: URL, test: ImageSet)?

    func tinyRun() throws -> (directory: URL, test: ImageSet) {
        if let run = Self.run { return run }
        let data = try TinyFashionMNIST.directory()
        let directory = try TestSupport.temporaryDirectory("report-run")
        var config = TrainingConfig()
        config.epochs = 2
        config.trainLimit = 300
        config.validationLimit = 200
        let (train, validation) = try FashionMNIST.split(try FashionMNIST.load(.train, from: data), validationCount: 200, seed: config.seed)
        let trainer = try Trainer(config: config, directory: directory, train: train.prefix(300),
                                  validation: validation.prefix(200))
        trainer.log = { _ in }
        try trainer.run()
        let test = try FashionMNIST.load(.test, from: data)
        Self.run = (directory, test)
        return (directory, test)
    }

    func testReportHasEverySectionAndIsWellFormed() throws {
        let (directory, test) = try tinyRun()
        let report = try RunReport.load(run: directory, images: test)
        let html = report.html
        let root = try XMLElement.parse(Data(html.utf8))
        XCTAssertEqual(root.name, "html")
        let sections = root.elements("section").compactMap { $0.attributes["id"] }
        XCTAssertEqual(sections, ["curves", "grid", "confusion", "classes", "mistakes", "model", "config"])
        XCTAssertEqual(root.elements("svg").count, 3, "two charts and the heat map")
        XCTAssertFalse(html.contains("http://") && html.replacingOccurrences(of: "http://www.w3.org/", with: "").contains("http://"),
                       "no external resources")
        XCTAssertFalse(html.contains("<script"))

        // The 12-image grid: PNG data URIs of 112×112 pictures, captions with prediction and truth.
        let grid = try XCTUnwrap(root.elements("section").first { $0.attributes["id"] == "grid" })
        let figures = grid.elements("figure")
        XCTAssertEqual(figures.count, 12)
        for (figure, index) in zip(figures, report.gridIndices) {
            let source = try XCTUnwrap(figure.elements("img").first?.attributes["src"])
            XCTAssertTrue(source.hasPrefix("data:image/png;base64,"))
            let png = try XCTUnwrap(Data(base64Encoded: String(source.dropFirst("data:image/png;base64,".count))))
            let image = try PNG.decode(png)
            XCTAssertEqual([image.width, image.height], [112, 112])
            let item = report.gridItem(index)
            XCTAssertEqual(figure.attributes["class"], item.isRight ? "right" : "wrong")
            XCTAssertTrue(figure.allText.contains("true: \(item.label)"), figure.allText)
        }

        // Per-class table: ten classes and the macro average.
        let classes = try XCTUnwrap(root.elements("section").first { $0.attributes["id"] == "classes" })
        XCTAssertEqual(classes.elements("tr").count, 1 + 10 + 1)
        // Model table: one row per layer and the parameter count.
        let model = try XCTUnwrap(root.elements("section").first { $0.attributes["id"] == "model" })
        XCTAssertEqual(model.elements("tr").count, 1 + 11)
        XCTAssertTrue(model.allText.contains("3,274,634"))
        // The mistakes gallery shows only wrong predictions, surest first.
        let mistakes = report.confidentMistakes(12)
        XCTAssertEqual(mistakes.map { report.predictions.labels[$0] != report.predictions.predicted[$0] }, mistakes.map { _ in true })
        XCTAssertEqual(mistakes.map { report.predictions.confidence[$0] }, mistakes.map { report.predictions.confidence[$0] }.sorted(by: >))
        let gallery = try XCTUnwrap(root.elements("section").first { $0.attributes["id"] == "mistakes" })
        XCTAssertEqual(gallery.elements("figure").count, mistakes.count)
        XCTAssertTrue(gallery.elements("figure").allSatisfy { $0.attributes["class"] == "wrong" })
    }

    /// The points of the curves carry the values of history.csv, as written on disk.
    func testCurvesAgreeWithHistoryCSV() throws {
        let (directory, test) = try tinyRun()
        let history = try History(csv: String(contentsOf: directory.appendingPathComponent("history.csv"), encoding: .utf8))
        XCTAssertEqual(history.records.count, 2)
        let root = try XMLElement.parse(Data(try RunReport.load(run: directory, images: test).html.utf8))
        let titles = root.elements("svg").prefix(2).flatMap { $0.elements("title").map(\.allText) }
        var expected: [String] = []
        for r in history.records { expected.append(String(format: "train, epoch %d: %.3f", r.epoch, r.trainLoss)) }
        for r in history.records { expected.append(String(format: "validation, epoch %d: %.3f", r.epoch, r.validationLoss!)) }
        for r in history.records { expected.append(String(format: "train, epoch %d: %.2f%%", r.epoch, r.trainAccuracy * 100)) }
        for r in history.records { expected.append(String(format: "validation, epoch %d: %.2f%%", r.epoch, r.validationAccuracy! * 100)) }
        XCTAssertEqual(titles, expected)
    }

    /// The report works for the other architectures too: a ResNet with batch norm, trained with a recipe's settings.
    func testReportOfAResNetRun() throws {
        let data = try TinyFashionMNIST.directory()
        let directory = try TestSupport.temporaryDirectory("resnet-run")
        var config = try Recipes.named("fast").config
        config.model = "resnet20"
        config.epochs = 1
        let (train, validation) = try FashionMNIST.split(try FashionMNIST.load(.train, from: data), validationCount: 200, seed: config.seed)
        let trainer = try Trainer(config: config, directory: directory, train: train.prefix(256), validation: validation.prefix(128))
        trainer.log = { _ in }
        try trainer.run()
        let test = try FashionMNIST.load(.test, from: data).prefix(200)
        let report = try RunReport.load(run: directory, images: test)
        let root = try XMLElement.parse(Data(report.html.utf8))
        let model = try XCTUnwrap(root.elements("section").first { $0.attributes["id"] == "model" })
        XCTAssertEqual(model.elements("tr").count, 1 + 14, "conv1, bn1, relu, nine blocks, avgpool, fc")
        XCTAssertTrue(model.allText.contains("layer2.0") && model.allText.contains("Residual"), model.allText)
        let settings = try XCTUnwrap(root.elements("section").first { $0.attributes["id"] == "config" })
        XCTAssertTrue(settings.allText.contains("SGD, Nesterov momentum 0.9"), settings.allText)
        XCTAssertTrue(settings.allText.contains("flip, crop ±2"), settings.allText)
        XCTAssertEqual(root.elements("section").count, 7)
    }

    /// A run on all 60,000 images (no validation): training curves only, and the report says so.
    func testReportOfARunWithoutValidation() throws {
        let data = try TinyFashionMNIST.directory()
        let directory = try TestSupport.temporaryDirectory("unvalidated-run")
        var config = TrainingConfig()
        config.epochs = 2
        config.validationCount = 0
        config.trainLimit = 256
        let (train, validation) = try FashionMNIST.split(try FashionMNIST.load(.train, from: data), validationCount: 0, seed: config.seed)
        XCTAssertEqual([train.count, validation.count], [TinyFashionMNIST.trainCount, 0])
        let trainer = try Trainer(config: config, directory: directory, train: train.prefix(256), validation: validation)
        trainer.log = { _ in }
        try trainer.run()
        let root = try XMLElement.parse(Data(try RunReport.load(run: directory, images: try FashionMNIST.load(.test, from: data).prefix(100)).html.utf8))
        let titles = root.elements("svg").prefix(2).flatMap { $0.elements("title").map(\.allText) }
        XCTAssertEqual(titles.count, 4, "two training points per chart: \(titles)")
        XCTAssertTrue(titles.allSatisfy { $0.hasPrefix("train, epoch") }, "\(titles)")
        XCTAssertTrue(root.allText.contains("none (trained on all)"))
        let settings = try XCTUnwrap(root.elements("section").first { $0.attributes["id"] == "config" })
        XCTAssertTrue(settings.allText.contains("validation imagesnone"), settings.allText)
    }

    func testPredictionGridPicture() throws {
        let (_, test) = try tinyRun()
        let items = [GridItem(index: 0, label: "Ankle boot", predicted: "Ankle boot", confidence: 0.97),
                     GridItem(index: 1, label: "Pullover", predicted: "Shirt", confidence: 0.51),
                     GridItem(index: 2, label: "Trouser", predicted: "Trouser", confidence: 1)]
        let picture = predictionGrid(items, of: test, columns: 2, scale: 4)
        let cellWidth = picture.width / 2
        XCTAssertEqual(picture.height % 2, 0, "two rows of equal height")
        // Each image sits in a 3-pixel frame: green when right, red when wrong.
        let imageX = (cellWidth - 112) / 2, imageY = 12
        XCTAssertEqual(picture[imageX - 2, imageY - 2], .right)
        XCTAssertEqual(picture[cellWidth + imageX - 2, imageY - 2], .wrong)
        XCTAssertEqual(picture[imageX - 2, picture.height / 2 + imageY - 2], .right)
        // The picture round-trips through PNG.
        XCTAssertEqual(try PNG.decode(PNG.encode(picture)), picture)
        XCTAssertEqual(items[0].predictionText, "Ankle boot 97%")
    }

    func testSampleIndicesAreDistinctAndSeeded() {
        let a = sampleIndices(count: 12, from: 10_000, seed: 1)
        XCTAssertEqual(Set(a).count, 12)
        XCTAssertEqual(a, sampleIndices(count: 12, from: 10_000, seed: 1))
        XCTAssertNotEqual(a, sampleIndices(count: 12, from: 10_000, seed: 2))
        XCTAssertEqual(sampleIndices(count: 12, from: 5, seed: 1).sorted(), [0, 1, 2, 3, 4])
    }

    func testMissingRunFilesGiveClearErrors() throws {
        let empty = try TestSupport.temporaryDirectory()
        let images = ImageSet(pixels: [UInt8](repeating: 0, count: 784), labels: [0], height: 28, width: 28)
        func message(_ url: URL) -> String {
            do { _ = try RunReport.load(run: url, images: images); return "no error" } catch { return "\(error)" }
        }
        XCTAssertTrue(message(empty.appendingPathComponent("nope")).hasSuffix("nope: no such run directory"))
        XCTAssertTrue(message(empty).contains("history.csv: missing or unreadable"), message(empty))
        try Data("epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n".utf8)
            .write(to: empty.appendingPathComponent("history.csv"))
        XCTAssertTrue(message(empty).contains("no finished epochs"), message(empty))
        try Data("epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds\n1,0.5,0.8,0.6,0.7,3.0\n".utf8)
            .write(to: empty.appendingPathComponent("history.csv"))
        XCTAssertTrue(message(empty).contains("model.safetensors"), message(empty))
    }
}
