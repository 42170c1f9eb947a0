import Foundation

/// A dense, row-major Float32 array with a shape; images are laid out NCHW
/// (N = batch, C = channels, H = rows, W = columns).
public struct Tensor: Equatable, Sendable {
    /// The size of each dimension, outermost first.
    public private(set) var shape: [Int]
    /// The elements in row-major order; `scalars.count == shape.product`.
    public var scalars: [Float]

    /// A tensor holding `scalars` with the given `shape`.
    public init(shape: [Int], scalars: [Float]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        precondition(shape.elementCount == scalars.count,
                     "shape \(shape) needs \(shape.elementCount) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    /// A tensor of the given `shape` with every element equal to `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.elementCount))
    }

    /// A tensor of zeros.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape) }

    /// A tensor whose elements are left unset, for kernels that overwrite every element
    /// (saves a pass over memory that zero-filling large activations would cost).
    public static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, scalars: [Float](unsafeUninitializedCapacity: shape.elementCount) { _, count in
            count = shape.elementCount
        })
    }

    /// An empty tensor, used where a pass has nothing to return.
    public static let empty = Tensor(shape: [0])

    /// The number of elements.
    public var count: Int { scalars.count }

    /// The number of dimensions.
    public var rank: Int { shape.count }

    /// The same elements viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, scalars: scalars)
    }

    /// Sets every element to zero, keeping the shape.
    public mutating func zero() {
        scalars.withUnsafeMutableBufferPointer { buffer in
            buffer.update(repeating: 0)
        }
    }

    /// The element at a multi-dimensional index (slow; for tests and small code).
    public subscript(_ index: Int...) -> Float {
        get { scalars[offset(index)] }
        set { scalars[offset(index)] = newValue }
    }

    private func offset(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
        var offset = 0
        for (i, dimension) in zip(index, shape) {
            precondition(i >= 0 && i < dimension, "index \(index) out of range for shape \(shape)")
            offset = offset * dimension + i
        }
        return offset
    }

    /// The rows `range` of the outermost dimension (e.g. a slice of a batch).
    public func slice(_ range: Range<Int>) -> Tensor {
        precondition(rank >= 1 && range.lowerBound >= 0 && range.upperBound <= shape[0])
        let inner = shape.dropFirst().elementCount
        return Tensor(shape: [range.count] + shape.dropFirst(),
                      scalars: Array(scalars[range.lowerBound * inner ..< range.upperBound * inner]))
    }
}

extension Tensor: CustomStringConvertible {
    /// A short description: the shape and the first few values.
    public var description: String {
        let head = scalars.prefix(8).map { String(format: "%.4g", $0) }.joined(separator: ", ")
        return "Tensor(\(shape): [\(head)\(count > 8 ? ", …" : "")])"
    }
}

extension Collection where Element == Int {
    /// The product of the dimensions: the element count of a shape.
    public var elementCount: Int { reduce(1, *) }
}
