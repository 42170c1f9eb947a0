import Data
import Foundation
import NN
@testable import Training
import XCTest

final class ConfigTests: XCTestCase {
    /// config.json as the first release wrote it still loads, with the notebook's defaults.
    func testOldConfigFilesStillDecode() throws {
        let old = #"{"batchSize":64,"epochs":50,"learningRate":0.001,"model":"seed-cnn","seed":1,"validationCount":10000}"#
        let config = try JSONDecoder().decode(TrainingConfig.self, from: Data(old.utf8))
        XCTAssertEqual(config, TrainingConfig())
    }

    /// A config.json that decodes but holds an unusable setting (edited by hand, or damaged) is
    /// refused when read, naming the file and the setting, instead of stopping the resumed run.
    func testConfigFilesAreCheckedWhenRead() throws {
        let bad = #"{"batchSize":0,"epochs":50,"learningRate":0.001,"model":"seed-cnn","seed":1,"validationCount":10000}"#
        XCTAssertThrowsError(try TrainingConfig.parse(Data(bad.utf8), file: "runs/x/config.json")) {
            XCTAssertEqual("\($0)", "runs/x/config.json: --batch-size must be between 1 and 8192")
        }
        XCTAssertThrowsError(try TrainingConfig.parse(Data("[1]".utf8), file: "c.json")) {
            XCTAssertEqual("\($0)", "c.json: not a training configuration")
        }
        let good = #"{"batchSize":64,"epochs":50,"learningRate":0.001,"model":"seed-cnn","seed":1,"validationCount":10000}"#
        XCTAssertEqual(try TrainingConfig.parse(Data(good.utf8), file: "c.json"), TrainingConfig())
    }

    func testRoundTripKeepsEverySetting() throws {
        var config = try Recipes.named("best").config
        config.clipNorm = 2
        config.earlyStoppingPatience = 4
        config.trainLimit = 100
        let decoded = try JSONDecoder().decode(TrainingConfig.self, from: JSONEncoder().encode(config))
        XCTAssertEqual(decoded, config)
    }

    func testBadSettingsAreNamed() {
        func message(_ change: (inout TrainingConfig) -> Void) -> String {
            var config = TrainingConfig()
            change(&config)
            do { try config.validate(); return "valid" } catch { return "\(error)" }
        }
        XCTAssertEqual(message { _ in }, "valid")
        XCTAssertEqual(message { $0.optimizer = "rmsprop" }, "unknown optimizer 'rmsprop' (known: adam, adamw, sgd)")
        XCTAssertEqual(message { $0.labelSmoothing = 1 }, "--label-smoothing must be in [0, 1)")
        XCTAssertEqual(message { $0.warmupEpochs = 50 }, "--warmup-epochs must be in [0, epochs)")
        XCTAssertEqual(message { $0.clipNorm = 0 }, "--clip-norm must be positive")
        XCTAssertEqual(message { $0.momentum = 1 }, "--momentum must be in [0, 1)")
        XCTAssertEqual(message { $0.validationCount = 60_000 }, "--validation must be from 0 to 59999 images")
        XCTAssertEqual(message { $0.validationCount = -1 }, "--validation must be from 0 to 59999 images")
        XCTAssertEqual(message { $0.validationCount = 0 }, "valid")
        XCTAssertEqual(message { $0.validationCount = 0; $0.earlyStoppingPatience = 3 }, "--patience needs validation images (--validation above 0)")
        XCTAssertTrue(message { $0.augmentation.cropPadding = -1 }.contains("crop"), message { $0.augmentation.cropPadding = -1 })
    }

    func testRecipesAreValidAndKnown() throws {
        for recipe in Recipes.all {
            XCTAssertNoThrow(try recipe.config.validate(), recipe.name)
            XCTAssertEqual(recipe.config.recipe ?? "seed", recipe.name)
        }
        XCTAssertEqual(try Recipes.named("seed").config, TrainingConfig())
        XCTAssertThrowsError(try Recipes.named("fastest")) { error in
            XCTAssertEqual("\(error)", "unknown recipe 'fastest' (known: seed, fast, best, photo, shop, shop-tune)")
        }
    }

    /// The `shop` recipe is the configuration measured in docs/RESULTS.md (run e10).
    func testShopRecipeIsTheMeasuredRun() throws {
        let c = try Recipes.named("shop").config
        XCTAssertEqual([c.model, c.optimizer], ["resnet20", "sgd"])
        XCTAssertEqual([c.epochs, c.batchSize, c.inputSize, c.channels], [40, 64, 64, 3])
        XCTAssertEqual([c.learningRate, c.momentum, c.weightDecay, c.labelSmoothing], [0.05, 0.9, 5e-4, 0.1])
        XCTAssertEqual(c.schedule, .cosine)
        XCTAssertEqual(c.warmupEpochs, 1)
        XCTAssertEqual(c.balance, .weighted)
        XCTAssertEqual(c.imageValidation, 0.2)
        XCTAssertEqual(c.seed, 1)
        XCTAssertNil(c.from)
        XCTAssertEqual(c.preprocessor.method, .letterbox)
        XCTAssertEqual(c.augmentation, Augmentation(horizontalFlip: true, maxRotationDegrees: 10,
                                                    photo: PhotoAugmentation(cropProbability: 0.5, colourJitter: 0.3)))
        XCTAssertEqual(try Recipes.named("shop-tune").config.from, "runs/photo/model.safetensors")
    }

    func testOptimizerAndScheduleFollowTheSettings() {
        var config = TrainingConfig()
        XCTAssertEqual(config.makeOptimizer().name, "adam")
        config.optimizer = "adamw"
        XCTAssertEqual(config.makeOptimizer().name, "adamw")
        config.optimizer = "sgd"
        config.learningRate = 0.1
        config.schedule = .cosine
        config.epochs = 10
        let schedule = config.learningRateSchedule
        XCTAssertEqual(schedule.rate(step: 0, totalSteps: 100, stepsPerEpoch: 10), 0.1, accuracy: 1e-6)
        XCTAssertLessThan(schedule.rate(step: 99, totalSteps: 100, stepsPerEpoch: 10), 0.001)
    }
}
