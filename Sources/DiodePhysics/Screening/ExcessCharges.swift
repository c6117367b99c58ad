import RealModule

/// The energy window of the charge integrals (docs/physics.md §0 "Screening"):
/// W = [min(μ − 40 T_max, −10), μ + 40 T_max], T_max = max(T_L, T_R). The
/// lower edge is never closer than 10 k_B T to the equilibrium band bottom.
@inlinable
public func chargeWindow(mu: Double, leftTemperature: Double, rightTemperature: Double) -> (lower: Double, upper: Double) {
    let hottest = Swift.max(leftTemperature, rightTemperature)
    return (Swift.min(mu - chargeWindowTemperatures * hottest, -10), mu + chargeWindowTemperatures * hottest)
}

/// Half-width of the charge window above and below μ, in units of T_max.
public let chargeWindowTemperatures = 40.0

/// The distributions the charges are computed with. Without a probe
/// (λ = 0) `probe` is irrelevant (ν_pα ≡ 0) and may be any distribution.
@frozen
public struct ChargeReservoirs: Sendable, Hashable {
    public var left: FermiDistribution
    public var right: FermiDistribution
    public var probe: FermiDistribution
    /// f_eq = Fermi(μ, 1).
    public var equilibrium: FermiDistribution

    @inlinable
    public init(left: FermiDistribution, right: FermiDistribution, probe: FermiDistribution? = nil) {
        self.left = left
        self.right = right
        self.probe = probe ?? left
        self.equilibrium = FermiDistribution(mu: left.mu, temperature: 1)
    }

    /// Σ_j ν_jα f_j(E).
    @inlinable @inline(__always)
    public func occupied(_ nu: Injectivities, energy e: Double) -> SIMD3<Double> {
        nu.left * left(e).occupation + nu.right * right(e).occupation + nu.probe * probe(e).occupation
    }
}

/// The integrand of the two-integral form (docs/physics.md §0) of the excess charges, as
/// written there (the reference form: four injectivity evaluations per
/// energy). Components 0–2: the first integral, 3–5: the second, per α:
///
///     first_α(E)  = Σ_j ν_jα(E, U) f_j(E) − ν_α(E − U_α, 0) f_eq(E)
///     second_α(E) = ν_α(E, 0) [f_eq(E + U_α) − f_eq(E)]
@frozen
public struct TwoIntegralChargeIntegrand: VectorIntegrand {
    public var model: ScatteringModel
    public var potentials: SIMD3<Double>
    public var reservoirs: ChargeReservoirs

    @inlinable
    public init(model: ScatteringModel, potentials: SIMD3<Double>, reservoirs: ChargeReservoirs) {
        self.model = model; self.potentials = potentials; self.reservoirs = reservoirs
    }

    @inlinable
    public func callAsFunction(_ e: Double) -> SIMD8<Double> {
        let u = potentials
        let occupied = reservoirs.occupied(model.injectivities(energy: e, potentials: u), energy: e)
        let feq = reservoirs.equilibrium(e)
        var result = SIMD8<Double>.zero
        for alpha in 0..<3 {
            let shifted = model.injectivities(energy: e - u[alpha]).total[alpha]
            result[alpha] = occupied[alpha] - shifted * feq.occupation
        }
        let equilibrium = model.injectivities(energy: e).total
        for alpha in 0..<3 {
            let change = FermiValue.difference(reservoirs.equilibrium(e + u[alpha]), feq)
            result[3 + alpha] = equilibrium[alpha] * change
        }
        return result
    }
}

/// Σ_j ν_jα(E, U) f_j(E), α = 1, 2, 3 (the U-dependent part of the charges).
@frozen
public struct OccupiedStatesIntegrand: VectorIntegrand {
    public var model: ScatteringModel
    public var potentials: SIMD3<Double>
    public var reservoirs: ChargeReservoirs

    @inlinable
    public init(model: ScatteringModel, potentials: SIMD3<Double>, reservoirs: ChargeReservoirs) {
        self.model = model; self.potentials = potentials; self.reservoirs = reservoirs
    }

    @inlinable
    public func callAsFunction(_ e: Double) -> SIMD4<Double> {
        let n = reservoirs.occupied(model.injectivities(energy: e, potentials: potentials), energy: e)
        return SIMD4(n[0], n[1], n[2], 0)
    }
}

/// ν_α(E, 0) f_eq(E), α = 1, 2, 3: the integrand of N_α^eq (every
/// terminal at equilibrium, so one Fermi function and the partial densities
/// of states ``ScatteringModel/partialDensities(energy:potentials:)``).
@frozen
public struct EquilibriumStatesIntegrand: VectorIntegrand {
    public var model: ScatteringModel
    public var equilibrium: FermiDistribution

    @inlinable
    public init(model: ScatteringModel, equilibrium: FermiDistribution) {
        self.model = model; self.equilibrium = equilibrium
    }

    @inlinable
    public func callAsFunction(_ e: Double) -> SIMD4<Double> {
        let n = model.partialDensities(energy: e) * equilibrium(e).occupation
        return SIMD4(n[0], n[1], n[2], 0)
    }
}

/// ν_α(E, 0) f(E + shift) and ν_α(E, 0) ∂f/∂E(E + shift) for one region α:
/// the edge terms of the charges and their derivatives.
@frozen
public struct ShiftedEquilibriumIntegrand: VectorIntegrand {
    public var model: ScatteringModel
    public var distribution: FermiDistribution
    public var shift: Double
    public var region: Int

    @inlinable
    public init(model: ScatteringModel, distribution: FermiDistribution, shift: Double, region: Int) {
        self.model = model; self.distribution = distribution; self.shift = shift; self.region = region
    }

    @inlinable
    public func callAsFunction(_ e: Double) -> SIMD2<Double> {
        let nu = model.partialDensities(energy: e)[region]
        let f = distribution(e + shift)
        return SIMD2(nu * f.occupation, -nu * f.spread / distribution.temperature)
    }
}

/// The excess electrons n_α(U) of the three regions (docs/physics.md §0, Eq. 7, spin
/// factor 2) and the pieces the screening solver assembles them from.
///
/// docs/physics.md §0 defines
///
///     n_α(U) = 2 ∫_W [Σ_j ν_jα(E, U) f_j(E) − ν_α(E − U_α, 0) f_eq(E)] dE
///            + 2 ∫_W ν_α(E, 0) [f_eq(E + U_α) − f_eq(E)] dE,        W = [a, b].
///
/// Substituting E → E + U_α in the subtracted term of the first integral
/// (exact, same window) turns the sum of its two U-independent-device terms
/// into integrals of the *equilibrium* device only:
///
///     n_α(U) = 2 ∫_W Σ_j ν_jα(E, U) f_j(E) dE − 2 N_α^eq
///            + 2 ∫_{b−U_α}^{b} ν_α(E, 0) f_eq(E + U_α) dE
///            − 2 ∫_{a−U_α}^{a} ν_α(E, 0) f_eq(E + U_α) dE,
///
/// with N_α^eq = ∫_W ν_α(E, 0) f_eq(E) dE. This is the form the solver uses:
/// N^eq is computed once per (device, window), the two edge terms are short
/// integrals at the window edges, and each Newton step needs only one pass
/// over W with one device matrix per energy. ``twoIntegralForm(potentials:reservoirs:)``
/// evaluates the form of docs/physics.md §0 literally; the tests check that both agree.
public struct ExcessCharges: Sendable {
    public let model: ScatteringModel
    /// The charge window W.
    public let window: (lower: Double, upper: Double)
    /// f_eq = Fermi(μ, 1).
    public let equilibrium: FermiDistribution
    /// Relative quadrature tolerance of every charge integral.
    public var relativeTolerance: Double
    /// Absolute quadrature tolerance (electrons), for integrals that vanish.
    public var absoluteTolerance: Double
    @usableFromInline var quadrature4: AdaptiveQuadrature<SIMD4<Double>>
    @usableFromInline var quadrature2: AdaptiveQuadrature<SIMD2<Double>>
    @usableFromInline var grading = SquareRootGrading()
    @usableFromInline var scratch: [Double] = []
    @usableFromInline var features = EnergyBreakpoints()

    public init(model: ScatteringModel, mu: Double, leftTemperature: Double, rightTemperature: Double,
                relativeTolerance: Double = 1e-12, absoluteTolerance: Double = 1e-15,
                maximumEvaluations: Int = 400_000) {
        self.model = model
        self.window = chargeWindow(mu: mu, leftTemperature: leftTemperature, rightTemperature: rightTemperature)
        self.equilibrium = FermiDistribution(mu: mu, temperature: 1)
        self.relativeTolerance = relativeTolerance
        self.absoluteTolerance = absoluteTolerance
        self.quadrature4 = AdaptiveQuadrature(maximumEvaluations: maximumEvaluations)
        self.quadrature2 = AdaptiveQuadrature(maximumEvaluations: maximumEvaluations)
        scratch.reserveCapacity(128)
    }

    /// The energy features (band bottom, Breit–Wigner peaks, Fabry–Pérot
    /// states, Fermi edges) of the device at potentials `u` within the window.
    mutating func featurePoints(potentials u: SIMD3<Double>, reservoirs: ChargeReservoirs?) -> [Double] {
        var leads = [equilibrium]
        if let reservoirs { leads = [reservoirs.left, reservoirs.right, reservoirs.equilibrium] }
        features.reset(model: model, potentials: u, leads: leads, range: window.lower...window.upper)
        features.update(window: window.lower, window.upper,
                        moving: model.lambda > 0 ? reservoirs?.probe : nil)
        return features.points
    }

    /// N_α^eq = ∫_W ν_α(E, 0) f_eq(E) dE (one spin; no factor 2).
    public mutating func equilibriumStates() -> (value: SIMD3<Double>, converged: Bool) {
        let states = equilibriumStates(startingFrom: nil)
        return (states.value, states.converged)
    }

    /// N_α^eq with its quadrature started from `partition` (see
    /// ``AdaptiveQuadrature``), and the final partition (nil when the
    /// quadrature did not converge).
    public mutating func equilibriumStates(startingFrom partition: QuadraturePartition?)
        -> (value: SIMD3<Double>, converged: Bool, partition: QuadraturePartition?) {
        let points = featurePoints(potentials: .zero, reservoirs: nil)
        let integrand = EquilibriumStatesIntegrand(model: model, equilibrium: equilibrium)
        let r = quadrature4.integrateGraded(
            integrand, lower: window.lower, upper: window.upper, roots: SIMD4(0, 0, 0, 0), rootCount: 1,
            features: points, relativeTolerance: SIMD4(repeating: relativeTolerance),
            absoluteTolerance: SIMD4(repeating: absoluteTolerance), grading: &grading, scratch: &scratch,
            startingFrom: partition)
        return (SIMD3(r.value[0], r.value[1], r.value[2]), r.converged, r.converged ? quadrature4.partition : nil)
    }

    /// |U|·f_eq below which an edge term is skipped (see ``edgeTerms(potentials:)``).
    static var negligibleEdgeWeight: Double { 1e-24 }

    /// The edge terms E_α(U_α) = ∫_{b−U_α}^{b} ν_α(E,0) f_eq(E+U_α) dE − ∫_{a−U_α}^{a} ν_α(E,0) f_eq(E+U_α) dE
    /// and their derivatives dE_α/dU_α (one spin; no factor 2).
    public mutating func edgeTerms(potentials u: SIMD3<Double>) -> (value: SIMD3<Double>, derivative: SIMD3<Double>, converged: Bool) {
        var value = SIMD3<Double>.zero, derivative = SIMD3<Double>.zero
        var converged = true
        for alpha in 0..<3 where u[alpha] != 0 {
            let shift = u[alpha]
            let integrand = ShiftedEquilibriumIntegrand(model: model, distribution: equilibrium, shift: shift,
                                                        region: alpha)
            for (edge, sign) in [(window.upper, 1.0), (window.lower, -1.0)] {
                // Where f_eq(E + U) over the whole interval (E + U between
                // edge and edge + U) is below 1e-24/|U|, the term and its
                // derivative are below 1e-18 for any ν ≤ 1e6 (Γ ≳ 3e-7), far
                // under the absolute tolerance: at ΔT ≥ 1 the upper edge
                // μ + 40 T_max sits ≥ 80 k_B T above μ, f_eq ~ e^{−80}, and
                // its 21-point quadrature per region and pass is skipped.
                if abs(shift) * equilibrium(Swift.min(edge, edge + shift)).occupation <= Self.negligibleEdgeWeight {
                    continue
                }
                // ∫_{edge−U}^{edge}: oriented, so a negative U flips the sign.
                let (lo, hi, orientation) = shift > 0 ? (edge - shift, edge, 1.0) : (edge, edge - shift, -1.0)
                // d/dU ∫_{edge−U}^{edge} g(E) f(E+U) dE = g(edge−U) f(edge) + ∫ g f′(E+U) dE.
                let boundary = model.partialDensities(energy: edge - shift)[alpha] * equilibrium(edge).occupation
                guard hi > lo else {
                    // |U| below half the rounding unit of the edge: edge − U
                    // rounds to the edge and the interval is not representable
                    // (a quadrature over [edge, edge] would give 0). One-point
                    // rule, exact to O(U²): ∫ ≈ U·g(edge)f(edge + U).
                    let g = integrand(edge)
                    value[alpha] += sign * shift * g[0]
                    derivative[alpha] += sign * (boundary + shift * g[1])
                    continue
                }
                let r = quadrature2.integrateGraded(
                    integrand, lower: lo, upper: hi, roots: SIMD4(0, 0, 0, 0), rootCount: 1, features: [],
                    relativeTolerance: SIMD2(repeating: relativeTolerance),
                    absoluteTolerance: SIMD2(repeating: absoluteTolerance), grading: &grading, scratch: &scratch)
                converged = converged && r.converged
                value[alpha] += sign * orientation * r.value[0]
                derivative[alpha] += sign * (boundary + orientation * r.value[1])
            }
        }
        return (value, derivative, converged)
    }

    /// ∫_W Σ_j ν_jα(E, U) f_j(E) dE (one spin; no factor 2).
    public mutating func occupiedStates(potentials u: SIMD3<Double>, reservoirs: ChargeReservoirs)
        -> (value: SIMD3<Double>, converged: Bool) {
        let points = featurePoints(potentials: u, reservoirs: reservoirs)
        let integrand = OccupiedStatesIntegrand(model: model, potentials: u, reservoirs: reservoirs)
        let r = quadrature4.integrateGraded(
            integrand, lower: window.lower, upper: window.upper, roots: SIMD4(u[1], 0, 0, 0), rootCount: 1,
            features: points, relativeTolerance: SIMD4(repeating: relativeTolerance),
            absoluteTolerance: SIMD4(repeating: absoluteTolerance), grading: &grading, scratch: &scratch)
        return (SIMD3(r.value[0], r.value[1], r.value[2]), r.converged)
    }

    /// n_α(U) in the solver's form (see the type's documentation), with the
    /// spin factor 2.
    public mutating func charges(potentials u: SIMD3<Double>, reservoirs: ChargeReservoirs) -> (value: SIMD3<Double>, converged: Bool) {
        let occupied = occupiedStates(potentials: u, reservoirs: reservoirs)
        let reference = equilibriumStates()
        let edges = edgeTerms(potentials: u)
        return (2 * (occupied.value - reference.value + edges.value),
                occupied.converged && reference.converged && edges.converged)
    }

    /// The two-integral form of docs/physics.md §0 evaluated literally (the reference): the
    /// first and the second integral separately, each with the factor 2;
    /// n_α = first_α + second_α.
    public mutating func twoIntegralForm(potentials u: SIMD3<Double>, reservoirs: ChargeReservoirs)
        -> (first: SIMD3<Double>, second: SIMD3<Double>, converged: Bool) {
        // Features of S(E, U), of S(E − U_α, 0) = S(E, U_α·(1,1,1)) and of S(E, 0).
        var points = featurePoints(potentials: u, reservoirs: reservoirs)
        for alpha in 0..<3 {
            points += featurePoints(potentials: SIMD3(repeating: u[alpha]), reservoirs: nil)
            points.append(equilibrium.mu - u[alpha])
        }
        points += featurePoints(potentials: .zero, reservoirs: nil)
        points.sort()
        var quadrature = AdaptiveQuadrature<SIMD8<Double>>(maximumEvaluations: quadrature4.maximumEvaluations)
        let r = quadrature.integrateGraded(
            TwoIntegralChargeIntegrand(model: model, potentials: u, reservoirs: reservoirs),
            lower: window.lower, upper: window.upper, roots: SIMD4(0, u[0], u[1], u[2]), rootCount: 4,
            features: points, relativeTolerance: SIMD8(repeating: relativeTolerance),
            absoluteTolerance: SIMD8(repeating: absoluteTolerance), grading: &grading, scratch: &scratch)
        return (2 * SIMD3(r.value[0], r.value[1], r.value[2]), 2 * SIMD3(r.value[3], r.value[4], r.value[5]),
                r.converged)
    }
}
