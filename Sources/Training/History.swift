import Foundation

/// The metrics of one training epoch.
public struct EpochRecord: Codable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Mean training loss and accuracy over the epoch (dropout active, as Keras reports them).
    public var trainLoss, trainAccuracy: Double
    /// Validation loss and accuracy after the epoch.
    public var validationLoss, validationAccuracy: Double
    /// Wall-clock seconds of the training part of the epoch.
    public var seconds: Double
}

/// The per-epoch records of a run, written as `history.csv`.
public struct History: Codable, Equatable {
    /// Records in epoch order.
    public var records: [EpochRecord] = []

    /// An empty history.
    public init(records: [EpochRecord] = []) { self.records = records }

    /// The CSV header line.
    public static let header = "epoch,train_loss,train_accuracy,val_loss,val_accuracy,seconds"

    /// The CSV text, header first.
    public var csv: String {
        ([History.header] + records.map { r in
            String(format: "%d,%.6f,%.6f,%.6f,%.6f,%.3f", r.epoch, r.trainLoss, r.trainAccuracy,
                   r.validationLoss, r.validationAccuracy, r.seconds)
        }).joined(separator: "\n") + "\n"
    }

    /// Parses CSV text as written by `csv`.
    public init(csv text: String) throws {
        let lines = text.split(whereSeparator: \.isNewline)
        guard lines.first.map(String.init) == History.header else {
            throw HistoryError(description: "history.csv does not start with '\(History.header)'")
        }
        for (number, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",").map(String.init)
            let values = fields.dropFirst().compactMap(Double.init)
            guard fields.count == 6, let epoch = Int(fields[0]), values.count == 5 else {
                throw HistoryError(description: "history.csv line \(number + 2) is malformed: \(line)")
            }
            records.append(EpochRecord(epoch: epoch, trainLoss: values[0], trainAccuracy: values[1],
                                       validationLoss: values[2], validationAccuracy: values[3], seconds: values[4]))
        }
    }
}

/// A history file that cannot be parsed.
public struct HistoryError: Error, CustomStringConvertible {
    /// What is wrong.
    public var description: String
}
