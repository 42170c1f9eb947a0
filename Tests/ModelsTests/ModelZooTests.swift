import Models
import NN
import Tensor
import XCTest

final class ModelZooTests: XCTestCase {
    func testEveryModelMapsImagesToTenLogits() {
        var g = SeededGenerator(seed: 3)
        let x = Initializer.uniform(shape: [2, 1, 28, 28], limit: 1, using: &g)
        for entry in Models.all {
            let model = entry.make(1)
            XCTAssertEqual(model.outputShape(for: [2] + entry.inputShape), [2, 10], entry.name)
            let y = model.forward(x, phase: .inference)
            XCTAssertEqual(y.shape, [2, 10], entry.name)
            XCTAssertTrue(y.scalars.allSatisfy(\.isFinite), entry.name)
        }
    }

    /// Models that pool globally take other sizes, colour and class counts; the others refuse them.
    func testGeometriesEachArchitectureTakes() throws {
        var g = SeededGenerator(seed: 5)
        let geometry = Models.Geometry(channels: 3, size: 36, classes: 4)
        let x = Initializer.uniform(shape: [2, 3, 36, 36], limit: 1, using: &g)
        for entry in Models.all where entry.name != "seed-resnet50" {  // (too slow in debug at this size)
            if entry.poolsGlobally {
                let model = try entry.make(geometry, seed: 1)
                XCTAssertEqual(model.forward(x, phase: .inference).shape, [2, 4], entry.name)
            } else {
                XCTAssertThrowsError(try entry.make(geometry, seed: 1), entry.name) { error in
                    XCTAssertTrue("\(error)".contains("takes only 1 × 28 × 28 inputs"), "\(error)")
                }
                XCTAssertEqual(try entry.make(Models.Geometry(classes: 3), seed: 1).outputShape(for: [1, 1, 28, 28]), [1, 3])
            }
        }
        let resnet = try Models.named("resnet20")
        XCTAssertThrowsError(try resnet.make(Models.Geometry(channels: 2), seed: 1))
        XCTAssertThrowsError(try resnet.make(Models.Geometry(size: 4), seed: 1))
        XCTAssertThrowsError(try resnet.make(Models.Geometry(classes: 1), seed: 1))
        XCTAssertEqual(try resnet.make(.fashionMNIST, seed: 7).parameters.map(\.parameter.value.scalars),
                       resnet.make(7).parameters.map(\.parameter.value.scalars), "the default geometry is Fashion-MNIST's")
    }

    /// torchvision's resnet50 has 25,557,032 parameters; with a 1-channel stem (−6,272) and
    /// the extra Dense 1000 → 10 (+10,010) that is 25,560,770.
    func testSeedResNet50HasTorchvisionNamesAndSize() {
        let model = Models.seedResNet50(seed: 1)
        XCTAssertEqual(model.parameterCount, 25_560_770)
        let names = Set(model.parameters.map(\.name) + model.buffers.map(\.name))
        for name in ["conv1.weight", "bn1.weight", "bn1.running_mean", "layer1.0.conv1.weight", "layer1.0.downsample.0.weight",
                     "layer1.0.downsample.1.running_var", "layer2.3.conv3.weight", "layer3.5.bn2.bias",
                     "layer4.2.bn3.running_var", "fc.weight", "fc.bias", "classifier.weight"] {
            XCTAssertTrue(names.contains(name), name)
        }
        XCTAssertFalse(names.contains("layer1.1.downsample.0.weight"), "only the first block of a stage projects")
        XCTAssertEqual(model.outputShape(for: [1, 1, 28, 28]), [1, 10])
    }

    /// Counted by hand: stem 144 + 32, stage 1 14,016, stage 2 51,648, stage 3 205,696, fc 650.
    func testResNet20Size() {
        XCTAssertEqual(Models.resNet(seed: 1, blocksPerStage: 3, width: 16).parameterCount, 272_186)
    }

    func testForwardFLOPsOfTheSeedCNN() {
        // conv_1 1.25 M + conv_2 20.07 M + fc_1 6.42 M + fc_2 0.02 M (2 per multiply-add).
        let flops = forwardFLOPs(Models.seedCNN(seed: 1), input: [1, 1, 28, 28])
        XCTAssertEqual(flops, 1_254_400 + 20_070_400 + 6_422_528 + 20_480)
    }

    func testResidualFLOPsIncludeBothBranches() {
        let model = Models.resNet(seed: 1, blocksPerStage: 1, width: 4)
        // stem 28²·4·9, stage 1 2·28²·4·4·9, stage 2 14²·8·4·9 + 14²·8·8·9 + 14²·8·4 (projection),
        // stage 3 7²·16·8·9 + 7²·16·16·9 + 7²·16·8, fc 16·10 multiply-adds.
        let macs = 28 * 28 * 4 * 9 + 2 * 28 * 28 * 16 * 9 + 196 * (288 + 576 + 32) + 49 * (1152 + 2304 + 128) + 160
        XCTAssertEqual(forwardFLOPs(model, input: [1, 1, 28, 28]), 2 * Double(macs))
    }

    /// Summaries open nested chains and show residual blocks as one row each.
    func testSummaryRowsOfNestedModels() {
        let model = Models.resNet(seed: 1, blocksPerStage: 3, width: 16)
        let rows = summaryRows(model, inputShape: [1, 28, 28])
        XCTAssertEqual(rows.map(\.name), ["conv1", "bn1", "relu", "layer1.0", "layer1.1", "layer1.2", "layer2.0", "layer2.1",
                                          "layer2.2", "layer3.0", "layer3.1", "layer3.2", "avgpool", "fc"])
        XCTAssertEqual(rows[6].type, "Residual")
        XCTAssertEqual(rows[6].outputShape, [32, 14, 14])
        XCTAssertEqual(rows.map(\.parameters).reduce(0, +), model.parameterCount)
        let vgg = summaryRows(Models.vggBN(seed: 1, widths: [8, 16], hidden: 32, dropout: 0.5), inputShape: [1, 28, 28])
        XCTAssertEqual(vgg.first?.name, "features.0")
        XCTAssertEqual(vgg.last?.name, "classifier.3")
    }
}
