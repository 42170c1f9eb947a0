import Checkpoint
import Data
import Foundation
import Imaging
import Inference
import Models
import Training

/// A report that cannot be made (missing or unreadable run files), with a one-line message.
public struct ReportError: Error, CustomStringConvertible {
    /// What is wrong.
    public var description: String
    /// An error with the given message.
    public init(_ description: String) { self.description = description }
}

/// Everything the HTML report of a training run shows, gathered from its directory and the test set.
public struct RunReport {
    /// The run directory.
    public var directory: URL
    /// The run's settings (`config.json`), when present.
    public var config: TrainingConfig?
    /// Per-epoch metrics (`history.csv`).
    public var history: History
    /// The evaluated weights and their metadata.
    public var checkpoint: ModelCheckpoint
    /// The weights file the predictions come from.
    public var weightsFile: URL
    /// The images evaluated (the test set).
    public var images: ImageSet
    /// The model's predictions on `images`.
    public var predictions: Predictions
    /// Accuracy, per-class scores and the confusion matrix.
    public var evaluation: EvaluationReport
    /// The images shown in the prediction grid.
    public var gridIndices: [Int]
    /// What the images are.
    public var described: Images

    /// What a report's images are: the data set's name and what to call them.
    public struct Images: Sendable {
        /// The data set, in the title ("Fashion-MNIST").
        public var dataset: String
        /// The images, plural ("test images").
        public var noun: String
        /// The scores' prefix ("test", "validation").
        public var metric: String

        /// A description.
        public init(dataset: String, noun: String, metric: String) {
            self.dataset = dataset
            self.noun = noun
            self.metric = metric
        }

        /// Fashion-MNIST's 10,000 test images.
        public static let fashionMNISTTest = Images(dataset: "Fashion-MNIST", noun: "test images", metric: "test")
    }

    /// Reads the run in `directory` (history, config, best weights) and predicts `images`;
    /// the grid shows `gridCount` images picked with `gridSeed`.
    public static func load(run directory: URL, images: ImageSet, described: Images = .fashionMNISTTest,
                            gridCount: Int = 12, gridSeed: UInt64 = 1) throws -> RunReport {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ReportError("\(directory.path): no such run directory")
        }
        let historyURL = directory.appendingPathComponent(RunFiles.history)
        guard let historyText = try? String(contentsOf: historyURL, encoding: .utf8) else {
            throw ReportError("\(historyURL.path): missing or unreadable (is this a run directory made by `fashion train`?)")
        }
        let history = try History(csv: historyText)
        guard !history.records.isEmpty else { throw ReportError("\(historyURL.path): no finished epochs yet") }
        let config: TrainingConfig?
        do { config = try TrainingConfig.saved(in: directory) } catch { throw ReportError("\(error)") }
        let weightsFile = directory.appendingPathComponent(RunFiles.best)
        let checkpoint = try ModelCheckpoint.load(weightsFile, defaultClassNames: FashionMNIST.classNames)
        if let bad = images.labels.first(where: { $0 >= checkpoint.classNames.count }) {
            throw ReportError("the images have label \(bad) but the model knows \(checkpoint.classNames.count) classes")
        }
        let predictions = predict(checkpoint.model, on: images)
        return RunReport(directory: directory, config: config, history: history, checkpoint: checkpoint,
                         weightsFile: weightsFile, images: images, predictions: predictions,
                         evaluation: EvaluationReport(predictions, classNames: checkpoint.classNames),
                         gridIndices: sampleIndices(count: gridCount, from: images.count, seed: gridSeed), described: described)
    }

    /// The cell of image `index` in a prediction grid.
    public func gridItem(_ index: Int) -> GridItem {
        GridItem(index: index, label: checkpoint.classNames[predictions.labels[index]],
                 predicted: checkpoint.classNames[predictions.predicted[index]], confidence: predictions.confidence[index])
    }

    /// The wrong predictions the model was surest of, most confident first.
    public func confidentMistakes(_ count: Int) -> [Int] {
        let wrong = predictions.labels.indices.filter { predictions.labels[$0] != predictions.predicted[$0] }
        return Array(wrong.sorted { (predictions.confidence[$0], $1) > (predictions.confidence[$1], $0) }.prefix(count))
    }

    /// The median training seconds per epoch.
    public var medianEpochSeconds: Double {
        let seconds = history.records.map(\.seconds).sorted()
        let n = seconds.count
        return n % 2 == 1 ? seconds[n / 2] : (seconds[n / 2 - 1] + seconds[n / 2]) / 2
    }

    // MARK: The page

    /// The report as one self-contained HTML page (inline CSS and SVG, PNG data URIs; no network).
    public var html: String {
        let name = checkpoint.architecture.name
        let best = history.best!
        let totalSeconds = history.records.map(\.seconds).reduce(0, +)
        var page = """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
        <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title>\(escapeMarkup(name)) — fashion run report</title>
        <style>\(RunReport.css)</style>
        </head>
        <body>
        <header>
        <h1>\(escapeMarkup(name)) on \(escapeMarkup(described.dataset))</h1>
        <p class="sub">Run <code>\(escapeMarkup(directory.relativePath))</code> · weights <code>\(escapeMarkup(weightsFile.lastPathComponent))</code> · \(formatCount(images.count)) \(escapeMarkup(described.noun))</p>
        <div class="figures">
        \(figure("\(described.metric) accuracy", percent(evaluation.accuracy)))
        \(figure("\(described.metric) loss", fixed(evaluation.loss, 4)))
        \(figure("best validation accuracy", best.validationAccuracy.map { "\(percent($0)) (epoch \(best.epoch))" } ?? "none (trained on all)"))
        \(figure("epochs", String(history.records.count)))
        \(figure("seconds per epoch (median)", fixed(medianEpochSeconds, 1)))
        \(figure("training time", minutes(totalSeconds)))
        \(figure("parameters", formatCount(checkpoint.model.parameterCount)))
        </div>
        </header>

        """
        page += section("curves", "Training curves", curves)
        page += section("grid", "Predictions on \(gridIndices.count) \(described.noun)",
                        "<p>Predicted class and confidence (green when right, red when wrong), true class underneath.</p>\n"
                        + gallery(gridIndices))
        page += section("confusion", "Confusion matrix", confusionHeatMap(evaluation))
        page += section("classes", "Precision, recall and F1 per class", classTable)
        let mistakes = confidentMistakes(12)
        page += section("mistakes", "The most confident mistakes",
                        mistakes.isEmpty ? "<p>No mistakes on these images.</p>"
                        : "<p>Wrong predictions the model was surest of.</p>\n" + gallery(mistakes))
        page += section("model", "Model", modelTable)
        page += section("config", "Training configuration", configTable)
        page += "<footer>Made by <code>fashion report</code>.</footer>\n</body>\n</html>\n"
        return page
    }

    private func figure(_ label: String, _ value: String) -> String {
        "<div class=\"figure\"><div class=\"value\">\(escapeMarkup(value))</div><div class=\"label\">\(escapeMarkup(label))</div></div>"
    }

    private func section(_ id: String, _ title: String, _ body: String) -> String {
        "<section id=\"\(id)\">\n<h2>\(escapeMarkup(title))</h2>\n\(body)\n</section>\n\n"
    }

    private var curves: String {
        func points(_ value: (EpochRecord) -> Double?) -> [(x: Double, y: Double)] {
            history.records.compactMap { record in value(record).map { (Double(record.epoch), $0) } }
        }
        // A run without validation draws the training curves only.
        func series(_ train: KeyPath<EpochRecord, Double>, _ validation: KeyPath<EpochRecord, Double?>) -> [LineChart.Series] {
            let validationPoints = points { $0[keyPath: validation] }
            return [.init(name: "train", color: "#1f6feb", points: points { $0[keyPath: train] })]
                + (validationPoints.isEmpty ? [] : [.init(name: "validation", color: "#d1242f", points: validationPoints)])
        }
        let loss = LineChart(title: "Loss", xLabel: "epoch", yLabel: "cross-entropy", series: series(\.trainLoss, \.validationLoss))
        var accuracy = LineChart(title: "Accuracy", xLabel: "epoch", yLabel: "accuracy", series: series(\.trainAccuracy, \.validationAccuracy))
        accuracy.formatY = { percent($0) }
        return "<div class=\"charts\">\n\(loss.svg)\n\(accuracy.svg)\n</div>"
    }

    private func gallery(_ indices: [Int]) -> String {
        var out = "<div class=\"gallery\">\n"
        for index in indices {
            let item = gridItem(index)
            let png = PNG.encode(picture(of: images, index: index, scale: max(1, 112 / max(1, images.width)), inverted: true)).base64EncodedString()
            out += "<figure class=\"\(item.isRight ? "right" : "wrong")\"><img src=\"data:image/png;base64,\(png)\" "
                + "width=\"112\" height=\"112\" alt=\"test image \(index)\"/>"
                + "<figcaption><span class=\"pred\">\(escapeMarkup(item.predictionText))</span>"
                + "<span class=\"true\">true: \(escapeMarkup(item.label))</span><span class=\"idx\">#\(index)</span></figcaption></figure>\n"
        }
        return out + "</div>"
    }

    private var classTable: String {
        var rows = evaluation.classes.map { c -> [Table.Cell] in
            [.text(c.name), .number(fixed(c.precision, 4)), .number(fixed(c.recall, 4)), .number(fixed(c.f1, 4)),
             .number(String(c.support))]
        }
        let n = Double(evaluation.classes.count)
        rows.append([.text("macro average"),
                     .number(fixed(evaluation.classes.map(\.precision).reduce(0, +) / n, 4)),
                     .number(fixed(evaluation.classes.map(\.recall).reduce(0, +) / n, 4)),
                     .number(fixed(evaluation.classes.map(\.f1).reduce(0, +) / n, 4)),
                     .number(String(evaluation.classes.map(\.support).reduce(0, +)))])
        return Table(headers: ["class", "precision", "recall", "F1", "images"], rows: rows).html
    }

    private var modelTable: String {
        let rows = summaryRows(checkpoint.model, inputShape: checkpoint.geometry.inputShape).map { row -> [Table.Cell] in
            [.text(row.name), .text(row.type), .text(row.outputShape.map(String.init).joined(separator: " × ")),
             .number(formatCount(row.parameters))]
        }
        return "<p><code>\(escapeMarkup(checkpoint.architecture.name))</code>: \(escapeMarkup(checkpoint.architecture.summary)). "
            + "Input \(checkpoint.geometry.inputShape.map(String.init).joined(separator: " × ")), \(checkpoint.geometry.classes) classes; "
            + "\(formatCount(checkpoint.model.parameterCount)) parameters.</p>\n"
            + Table(headers: ["layer", "type", "output shape", "parameters"], rows: rows).html
    }

    private var configTable: String {
        var rows: [[Table.Cell]] = []
        if let config {
            rows += [
                [.text("model"), .text(config.model)],
                [.text("epochs"), .text(String(config.epochs))],
                [.text("batch size"), .text(String(config.batchSize))],
                [.text("recipe"), .text(config.recipe ?? "none")],
                [.text("optimiser"), .text(config.optimizer == "sgd" ? "SGD, Nesterov momentum \(config.momentum)" : config.optimizer == "adamw" ? "AdamW" : "Adam")],
                [.text("learning rate"), .text("\(config.learningRate) peak, \(config.schedule.rawValue) schedule"
                                               + (config.warmupEpochs > 0 ? ", \(config.warmupEpochs) warm-up epochs" : ""))],
                [.text("weight decay"), .text(String(config.weightDecay))],
                [.text("label smoothing"), .text(String(config.labelSmoothing))],
                [.text("gradient clipping"), .text(config.clipNorm.map { "global norm \($0)" } ?? "none")],
                [.text("early stopping"), .text(config.earlyStoppingPatience.map { "patience \($0) epochs" } ?? "none")],
                [.text("augmentation"), .text(config.augmentation.summary)],
                [.text("seed"), .text(String(config.seed))],
            ]
            if let folder = config.images {
                rows += [
                    [.text("photos"), .text("\(folder), input \(config.channels)×\(config.inputSize)×\(config.inputSize), preprocessing \(config.preprocessor.method.rawValue)")],
                    [.text("validation photos"), .text(config.imageValidation < 1 ? "\(fixed(config.imageValidation * 100, 0))% of each class" : "\(Int(config.imageValidation))")],
                    [.text("class balance"), .text(config.balance.rawValue)],
                ]
                if let from = config.from {
                    rows.append([.text("fine-tuned from"), .text(from + (config.freeze.isEmpty ? "" : ", frozen: \(config.freeze.joined(separator: ", "))")
                                                                 + (config.fromLearningRateScale == 1 ? "" : ", loaded layers' learning rate × \(config.fromLearningRateScale)"))])
                }
            } else {
                rows += [
                    [.text("training images"), .text(config.trainLimit.map(String.init) ?? "all (\(60_000 - config.validationCount))")],
                    [.text("validation images"), .text(config.validationCount == 0 ? "none" : config.validationLimit.map(String.init) ?? "all (\(config.validationCount))")],
                ]
            }
        } else {
            rows.append([.text("config.json"), .text("missing")])
        }
        rows += [
            [.text("seconds per epoch"), .text("median \(fixed(medianEpochSeconds, 1)), min \(fixed(history.records.map(\.seconds).min()!, 1)), max \(fixed(history.records.map(\.seconds).max()!, 1))")],
            [.text("\(described.metric) accuracy"), .text("\(percent(evaluation.accuracy)) on \(formatCount(images.count)) images")],
        ]
        return Table(headers: ["setting", "value"], rows: rows, className: "config").html
    }

    private func minutes(_ seconds: Double) -> String {
        seconds < 120 ? "\(fixed(seconds, 0)) s" : "\(fixed(seconds / 60, 1)) min"
    }

    static let css = """
    body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:16px 28px;color:#1f2328;background:#fff}
    h1{margin:8px 0 4px;font-size:26px}h2{font-size:19px;border-bottom:1px solid #d0d7de;padding-bottom:4px;margin-top:32px}
    .sub{color:#57606a;margin:0 0 12px}code{font-family:ui-monospace,monospace;font-size:90%}
    .figures{display:flex;flex-wrap:wrap;gap:10px}.figure{border:1px solid #d0d7de;border-radius:6px;padding:8px 14px;min-width:120px}
    .figure .value{font-size:20px;font-weight:600}.figure .label{color:#57606a;font-size:12px}
    .charts{display:flex;flex-wrap:wrap;gap:12px}.chart,.heatmap{font-size:12px;background:#fff}
    .chart-title{font-size:15px;font-weight:600}.grid{stroke:#eaeef2}.frame{fill:none;stroke:#8c959f}
    .tick{fill:#57606a;font-size:11px}.axis-label{fill:#1f2328;font-size:12px}.legend{fill:#1f2328;font-size:12px}.count{font-size:11px}
    .gallery{display:flex;flex-wrap:wrap;gap:10px;max-width:910px}
    figure{margin:0;padding:6px;border:3px solid;border-radius:6px;width:124px;text-align:center}
    figure.right{border-color:#1a7f37}figure.wrong{border-color:#cf222e}figure img{image-rendering:pixelated;display:block;margin:0 auto}
    figcaption span{display:block;font-size:12px}.right .pred{color:#1a7f37;font-weight:600}.wrong .pred{color:#cf222e;font-weight:600}
    .true{color:#57606a}.idx{color:#8c959f;font-size:11px}
    table{border-collapse:collapse;font-size:14px}th,td{border:1px solid #d0d7de;padding:4px 10px;text-align:left}
    th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
    footer{color:#8c959f;font-size:12px;margin:32px 0 8px}
    """
}
