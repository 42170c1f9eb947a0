/// Stops a run when validation accuracy has not improved for `patience` consecutive epochs
/// (Keras's `EarlyStopping(mode: "max", min_delta:, patience:)`).
///
/// An epoch improves when its accuracy exceeds `best` by more than `minDelta`; then it becomes
/// the new `best` and the count of epochs without improvement restarts at 0. Otherwise the count
/// grows by one, and the run should stop once it reaches `patience`. The first observation always
/// improves. Codable (as finite JSON numbers), so a resumed run continues where it stopped.
public struct EarlyStopping: Codable, Equatable, Sendable {
    /// Epochs without improvement after which the run stops.
    public let patience: Int
    /// How much an accuracy must exceed `best` to count as an improvement.
    public let minDelta: Double
    /// The best accuracy seen so far (−Double.greatestFiniteMagnitude before the first observation).
    public private(set) var best = -Double.greatestFiniteMagnitude
    /// Consecutive epochs since the last improvement.
    public private(set) var epochsWithoutImprovement = 0

    /// Early stopping after `patience` epochs without an improvement larger than `minDelta`.
    public init(patience: Int, minDelta: Double = 0) {
        precondition(patience >= 0, "patience must not be negative")
        precondition(minDelta >= 0, "minDelta must not be negative")
        self.patience = patience
        self.minDelta = minDelta
    }

    /// Records one epoch; an epoch without validation accuracy never stops the run.
    public mutating func observe(_ record: EpochRecord) -> Bool {
        record.validationAccuracy.map { observe($0) } ?? false
    }

    /// Records one epoch's validation accuracy; returns true when the run should stop.
    public mutating func observe(_ validationAccuracy: Double) -> Bool {
        if validationAccuracy - minDelta > best {
            best = validationAccuracy
            epochsWithoutImprovement = 0
            return false
        }
        epochsWithoutImprovement += 1
        return epochsWithoutImprovement >= patience
    }
}
