import RealModule

extension Capacitances {
    /// The right-hand side of Poisson's condition (docs/physics.md §0, Eq. 5, physical
    /// sign): Σ_{β≠α} c_αβ (U_α − U_β) + c_αg U_α, per region α.
    @inlinable
    public func inducedCharges(_ u: SIMD3<Double>) -> SIMD3<Double> {
        SIMD3(c12 * (u[0] - u[1]) + c13 * (u[0] - u[2]) + c1g * u[0],
              c12 * (u[1] - u[0]) + c23 * (u[1] - u[2]) + c2g * u[1],
              c13 * (u[2] - u[0]) + c23 * (u[2] - u[1]) + c3g * u[2])
    }

    /// ∂(inducedCharges)_α/∂U_β: the (symmetric) capacitance matrix, α, β ∈ {0, 1, 2}.
    @inlinable
    public func matrix(_ alpha: Int, _ beta: Int) -> Double {
        switch (alpha, beta) {
        case (0, 0): return c12 + c13 + c1g
        case (1, 1): return c12 + c23 + c2g
        case (2, 2): return c13 + c23 + c3g
        case (0, 1), (1, 0): return -c12
        case (0, 2), (2, 0): return -c13
        default: return -c23
        }
    }
}

/// The charge part of one energy's screening integrand, per region α:
/// Σ_j ν_jα f_j, Σ_j ∂ν_jα/∂U₁ f_j, Σ_j ∂ν_jα/∂U₃ f_j and Σ_j ν_jα ∂f_j/∂E
/// (the last for the U₂ column, see ``ScreeningSystem``).
@frozen
public struct ChargeSpectrum: Sendable {
    public var occupied: SIMD3<Double>
    public var occupiedByU1: SIMD3<Double>
    public var occupiedByU3: SIMD3<Double>
    public var slope: SIMD3<Double>

    @inlinable @inline(__always)
    init(_ s: ScreeningSpectrum, left: FermiDistribution, fl: FermiValue, right: FermiDistribution, fr: FermiValue) {
        let nu = s.injectivities, by1 = s.injectivitiesByU1, by3 = s.injectivitiesByU3
        occupied = nu.left * fl.occupation + nu.right * fr.occupation
        occupiedByU1 = by1.left * fl.occupation + by1.right * fr.occupation
        occupiedByU3 = by3.left * fl.occupation + by3.right * fr.occupation
        slope = nu.left * (-fl.spread / left.temperature) + nu.right * (-fr.spread / right.temperature)
    }

    @inlinable @inline(__always)
    mutating func addProbe(_ s: ScreeningSpectrum, probe: FermiDistribution, fp: FermiValue) {
        occupied += s.injectivities.probe * fp.occupation
        occupiedByU1 += s.injectivitiesByU1.probe * fp.occupation
        occupiedByU3 += s.injectivitiesByU3.probe * fp.occupation
        slope += s.injectivities.probe * (-fp.spread / probe.temperature)
    }
}

/// The screening Newton step without a probe (λ = 0): the charges and their
/// Jacobian, one pass over the charge window. Components (α = 1, 2, 3):
///
///     0–2  Σ_j ν_jα f_j       3–5  Σ_j ∂ν_jα/∂U₁ f_j
///     6–8  Σ_j ∂ν_jα/∂U₃ f_j  9–11 Σ_j ν_jα ∂f_j/∂E
@frozen
public struct CoherentScreeningIntegrand: VectorIntegrand {
    public var model: ScatteringModel
    public var potentials: SIMD3<Double>
    public var left: FermiDistribution, right: FermiDistribution

    @inlinable
    public init(model: ScatteringModel, potentials: SIMD3<Double>, left: FermiDistribution, right: FermiDistribution) {
        self.model = model; self.potentials = potentials; self.left = left; self.right = right
    }

    @inlinable
    public func callAsFunction(_ e: Double) -> SIMD16<Double> {
        let s = model.screeningSpectrum(energy: e, potentials: potentials)
        let c = ChargeSpectrum(s, left: left, fl: left(e), right: right, fr: right(e))
        return SIMD16(c.occupied[0], c.occupied[1], c.occupied[2],
                      c.occupiedByU1[0], c.occupiedByU1[1], c.occupiedByU1[2],
                      c.occupiedByU3[0], c.occupiedByU3[1], c.occupiedByU3[2],
                      c.slope[0], c.slope[1], c.slope[2], 0, 0, 0, 0)
    }
}

/// The residual-only pass without a probe (λ = 0): the occupied states
/// Σ_j ν_jα f_j, α = 1, 2, 3 (component 3 is zero), from the first-order
/// injectivities alone. A chord step (``NewtonSolver``, docs/physics.md §9.4)
/// needs F but not ∂F/∂U, and ν costs about two thirds of the screening
/// spectrum with its second derivatives.
@frozen
public struct CoherentChargeIntegrand: VectorIntegrand {
    public var model: ScatteringModel
    public var potentials: SIMD3<Double>
    public var left: FermiDistribution, right: FermiDistribution

    @inlinable
    public init(model: ScatteringModel, potentials: SIMD3<Double>, left: FermiDistribution, right: FermiDistribution) {
        self.model = model; self.potentials = potentials; self.left = left; self.right = right
    }

    @inlinable
    public func callAsFunction(_ e: Double) -> SIMD4<Double> {
        let nu = model.injectivities(energy: e, potentials: potentials)
        let n = nu.left * left(e).occupation + nu.right * right(e).occupation
        return SIMD4(n[0], n[1], n[2], 0)
    }
}

/// The charge pass of a split full pass with a probe (λ > 0,
/// ``ScreeningSystem/splitJacobian``): the probe currents and the occupied
/// states from the first-order injectivities and the transmissions,
///
///     0  𝓘_p    1  (E − μ_p)𝓘_p    2–4  Σ_j ν_jα f_j (j = L, R, p)
///
/// (the residual components of ``ProbeScreeningIntegrand``: 0, 1 and 12–14
/// there), with the same windows.
@frozen
public struct ProbeChargeIntegrand: VectorIntegrand {
    /// The full pass's integrand, for its device, distributions and windows.
    public var full: ProbeScreeningIntegrand

    @inlinable
    public init(_ full: ProbeScreeningIntegrand) {
        self.full = full
    }

    @inlinable
    public func callAsFunction(_ e: Double) -> SIMD8<Double> {
        let f = full
        let fl = f.left(e), fr = f.right(e), fp = f.probe(e)
        var v = SIMD8<Double>.zero
        if e >= f.currentWindow.lower && e <= f.currentWindow.upper {
            let t = f.model.transmissions(energy: e, potentials: f.potentials)
            let current = -2 * (t.leftProbe * FermiValue.difference(fl, fp) + t.rightProbe * FermiValue.difference(fr, fp))
            v[0] = current; v[1] = (e - f.probe.mu) * current
        }
        if e >= f.chargeWindow.lower && e <= f.chargeWindow.upper {
            let nu = f.model.injectivities(energy: e, potentials: f.potentials)
            let n = nu.left * fl.occupation + nu.right * fr.occupation + nu.probe * fp.occupation
            v[2] = n[0]; v[3] = n[1]; v[4] = n[2]
        }
        return v
    }
}

/// The joint probe–screening Newton step (λ > 0), one pass over the union of
/// the current and the charge windows. With θ = log T_p, β = 1, 2, 3:
///
///     0  𝓘_p                 1  (E − μ_p)𝓘_p
///     2  ∂𝓘_p/∂μ_p           3  ∂𝓘_p/∂θ
///     4  (E − μ_p)∂𝓘_p/∂μ_p  5  (E − μ_p)∂𝓘_p/∂θ
///     6–8   ∂𝓘_p/∂U_β          9–11  (E − μ_p)∂𝓘_p/∂U_β
///    12–23  the charge part (as ``CoherentScreeningIntegrand``, shifted by 12)
///    24–26  ν_pα ∂f_p/∂μ_p    27–29  ν_pα ∂f_p/∂θ
///
/// The current components vanish outside the current window, the charge
/// components outside the charge window (both windows' edges are breakpoints).
@frozen
public struct ProbeScreeningIntegrand: VectorIntegrand {
    public var model: ScatteringModel
    public var potentials: SIMD3<Double>
    public var left: FermiDistribution, right: FermiDistribution, probe: FermiDistribution
    public var currentWindow: (lower: Double, upper: Double)
    public var chargeWindow: (lower: Double, upper: Double)

    @inlinable
    public init(model: ScatteringModel, potentials: SIMD3<Double>, left: FermiDistribution,
                right: FermiDistribution, probe: FermiDistribution,
                currentWindow: (lower: Double, upper: Double), chargeWindow: (lower: Double, upper: Double)) {
        self.model = model; self.potentials = potentials
        self.left = left; self.right = right; self.probe = probe
        self.currentWindow = currentWindow; self.chargeWindow = chargeWindow
    }

    @inlinable
    public func callAsFunction(_ e: Double) -> SIMD32<Double> {
        let s = model.screeningSpectrum(energy: e, potentials: potentials)
        let fl = left(e), fr = right(e), fp = probe(e)
        var v = SIMD32<Double>.zero
        if e >= currentWindow.lower && e <= currentWindow.upper {
            let t = s.transmissions
            let leftProbe = FermiValue.difference(fl, fp)
            let rightProbe = FermiValue.difference(fr, fp)
            let energyProbe = e - probe.mu
            let currentProbe = -2 * (t.leftProbe * leftProbe + t.rightProbe * rightProbe)
            let probeCoupling = 2 * (t.leftProbe + t.rightProbe)
            let byMu = probeCoupling * (fp.spread / probe.temperature)
            let byTheta = probeCoupling * (fp.reducedEnergy * fp.spread)
            let gradient = -2 * (s.leftProbeGradient * leftProbe + s.rightProbeGradient * rightProbe)
            v[0] = currentProbe; v[1] = energyProbe * currentProbe
            v[2] = byMu; v[3] = byTheta
            v[4] = energyProbe * byMu; v[5] = energyProbe * byTheta
            v[6] = gradient[0]; v[7] = gradient[1]; v[8] = gradient[2]
            v[9] = energyProbe * gradient[0]; v[10] = energyProbe * gradient[1]; v[11] = energyProbe * gradient[2]
        }
        if e >= chargeWindow.lower && e <= chargeWindow.upper {
            var c = ChargeSpectrum(s, left: left, fl: fl, right: right, fr: fr)
            c.addProbe(s, probe: probe, fp: fp)
            let nu = s.injectivities.probe
            let byMu = nu * (fp.spread / probe.temperature)
            let byTheta = nu * (fp.reducedEnergy * fp.spread)
            for alpha in 0..<3 {
                v[12 + alpha] = c.occupied[alpha]
                v[15 + alpha] = c.occupiedByU1[alpha]
                v[18 + alpha] = c.occupiedByU3[alpha]
                v[21 + alpha] = c.slope[alpha]
                v[24 + alpha] = byMu[alpha]
                v[27 + alpha] = byTheta[alpha]
            }
        }
        return v
    }
}

/// The joint self-consistency problem of one configuration with screening:
/// unknowns x = (μ_p, θ = log T_p, U₁, U₂, U₃) with a probe (λ > 0), or
/// (U₁, U₂, U₃) without; equations I_p = 0, J_p = 0 and the charge
/// conditions F_α(U) = n_α(U) − [Σ_{β≠α} c_αβ (U_α − U_β) + c_αg U_α] = 0.
///
/// The charges are assembled in the form documented on ``ExcessCharges``:
/// n_α = 2(∫_W Σ_j ν_jα f_j − N_α^eq + edge_α(U_α)), with N^eq computed once
/// per solve. The Jacobian is analytic (exact up to the quadrature):
/// - ∂/∂μ_p, ∂/∂θ from ∂f_p (as in ``ProbeSystem``);
/// - ∂n_α/∂U₁, ∂n_α/∂U₃ from the second-order jets ``CurvatureJet``;
/// - ∂n_α/∂U₂ from the gauge identity Σ_β ∂ν/∂U_β = −∂ν/∂E in the frame
///   that moves with the band bottom (where ∂ν/∂U₂ itself is not
///   integrable):
///
///       ∂/∂U₂ ∫_a^b ν f dE = ∫_a^b [−(∂ν/∂U₁ + ∂ν/∂U₃) f + ν ∂f/∂E] dE − [ν f]_a^b;
///
/// - the edge terms' derivatives in closed form (``ExcessCharges/edgeTerms(potentials:)``);
/// - the probe currents' U-gradients from 2 Re(S* ∂S/∂U_β).
/// Residual and Jacobian come from one quadrature pass (plus the two short
/// edge integrals per region). The lead currents are not part of the Newton
/// passes: the solver computes them once at the solution
/// (``DiodeSolver/terminalCurrents(deltaT:configuration:state:)``), so they
/// belong exactly to the reported state.
public struct ScreeningSystem: NewtonSystem {
    public let model: ScatteringModel
    public let hasProbe: Bool
    public let capacitances: Capacitances
    public let left: FermiDistribution
    public let right: FermiDistribution
    /// N_α^eq (one spin).
    public let equilibriumStates: SIMD3<Double>
    /// Per-component quadrature tolerances of the two pass layouts.
    public let coherentTolerance: SIMD16<Double>
    public let probeTolerance: SIMD32<Double>
    public var charges: ExcessCharges
    var coherentQuadrature: AdaptiveQuadrature<SIMD16<Double>>
    var chargeQuadrature: AdaptiveQuadrature<SIMD4<Double>>
    var probeQuadrature: AdaptiveQuadrature<SIMD32<Double>>
    var probeChargeQuadrature: AdaptiveQuadrature<SIMD8<Double>>
    var breakpoints = EnergyBreakpoints()
    var grading = SquareRootGrading()
    var features: [Double] = []
    var scratch: [Double] = []
    /// The final quadrature partition of the last pass that met its
    /// tolerance; the next pass starts from it (warm quadrature: within a
    /// solve U changes little between Newton evaluations). Set it before the
    /// first pass to seed it, e.g. from the neighbouring point of a line;
    /// nil starts from the breakpoints alone.
    public var passPartition: QuadraturePartition?
    /// Whether ``evaluateResidual(at:)`` offers Newton residual-only passes
    /// (chord steps, docs/physics.md §9.4); with a probe only together with
    /// ``splitJacobian``. false gives the plain Newton iteration (the tests'
    /// reference).
    public var chordSteps = true
    /// Whether a full pass is split (docs/physics.md §9.4): F (the charges
    /// and, with a probe, I_p and J_p) to its tolerance with the first-order
    /// injectivities and the transmissions (the residual-only pass of
    /// ``evaluateResidual(at:)``), then ∂F/∂x with the screening spectrum by
    /// the 7-point Gauss rule on the panels that pass ended with
    /// (``AdaptiveQuadrature/integrateOnPanels(_:)``) instead of all 16 (30
    /// with a probe) components adaptively. F is as accurate as before;
    /// ∂F/∂x only steers Newton. false gives the one-pass Jacobian (the
    /// tests' reference).
    public var splitJacobian = true
    /// The tolerance of F in the split passes without a probe (λ = 0),
    /// relative to the one-pass tolerance (``coherentTolerance``): the one
    /// pass also refined its panels for the Jacobian components, which kept
    /// F (hence U) about ten times more accurate than its tolerance; the
    /// charges alone, on partitions handed along a line and coarsened,
    /// drifted to U errors of 2e-10 (Fig. 3, ε3 = 36.6). Half the tolerance
    /// restored ≤ 2e-11 against a tight reference (`SplitJacobianTests`),
    /// but with cold starts seeded from N^eq's partition (issue 16, session
    /// 10) lines drifted to 3.3e-11 again; 0.3 keeps them ≤ 1.8e-11 and cold
    /// solves at a median error of 3.2e-12 (336 configurations), for 0.9 %
    /// more evaluations and no measurable time. The full tolerance saves 1 %.
    static let splitChargeTolerance = 0.3
    /// The same for the probe currents and charges of a split pass with a
    /// probe (``probeTolerance``): half the tolerance, where the cold-start
    /// seeds change little (N^eq's partition covers only the charge window
    /// of those passes).
    static let splitProbeTolerance = 0.5

    public var dimension: Int { hasProbe ? 5 : 3 }
    /// Offset of U₁ in x.
    public var potentialOffset: Int { hasProbe ? 2 : 0 }

    public var maximumStep: SIMD8<Double> {
        let hottest = Swift.max(left.temperature, right.temperature)
        // μ_p: a few lead temperatures; T_p: a factor e^{±1/2}; U: one k_B T.
        return hasProbe ? SIMD8(4 * hottest, 0.5, 1, 1, 1, 0, 0, 0) : SIMD8(1, 1, 1, 0, 0, 0, 0, 0)
    }

    /// - Parameter equilibriumStates: N^eq of ``ExcessCharges/equilibriumStates()``
    ///   for the same device and window (computed once, shared by F and B).
    public init(model: ScatteringModel, capacitances: Capacitances, left: FermiDistribution,
                right: FermiDistribution, equilibriumStates: SIMD3<Double>, settings: SolverSettings) {
        self.model = model
        self.hasProbe = model.lambda > 0
        self.capacitances = capacitances
        self.left = left
        self.right = right
        self.equilibriumStates = equilibriumStates
        let deltaT = left.temperature - right.temperature
        let currents = DiodeSolver.currentTolerance(settings, deltaT: deltaT)
        let derivatives = settings.jacobianRelativeTolerance
        let chargeTolerance = Self.chargeTolerance(settings, deltaT: deltaT)
        var coherent = SIMD16<Double>(repeating: derivatives)
        for i in 0..<3 { coherent[i] = chargeTolerance }
        coherentTolerance = coherent
        var probe = SIMD32<Double>(repeating: derivatives)
        probe[0] = currents; probe[1] = currents
        for i in 12..<15 { probe[i] = chargeTolerance }
        probeTolerance = probe
        self.charges = ExcessCharges(model: model, mu: left.mu, leftTemperature: left.temperature,
                                     rightTemperature: right.temperature, relativeTolerance: chargeTolerance,
                                     maximumEvaluations: settings.maximumEvaluations)
        coherentQuadrature = AdaptiveQuadrature(maximumEvaluations: settings.maximumEvaluations)
        chargeQuadrature = AdaptiveQuadrature(maximumEvaluations: settings.maximumEvaluations)
        probeQuadrature = AdaptiveQuadrature(maximumEvaluations: settings.maximumEvaluations)
        probeChargeQuadrature = AdaptiveQuadrature(maximumEvaluations: settings.maximumEvaluations)
        features.reserveCapacity(128)
        scratch.reserveCapacity(128)
    }

    /// The charge integrals are differences of two O(1) state counts, so
    /// they are integrated 10× tighter than the currents, but not below
    /// 1e-13: round-off near the sharpest Fabry–Pérot states (λ = 0) limits
    /// them to about 1e-13 relative, and a tighter request could never be met.
    public static func chargeTolerance(_ settings: SolverSettings) -> Double {
        Swift.max(0.1 * settings.relativeTolerance, 1e-13)
    }

    /// ``chargeTolerance(_:)`` for ΔT: the charges n_α are O(ΔT) differences
    /// of O(1) state counts, so for |ΔT| < 1 the tolerance shrinks with |ΔT|
    /// (down to the same 1e-13 floor), which keeps U, hence the currents, to
    /// the same relative accuracy as at ΔT = 1 down to |ΔT| ~ 1e-3; below,
    /// the 1e-13 round-off of the charges limits U to ~1e-13 absolute
    /// (docs/physics.md §6). Unchanged for |ΔT| ≥ 1.
    public static func chargeTolerance(_ settings: SolverSettings, deltaT: Double) -> Double {
        Swift.max(0.1 * settings.relativeTolerance * Swift.min(1, abs(deltaT)), 1e-13)
    }

    /// x for an internal state.
    public func unknowns(_ state: InternalState) -> SIMD8<Double> {
        var x = SIMD8<Double>.zero
        if hasProbe { x[0] = state.muP; x[1] = Double.log(state.tP) }
        for alpha in 0..<3 { x[potentialOffset + alpha] = state.u[alpha] }
        return x
    }

    /// The internal state for x.
    public func state(_ x: SIMD8<Double>) -> InternalState {
        let o = potentialOffset
        return InternalState(muP: hasProbe ? x[0] : .nan, tP: hasProbe ? Double.exp(x[1]) : .nan,
                             u: SIMD3(x[o], x[o + 1], x[o + 2]))
    }

    public mutating func evaluate(at x: SIMD8<Double>) -> NewtonEvaluation {
        let o = potentialOffset
        let u = SIMD3(x[o], x[o + 1], x[o + 2])
        let probe = hasProbe ? FermiDistribution(mu: x[0], temperature: Double.exp(x[1])) : left
        guard u[0].isFinite, u[1].isFinite, u[2].isFinite, probe.mu.isFinite, probe.temperature.isFinite,
              probe.temperature > 0 else {
            return NewtonEvaluation(residual: SIMD8(repeating: .nan), residualScale: SIMD8(repeating: 1),
                                    jacobian: SmallMatrix(), observables: SIMD4(repeating: .nan),
                                    observableGradient: SmallMatrix(), integrandEvaluations: 0,
                                    quadratureConverged: false)
        }
        if splitJacobian && !hasProbe {
            // The charges to their tolerance, then ∂F/∂U on the same panels.
            let r = chargePass(potentials: u)
            let integrand = CoherentScreeningIntegrand(model: model, potentials: u, left: left, right: right)
            let jacobian = chargeQuadrature.integrateOnPanels(GradedIntegrand(integrand, grading: grading))
            var c = jacobian.value
            for alpha in 0..<3 { c[alpha] = r.value[alpha] }
            return assemble(potentials: u, probe: probe, chargePart: c,
                            chargeMagnitude: SIMD3(r.magnitude[0], r.magnitude[1], r.magnitude[2]),
                            probePart: .zero, probeScale: SIMD2(1, 1),
                            evaluations: r.evaluations + jacobian.evaluations, converged: r.converged)
        }
        if splitJacobian && hasProbe {
            // The probe currents and the charges to their tolerance, then
            // ∂F/∂x on the same panels.
            let (r, integrand) = probeChargePass(potentials: u, probe: probe)
            let jacobian = probeChargeQuadrature.integrateOnPanels(GradedIntegrand(integrand, grading: grading))
            var p = jacobian.value
            p[0] = r.value[0]; p[1] = r.value[1]
            var c = SIMD16<Double>.zero
            for i in 0..<12 { c[i] = p[12 + i] }
            for alpha in 0..<3 { c[alpha] = r.value[2 + alpha] }
            return assemble(potentials: u, probe: probe, chargePart: c,
                            chargeMagnitude: SIMD3(r.magnitude[2], r.magnitude[3], r.magnitude[4]),
                            probePart: p, probeScale: SIMD2(r.magnitude[0], r.magnitude[1]),
                            evaluations: r.evaluations + jacobian.evaluations, converged: r.converged)
        }
        let chargeWindow = charges.window
        // c: the charge part (occupied, ∂/∂U₁, ∂/∂U₃, ∂f/∂E) at offset `charge`.
        let c: SIMD16<Double>, magnitude: SIMD3<Double>, p: SIMD32<Double>
        let evaluations: Int, converged: Bool
        var probeScale = SIMD2<Double>(1, 1)
        let (lower, upper, currentWindow) = prepareFeatures(potentials: u, probe: probe)
        let roots = SIMD4(u[1], 0, 0, 0)
        let floor = 1e-15
        if hasProbe {
            let integrand = ProbeScreeningIntegrand(model: model, potentials: u, left: left, right: right,
                                                    probe: probe, currentWindow: currentWindow,
                                                    chargeWindow: chargeWindow)
            let r = probeQuadrature.integrateGraded(
                integrand, lower: lower, upper: upper, roots: roots, rootCount: 1, features: features,
                relativeTolerance: probeTolerance, absoluteTolerance: SIMD32(repeating: floor),
                grading: &grading, scratch: &scratch, startingFrom: passPartition)
            passPartition = r.converged ? probeQuadrature.partition : nil
            p = r.value
            var charge = SIMD16<Double>.zero
            for i in 0..<12 { charge[i] = p[12 + i] }
            c = charge
            magnitude = SIMD3(r.magnitude[12], r.magnitude[13], r.magnitude[14])
            probeScale = SIMD2(r.magnitude[0], r.magnitude[1])
            evaluations = r.evaluations; converged = r.converged
        } else {
            let integrand = CoherentScreeningIntegrand(model: model, potentials: u, left: left, right: right)
            let r = coherentQuadrature.integrateGraded(
                integrand, lower: lower, upper: upper, roots: roots, rootCount: 1, features: features,
                relativeTolerance: coherentTolerance, absoluteTolerance: SIMD16(repeating: floor),
                grading: &grading, scratch: &scratch, startingFrom: passPartition)
            passPartition = r.converged ? coherentQuadrature.partition : nil
            c = r.value
            p = .zero
            magnitude = SIMD3(r.magnitude[0], r.magnitude[1], r.magnitude[2])
            evaluations = r.evaluations; converged = r.converged
        }
        return assemble(potentials: u, probe: probe, chargePart: c, chargeMagnitude: magnitude, probePart: p,
                        probeScale: probeScale, evaluations: evaluations, converged: converged)
    }

    /// F and ∂F/∂x from one pass's integrals: the charge part `c` (as
    /// ``CoherentScreeningIntegrand``'s components) with its ∫|g| for the
    /// charges, and with a probe the probe part `p` (as
    /// ``ProbeScreeningIntegrand``'s) with the probe currents' scales;
    /// adds the edge terms and the U₂ column's boundary term. Without
    /// `withJacobian` (a residual-only pass: only the charges in `c` and the
    /// probe currents in `p` are set) F alone, the Jacobian zero.
    mutating func assemble(potentials u: SIMD3<Double>, probe: FermiDistribution, chargePart c: SIMD16<Double>,
                           chargeMagnitude magnitude: SIMD3<Double>, probePart p: SIMD32<Double>,
                           probeScale: SIMD2<Double>, evaluations: Int, converged: Bool,
                           withJacobian: Bool = true) -> NewtonEvaluation {
        let o = potentialOffset
        let chargeWindow = charges.window
        let edges = charges.edgeTerms(potentials: u)
        // [Σ_j ν_jα f_j]_a^b for the U₂ column.
        func occupied(at e: Double) -> SIMD3<Double> {
            let nu = model.injectivities(energy: e, potentials: u)
            var n = nu.left * left(e).occupation + nu.right * right(e).occupation
            if hasProbe { n += nu.probe * probe(e).occupation }
            return n
        }
        let boundary = withJacobian ? occupied(at: chargeWindow.upper) - occupied(at: chargeWindow.lower) : .zero

        var residual = SIMD8<Double>.zero, scale = SIMD8<Double>(repeating: 1)
        var jacobian = SmallMatrix()
        let induced = capacitances.inducedCharges(u)
        for alpha in 0..<3 {
            let row = o + alpha
            residual[row] = 2 * (c[alpha] - equilibriumStates[alpha] + edges.value[alpha]) - induced[alpha]
            scale[row] = Swift.max(2 * magnitude[alpha], 1e-300)
            guard withJacobian else { continue }
            var by1 = 2 * c[3 + alpha], by3 = 2 * c[6 + alpha]
            var by2 = 2 * (c[9 + alpha] - c[3 + alpha] - c[6 + alpha] - boundary[alpha])
            switch alpha {
            case 0: by1 += 2 * edges.derivative[0]
            case 1: by2 += 2 * edges.derivative[1]
            default: by3 += 2 * edges.derivative[2]
            }
            jacobian[row, o] = by1 - capacitances.matrix(alpha, 0)
            jacobian[row, o + 1] = by2 - capacitances.matrix(alpha, 1)
            jacobian[row, o + 2] = by3 - capacitances.matrix(alpha, 2)
            if hasProbe {
                jacobian[row, 0] = 2 * p[24 + alpha]
                jacobian[row, 1] = 2 * p[27 + alpha]
            }
        }
        if hasProbe {
            residual[0] = p[0]; residual[1] = p[1]
            scale[0] = probeScale[0]; scale[1] = probeScale[1]
        }
        if hasProbe && withJacobian {
            // J_p = ∫(E − μ_p)𝓘_p: ∂/∂μ_p also has −I_p.
            jacobian[0, 0] = p[2]; jacobian[0, 1] = p[3]
            jacobian[1, 0] = p[4] - p[0]; jacobian[1, 1] = p[5]
            for beta in 0..<3 {
                jacobian[0, o + beta] = p[6 + beta]
                jacobian[1, o + beta] = p[9 + beta]
            }
        }
        // The lead currents are computed at the solution, not here.
        return NewtonEvaluation(residual: residual, residualScale: scale, jacobian: jacobian,
                                observables: .zero, observableGradient: SmallMatrix(),
                                integrandEvaluations: evaluations + 6 * 21,
                                quadratureConverged: converged && edges.converged)
    }

    /// The union of the charge and (with a probe) current windows, and the
    /// current window; fills `features` with the breakpoints of the device
    /// at U and the windows' edges.
    mutating func prepareFeatures(potentials u: SIMD3<Double>, probe: FermiDistribution)
        -> (lower: Double, upper: Double, currentWindow: (lower: Double, upper: Double)) {
        let chargeWindow = charges.window
        var lower = chargeWindow.lower, upper = chargeWindow.upper
        var currentWindow = chargeWindow
        if hasProbe {
            currentWindow = integrationWindow(mu: left.mu, leftTemperature: left.temperature,
                                              rightTemperature: right.temperature, probe: probe)
            lower = Swift.min(lower, currentWindow.lower)
            upper = Swift.max(upper, currentWindow.upper)
        }
        breakpoints.reset(model: model, potentials: u, leads: [left, right], range: lower...upper)
        breakpoints.update(window: lower, upper, moving: hasProbe ? probe : nil)
        features.removeAll(keepingCapacity: true)
        features.append(contentsOf: breakpoints.points)
        features.append(contentsOf: [currentWindow.lower, currentWindow.upper, chargeWindow.lower, chargeWindow.upper])
        return (lower, upper, currentWindow)
    }

    /// The residual alone, from a pass with the first-order injectivities
    /// (``CoherentChargeIntegrand``; with a probe ``ProbeChargeIntegrand``,
    /// adding I_p, J_p from the transmissions) instead of the screening
    /// spectrum: the same charges F_α(U) = 2(∫_W Σ_j ν_jα f_j − N_α^eq + edge_α) − induced_α
    /// (and probe currents) to the same tolerance as the split full pass's
    /// first quadrature, which it is (its quadrature starts from and hands
    /// on the same partition as the full passes), no Jacobian (zero). nil
    /// with ``chordSteps`` off, and with a probe when ``splitJacobian`` is
    /// off (the one-pass layout, where a residual-only pass with a probe
    /// was measured to save nothing: docs/performance.md): Newton then
    /// always evaluates the full pass.
    public mutating func evaluateResidual(at x: SIMD8<Double>) -> NewtonEvaluation? {
        guard chordSteps else { return nil }
        if hasProbe {
            // The probe currents and charges of a split pass: with the
            // one-pass layout a residual-only pass saved too little (below).
            guard splitJacobian else { return nil }
            let u = SIMD3(x[2], x[3], x[4])
            let probe = FermiDistribution(mu: x[0], temperature: Double.exp(x[1]))
            guard u[0].isFinite, u[1].isFinite, u[2].isFinite, probe.mu.isFinite, probe.temperature.isFinite,
                  probe.temperature > 0 else { return nil }
            let (r, _) = probeChargePass(potentials: u, probe: probe)
            var p = SIMD32<Double>.zero, c = SIMD16<Double>.zero
            p[0] = r.value[0]; p[1] = r.value[1]
            for alpha in 0..<3 { c[alpha] = r.value[2 + alpha] }
            return assemble(potentials: u, probe: probe, chargePart: c,
                            chargeMagnitude: SIMD3(r.magnitude[2], r.magnitude[3], r.magnitude[4]),
                            probePart: p, probeScale: SIMD2(r.magnitude[0], r.magnitude[1]),
                            evaluations: r.evaluations, converged: r.converged, withJacobian: false)
        }
        let u = SIMD3(x[0], x[1], x[2])
        guard u[0].isFinite, u[1].isFinite, u[2].isFinite else { return nil }
        let r = chargePass(potentials: u)
        var c = SIMD16<Double>.zero
        for alpha in 0..<3 { c[alpha] = r.value[alpha] }
        return assemble(potentials: u, probe: left, chargePart: c,
                        chargeMagnitude: SIMD3(r.magnitude[0], r.magnitude[1], r.magnitude[2]),
                        probePart: .zero, probeScale: SIMD2(1, 1),
                        evaluations: r.evaluations, converged: r.converged, withJacobian: false)
    }

    /// The occupied states ∫_W Σ_j ν_jα f_j (components 0–2) without a probe,
    /// to the charges' tolerance, from the first-order injectivities
    /// (``CoherentChargeIntegrand``); starts from and hands on
    /// ``passPartition``, and leaves its panels in `chargeQuadrature` and
    /// its grading in `grading` (for ``AdaptiveQuadrature/integrateOnPanels(_:)``).
    mutating func chargePass(potentials u: SIMD3<Double>) -> QuadratureResult<SIMD4<Double>> {
        let (lower, upper, _) = prepareFeatures(potentials: u, probe: left)
        let integrand = CoherentChargeIntegrand(model: model, potentials: u, left: left, right: right)
        let factor = splitJacobian ? Self.splitChargeTolerance : 1
        var tolerance = SIMD4<Double>(repeating: Swift.max(factor * coherentTolerance[0], 1e-13))
        tolerance[3] = 1
        let r = chargeQuadrature.integrateGraded(
            integrand, lower: lower, upper: upper, roots: SIMD4(u[1], 0, 0, 0), rootCount: 1, features: features,
            relativeTolerance: tolerance, absoluteTolerance: SIMD4(repeating: 1e-15),
            grading: &grading, scratch: &scratch, startingFrom: passPartition)
        passPartition = r.converged ? chargeQuadrature.partition : nil
        return r
    }

    /// The probe currents I_p, J_p and the occupied states (components 0, 1
    /// and 2–4, ``ProbeChargeIntegrand``) to their tolerances × ``splitProbeTolerance``;
    /// starts from and hands on ``passPartition`` and leaves its panels in
    /// `probeChargeQuadrature` (as ``chargePass(potentials:)``). Also
    /// returns the full pass's integrand at the same state (for the Jacobian).
    mutating func probeChargePass(potentials u: SIMD3<Double>, probe: FermiDistribution)
        -> (QuadratureResult<SIMD8<Double>>, full: ProbeScreeningIntegrand) {
        let (lower, upper, currentWindow) = prepareFeatures(potentials: u, probe: probe)
        let full = ProbeScreeningIntegrand(model: model, potentials: u, left: left, right: right, probe: probe,
                                           currentWindow: currentWindow, chargeWindow: charges.window)
        let integrand = ProbeChargeIntegrand(full)
        // Components 0, 1, 2–4 are the one pass's 0, 1, 12–14.
        let one = probeTolerance
        var tolerance = SIMD8<Double>(one[0], one[1], one[12], one[13], one[14], 1, 1, 1)
        for component in 0..<5 {
            tolerance[component] = Swift.max(Self.splitProbeTolerance * tolerance[component], 1e-13)
        }
        let r = probeChargeQuadrature.integrateGraded(
            integrand, lower: lower, upper: upper, roots: SIMD4(u[1], 0, 0, 0), rootCount: 1, features: features,
            relativeTolerance: tolerance, absoluteTolerance: SIMD8(repeating: 1e-15),
            grading: &grading, scratch: &scratch, startingFrom: passPartition)
        passPartition = r.converged ? probeChargeQuadrature.partition : nil
        return (r, full)
    }

    /// The charge residuals F_α(U) = n_α − induced_α at a state (for checks).
    public mutating func chargeResiduals(_ state: InternalState) -> SIMD3<Double> {
        let e = evaluate(at: unknowns(state))
        let o = potentialOffset
        return SIMD3(e.residual[o], e.residual[o + 1], e.residual[o + 2])
    }
}

