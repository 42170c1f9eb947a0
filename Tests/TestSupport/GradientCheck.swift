import NN
import Tensor
import XCTest

/// Finite-difference checks of a layer's backward pass.
///
/// For a layer f and a fixed random r, L(x, θ) = Σ f(x; θ) · r; the analytic dL/dx (from
/// `backward(r)`) and dL/dθ are compared with central differences (L(v+h) − L(v−h)) / 2h,
/// with L summed in Double and evaluated in `phase` (training for layers whose training output
/// differs, such as batch norm with its batch statistics).
public enum GradientCheck {
    /// L(x) = Σ f(x) · r.
    static func objective(_ layer: any Layer, _ x: Tensor, _ r: Tensor, _ phase: Phase) -> Double {
        let y = layer.forward(x, phase: phase)
        return zip(y.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    /// Checks dL/dx and every parameter gradient of `layer` at `x` with step `h`; each element
    /// must agree within `tolerance` × max(1, |estimate|).
    public static func check(_ layer: any Layer, input x: Tensor, h: Float, tolerance: Float, phase: Phase,
                             file: StaticString = #filePath, line: UInt = #line) {
        let y = layer.forward(x, phase: .training)
        var g = SeededGenerator(seed: 99)
        let r = Initializer.uniform(shape: y.shape, limit: 1, using: &g)
        layer.zeroGradients()
        let dx = layer.backward(r, needsInputGradient: true)
        XCTAssertEqual(dx.shape, x.shape, file: file, line: line)
        var input = x
        func numeric(_ value: () -> Float, _ set: (Float) -> Void) -> Float {
            let original = value()
            set(original + h); let plus = objective(layer, input, r, phase)
            set(original - h); let minus = objective(layer, input, r, phase)
            set(original)
            return Float((plus - minus) / Double(2 * h))
        }
        for i in 0..<x.count {
            let estimate = numeric({ input.scalars[i] }, { input.scalars[i] = $0 })
            XCTAssertEqual(dx.scalars[i], estimate, accuracy: tolerance * max(1, abs(estimate)),
                           "dx[\(i)]", file: file, line: line)
        }
        for (name, parameter) in layer.parameters {
            let analytic = parameter.gradient
            for i in 0..<parameter.value.count {
                let estimate = numeric({ parameter.value.scalars[i] }, { parameter.value.scalars[i] = $0 })
                XCTAssertEqual(analytic.scalars[i], estimate, accuracy: tolerance * max(1, abs(estimate)),
                               "\(name)[\(i)]", file: file, line: line)
            }
        }
    }
}
