import DiodePhysics
import RealModule
import XCTest

/// The closed-form spectra at λ = 0 and λ = 1 (Scattering/SeparableSensitivity.swift) against
/// the generic jet composition they replace, field by field.
///
/// Tolerance: 1e-12 of the field's scale. Both paths evaluate the same
/// exact rational functions of (t₁, t₃, w) and their derivatives in
/// different orders, so they differ by rounding only: a few ulp of the
/// largest intermediate term. The scale is therefore the largest magnitude
/// among the field's components (e.g. all nine ν_jα): a small component such
/// as ν_L3 at λ = 0 far from resonance 3 is a sum of larger terms that
/// cancel and carries their absolute rounding. Near the band bottom the
/// region-2 terms Im(S* ∂₂S) are of the size of |∂w/∂U₂|/|w| =
/// d/(4√|E − U₂|) =: ρ and cancel down to the field's size, so the scale is
/// multiplied by max(1, ρ/10) (ρ ≈ 4·10³ at 1e-8 from the band bottom).
/// Measured worst case over these points: 5e-14 of the scale away from the
/// band bottom, 5e-15·ρ near it (20× margin both); against a 50-digit evaluation (mpmath) of
/// ν_j2 at two such points both paths are off by 1–6e-12 relative, i.e.
/// equally accurate. At λ = 1 the two paths agree bit for bit.
final class ScreeningLimitTests: XCTestCase {
    static let tolerance = 1e-12

    /// A model and an energy: generic random points, points below the band
    /// bottom, within 1e-8 of x₁ = 0 or x₃ = 0 (r_α = 0 exactly at x_α = 0)
    /// and of E = U₂ (where ∂w/∂U₂ diverges), on both sides.
    static func point(_ trial: Int, _ rng: inout SplitMix64, lambda: Double)
        -> (model: ScatteringModel, energy: Double, potentials: SIMD3<Double>) {
        let model = ScatteringMatrixTests.randomModel(&rng, lambda: lambda)
        let u = SIMD3(Double.random(in: -3...3, using: &rng), .random(in: -3...3, using: &rng),
                      .random(in: -3...3, using: &rng))
        let offset = Double.random(in: -1e-8...1e-8, using: &rng)
        let e: Double
        switch trial % 7 {
        case 0: e = u[1] - .random(in: 0...20, using: &rng)           // below the band bottom
        case 1: e = model.eps1 + u[0] + offset                         // x₁ ≈ 0
        case 2: e = model.eps1 + u[0]                                  // x₁ = 0 up to rounding of E
        case 3: e = u[1] + offset                                      // E ≈ U₂, either side
        case 4: e = model.eps3 + u[2] + .random(in: -0.1...0.1, using: &rng)  // near resonance 3
        case 5: e = model.eps3 + u[2] + offset                         // x₃ ≈ 0
        default: e = u[1] + .random(in: 0...80, using: &rng)
        }
        return (model, e, u)
    }

    static func scale(_ vectors: [SIMD3<Double>]) -> Double {
        vectors.map { max(abs($0.max()), abs($0.min())) }.max() ?? 0
    }

    static func components(_ n: Injectivities) -> [SIMD3<Double>] { [n.left, n.right, n.probe] }

    /// Asserts that `special` equals `generic` component-wise within
    /// `tolerance` × `amplification` × the largest magnitude among the
    /// `generic` components.
    static func compare(_ special: [SIMD3<Double>], _ generic: [SIMD3<Double>], _ field: String,
                        amplification: Double = 1,
                        file: StaticString = #filePath, line: UInt = #line) {
        let scale = Self.scale(generic) * amplification
        for (a, b) in zip(special, generic) {
            for alpha in 0..<3 {
                let error = abs(a[alpha] - b[alpha])
                XCTAssert(a[alpha].isFinite && error <= tolerance * scale,
                          "\(field)[\(alpha)]: \(a[alpha]) vs \(b[alpha]) (scale \(scale))", file: file, line: line)
            }
        }
    }

    func checkLimit(lambda: Double, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for trial in 0..<300 {
            let (model, e, u) = Self.point(trial, &rng, lambda: lambda)
            let context = "λ=\(lambda) E=\(e) U=\(u) ε=(\(model.eps1), \(model.eps3)) Γ=(\(model.gamma1), \(model.gamma3)) d=\(model.d)"
            let special = model.screeningSpectrum(energy: e, potentials: u)
            let generic = model.genericScreeningSpectrum(energy: e, potentials: u)
            let ts = special.transmissions, tg = generic.transmissions
            let fields: [(String, [SIMD3<Double>], [SIMD3<Double>])] = [
                ("transmissions", [SIMD3(ts.leftRight, ts.leftProbe, ts.rightProbe)],
                 [SIMD3(tg.leftRight, tg.leftProbe, tg.rightProbe)]),
                ("transmission gradients",
                 [special.leftRightGradient, special.leftProbeGradient, special.rightProbeGradient],
                 [generic.leftRightGradient, generic.leftProbeGradient, generic.rightProbeGradient]),
                ("ν", Self.components(special.injectivities), Self.components(generic.injectivities)),
                ("∂ν/∂U₁", Self.components(special.injectivitiesByU1), Self.components(generic.injectivitiesByU1)),
                ("∂ν/∂U₃", Self.components(special.injectivitiesByU3), Self.components(generic.injectivitiesByU3)),
                ("first-order ν", Self.components(model.injectivities(energy: e, potentials: u)),
                 Self.components(model.genericInjectivities(energy: e, potentials: u))),
            ]
            // ρ = |∂w/∂U₂|/|w|, the size of the region-2 terms that cancel near E = U₂.
            let rho = model.d / (4 * abs(e - u[1]).squareRoot())
            let amplification = max(1, rho / 10)
            for (name, a, b) in fields {
                Self.compare(a, b, "\(name) \(context)", amplification: amplification)
            }
            // The spectrum's ν and the first-order ν are the same quantity.
            Self.compare(Self.components(model.injectivities(energy: e, potentials: u)),
                         Self.components(special.injectivities), "ν (first order vs spectrum) \(context)",
                         amplification: amplification)
        }
    }

    func testCoherentLimitMatchesTheGenericJets() { checkLimit(lambda: 0, seed: 101) }

    func testThermalisedLimitMatchesTheGenericJets() { checkLimit(lambda: 1, seed: 103) }

    /// The partial densities of states Σ_j ν_jα: at λ = 0 above the band
    /// bottom from the Krein–Friedel closed form (∂ ln det S), elsewhere the
    /// sum of the injectivities; against the sum of the generic jets'
    /// injectivities at the same points (including E within 1e-8 of U₂, of
    /// x₁ = 0 and of x₃ = 0), to the same tolerance as the other closed forms.
    func testPartialDensitiesMatchTheSumOfTheGenericInjectivities() {
        for (lambda, seed) in [(0.0, 107 as UInt64), (1.0, 109), (0.4, 113)] {
            var rng = SplitMix64(seed: seed)
            for trial in 0..<700 {
                let (model, e, u) = Self.point(trial, &rng, lambda: lambda)
                let generic = model.genericInjectivities(energy: e, potentials: u)
                let rho = model.d / (4 * abs(e - u[1]).squareRoot())
                Self.compare([model.partialDensities(energy: e, potentials: u)], [generic.total],
                             "Σ_j ν_jα λ=\(lambda) E=\(e) U=\(u) ε=(\(model.eps1), \(model.eps3)) d=\(model.d)",
                             amplification: max(1, rho / 10) * Self.scale(Self.components(generic))
                                 / max(Self.scale([generic.total]), .leastNormalMagnitude))
            }
        }
    }

    /// At x₁ = 0 exactly, r₁ = 0: the closed forms must not divide by it.
    func testExactZeroOfTheReflection() {
        for lambda in [0.0, 1.0] {
            let model = ScatteringModel(eps1: 2.5, gamma1: 1, eps3: 7.25, gamma3: 0.5, d: 1.5, lambda: lambda)
            let u = SIMD3(0.5, -0.25, 0.75)
            let e = model.eps1 + u[0]   // 3.0 exactly: x₁ = 0, r₁ = 0
            XCTAssertEqual(ScatteringModel.barrier(x: e - model.eps1 - u[0], gamma: 1).r.length, 0)
            let special = model.screeningSpectrum(energy: e, potentials: u)
            let generic = model.genericScreeningSpectrum(energy: e, potentials: u)
            Self.compare(Self.components(special.injectivitiesByU1), Self.components(generic.injectivitiesByU1),
                         "∂ν/∂U₁ λ=\(lambda)")
            Self.compare(Self.components(special.injectivities), Self.components(generic.injectivities), "ν λ=\(lambda)")
            Self.compare(Self.components(model.injectivities(energy: e, potentials: u)),
                         Self.components(model.genericInjectivities(energy: e, potentials: u)), "first-order ν")
        }
    }
}
