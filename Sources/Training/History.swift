import Foundation

/// The metrics of one training epoch.
public struct EpochRecord: Codable, Equatable {
    /// 1-based epoch number.
    public var epoch: Int
    /// Mean training loss and accuracy over the epoch (dropout active, as Keras reports them).
    public var trainLoss, trainAccuracy: Double
    /// Validation loss and accuracy after the epoch (nil when the run holds out no validation images).
    public var validationLoss, validationAccuracy: Double?
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

    /// The CSV text, header first; a run without validation leaves the two val fields empty.
    public var csv: String {
        func field(_ value: Double?) -> String { value.map { String(format: "%.6f", $0) } ?? "" }
        return ([History.header] + records.map { r in
            String(format: "%d,%.6f,%.6f,", r.epoch, r.trainLoss, r.trainAccuracy)
                + "\(field(r.validationLoss)),\(field(r.validationAccuracy)),"
                + String(format: "%.3f", r.seconds)
        }).joined(separator: "\n") + "\n"
    }

    /// The epoch with the best validation accuracy, or the last epoch when the run had no validation.
    public var best: EpochRecord? {
        records.contains { $0.validationAccuracy != nil }
            ? records.max { ($0.validationAccuracy ?? -1) < ($1.validationAccuracy ?? -1) }
            : records.last
    }

    /// Parses CSV text as written by `csv`.
    public init(csv text: String) throws {
        let lines = text.split(whereSeparator: \.isNewline)
        guard lines.first.map(String.init) == History.header else {
            throw HistoryError(description: "history.csv does not start with '\(History.header)'")
        }
        for (number, line) in lines.dropFirst().enumerated() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let malformed = HistoryError(description: "history.csv line \(number + 2) is malformed: \(line)")
            guard fields.count == 6, let epoch = Int(fields[0]), let trainLoss = Double(fields[1]),
                  let trainAccuracy = Double(fields[2]), let seconds = Double(fields[5]) else { throw malformed }
            // Both validation fields are numbers, or both are empty (no validation images).
            let validation = (Double(fields[3]), Double(fields[4]))
            guard (validation.0 != nil && validation.1 != nil) || (fields[3].isEmpty && fields[4].isEmpty) else { throw malformed }
            // Epochs count up from 1 (losses may be NaN: a run that diverged says so).
            guard epoch == (records.last?.epoch ?? 0) + 1 else {
                throw HistoryError(description: "history.csv line \(number + 2) is epoch \(epoch), expected \(((records.last?.epoch ?? 0) + 1))")
            }
            records.append(EpochRecord(epoch: epoch, trainLoss: trainLoss, trainAccuracy: trainAccuracy,
                                       validationLoss: validation.0, validationAccuracy: validation.1, seconds: seconds))
        }
    }
}

/// A history file that cannot be parsed.
public struct HistoryError: Error, CustomStringConvertible {
    /// What is wrong.
    public var description: String
}
