import Data
import Tensor

/// How many images to hold out for validation: a fraction of each class, or a total count shared
/// among the classes in proportion to their sizes.
public enum ValidationSize: Equatable, Sendable, CustomStringConvertible {
    /// This fraction (0 < f < 1) of every class.
    case fraction(Double)
    /// This many images in all.
    case count(Int)

    /// `--validation`'s value: below 1 a fraction, from 1 up a count (0: no validation).
    public init(_ value: Double) throws {
        guard value.isFinite, value >= 0 else { throw ImageFolderError("--validation must be a fraction below 1 or a count of images, got \(value)") }
        if value < 1 {
            self = .fraction(value)
        } else {
            guard value == value.rounded(), value <= 1e9 else {
                throw ImageFolderError("--validation from 1 up is a count of images and must be a whole number, got \(value)")
            }
            self = .count(Int(value))
        }
    }

    public var description: String {
        switch self {
        case .fraction(let f): return String(format: "%g%% of each class", f * 100)
        case .count(let n): return "\(n) images"
        }
    }
}

extension ImageSet {
    /// A seeded split stratified by class: each class contributes its share of validation images
    /// (at least one from each class of two or more when any are asked for, never all of a class),
    /// drawn at random from `seed`. Returns sorted image indices.
    public func stratifiedSplit(_ size: ValidationSize, classes: Int, seed: UInt64) throws -> (train: [Int], validation: [Int]) {
        var members = [[Int]](repeating: [], count: classes)
        for (i, label) in labels.enumerated() { members[label].append(i) }
        let counts = members.map(\.count)
        var quota: [Int]
        switch size {
        case .fraction(let f):
            quota = counts.map { Int((f * Double($0)).rounded()) }
        case .count(let n):
            guard n < count else {
                throw ImageFolderError("--validation \(n) would leave no training images (there are \(count))")
            }
            let exact = counts.map { Double(n) * Double($0) / Double(count) }
            quota = exact.map { Int($0.rounded(.down)) }
            let remainders = exact.indices.sorted { exact[$0] - Double(quota[$0]) > exact[$1] - Double(quota[$1]) }
            for c in remainders.prefix(n - quota.reduce(0, +)) { quota[c] += 1 }
        }
        let wanted = size != .fraction(0) && size != .count(0)
        for c in 0 ..< classes {
            if wanted && counts[c] >= 2 { quota[c] = max(1, quota[c]) }
            quota[c] = min(quota[c], max(0, counts[c] - 1))
        }
        var train: [Int] = [], validation: [Int] = []
        for c in 0 ..< classes {
            var generator = SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(c))
            let shuffled = members[c].shuffled(using: &generator)
            validation += shuffled.prefix(quota[c])
            train += shuffled.dropFirst(quota[c])
        }
        return (train.sorted(), validation.sorted())
    }
}
