import Tensor

/// Weight initialisers, matching Keras's defaults.
public enum Initializer {
    /// Glorot (Xavier) uniform: U(−l, l) with l = √(6 / (fanIn + fanOut)), Keras's default kernel initialiser.
    public static func glorotUniform(shape: [Int], fanIn: Int, fanOut: Int,
                                     using generator: inout SeededGenerator) -> Tensor {
        let limit = (6.0 / Float(fanIn + fanOut)).squareRoot()
        return uniform(shape: shape, limit: limit, using: &generator)
    }

    /// U(−limit, limit) elementwise.
    public static func uniform(shape: [Int], limit: Float, using generator: inout SeededGenerator) -> Tensor {
        var t = Tensor(shape: shape)
        for i in 0..<t.count { t.scalars[i] = (generator.nextUnitFloat() * 2 - 1) * limit }
        return t
    }
}
