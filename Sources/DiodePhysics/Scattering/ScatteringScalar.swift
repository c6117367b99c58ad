import ComplexModule
import RealModule

/// The arithmetic the device scattering matrix is written in.
///
/// The composition of the device matrix (``DeviceMatrix``) is written once,
/// generically over this protocol, and instantiated twice:
/// - `Complex<Double>`: the amplitudes themselves (the fast path);
/// - ``AmplitudeJet``: an amplitude together with its exact partial
///   derivatives with respect to the potentials (U₁, U₂, U₃) (forward-mode
///   automatic differentiation), for the injectivities of the screening model.
public protocol ScatteringScalar: Sendable {
    /// A constant (all derivatives zero).
    init(constant: Complex<Double>)
    static func + (lhs: Self, rhs: Self) -> Self
    static func - (lhs: Self, rhs: Self) -> Self
    static func * (lhs: Self, rhs: Self) -> Self
    static func / (lhs: Self, rhs: Self) -> Self
    /// Multiplication by a real constant.
    func scaled(by factor: Double) -> Self
    /// The amplitude itself (the value part).
    var amplitude: Complex<Double> { get }
}

extension Complex: ScatteringScalar where RealType == Double {
    @inlinable @inline(__always)
    public init(constant: Complex<Double>) { self = constant }

    /// (From the raw components: `real` and `imaginary` test for
    /// finiteness on every read; the result differs only for non-finite
    /// values, where it is not finite either.)
    @inlinable @inline(__always)
    public func scaled(by factor: Double) -> Complex<Double> {
        let (x, y) = rawStorage
        return Complex(x * factor, y * factor)
    }

    @inlinable @inline(__always)
    public var amplitude: Complex<Double> { self }
}

/// A complex amplitude with its exact first derivatives with respect to the
/// three region potentials: `value` = S, `d1`, `d2`, `d3` = ∂S/∂U₁, ∂S/∂U₂, ∂S/∂U₃.
///
/// Arithmetic follows the sum, product and quotient rules, so any rational
/// expression in jets carries its exact (to rounding) gradient.
@frozen
public struct AmplitudeJet: ScatteringScalar, Hashable {
    public var value: Complex<Double>
    public var d1: Complex<Double>
    public var d2: Complex<Double>
    public var d3: Complex<Double>

    @inlinable
    public init(value: Complex<Double>, d1: Complex<Double>, d2: Complex<Double>, d3: Complex<Double>) {
        self.value = value
        self.d1 = d1
        self.d2 = d2
        self.d3 = d3
    }

    @inlinable
    public init(constant: Complex<Double>) {
        self.init(value: constant, d1: .zero, d2: .zero, d3: .zero)
    }

    /// The derivative with respect to U_α, α ∈ {1, 2, 3}.
    @inlinable
    public func partial(_ alpha: Int) -> Complex<Double> {
        switch alpha {
        case 1: return d1
        case 2: return d2
        case 3: return d3
        // A programming error, unreachable from any physical input: the
        // solvers never call this (they read d1, d2, d3); its callers (tests)
        // pass region indices 1…3.
        default: preconditionFailure("region index \(alpha) is not 1, 2 or 3")
        }
    }

    @inlinable public var amplitude: Complex<Double> { value }

    @inlinable
    public static func + (lhs: AmplitudeJet, rhs: AmplitudeJet) -> AmplitudeJet {
        AmplitudeJet(value: lhs.value + rhs.value, d1: lhs.d1 + rhs.d1,
                     d2: lhs.d2 + rhs.d2, d3: lhs.d3 + rhs.d3)
    }

    @inlinable
    public static func - (lhs: AmplitudeJet, rhs: AmplitudeJet) -> AmplitudeJet {
        AmplitudeJet(value: lhs.value - rhs.value, d1: lhs.d1 - rhs.d1,
                     d2: lhs.d2 - rhs.d2, d3: lhs.d3 - rhs.d3)
    }

    @inlinable
    public static func * (lhs: AmplitudeJet, rhs: AmplitudeJet) -> AmplitudeJet {
        AmplitudeJet(value: lhs.value * rhs.value,
                     d1: lhs.d1 * rhs.value + lhs.value * rhs.d1,
                     d2: lhs.d2 * rhs.value + lhs.value * rhs.d2,
                     d3: lhs.d3 * rhs.value + lhs.value * rhs.d3)
    }

    /// (a/b)' = (a' − (a/b)·b') / b.
    @inlinable
    public static func / (lhs: AmplitudeJet, rhs: AmplitudeJet) -> AmplitudeJet {
        let inverse = Complex<Double>(1) / rhs.value
        let quotient = lhs.value * inverse
        return AmplitudeJet(value: quotient,
                            d1: (lhs.d1 - quotient * rhs.d1) * inverse,
                            d2: (lhs.d2 - quotient * rhs.d2) * inverse,
                            d3: (lhs.d3 - quotient * rhs.d3) * inverse)
    }

    @inlinable
    public func scaled(by factor: Double) -> AmplitudeJet {
        AmplitudeJet(value: value.scaled(by: factor), d1: d1.scaled(by: factor),
                     d2: d2.scaled(by: factor), d3: d3.scaled(by: factor))
    }
}
