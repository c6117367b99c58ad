import RealModule

extension Capacitances {
    /// The right-hand side of Poisson's condition (MODEL.md Eq. 5, physical
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

/// Everything one Newton step of the joint probe–screening problem needs, in
/// one pass over the energy axis (``ScreeningSpectrum`` at every energy).
/// With θ = log T_p and β = 1, 2, 3:
///
///     0  𝓘_L          1  (E − μ)𝓘_L          2  𝓘_p          3  (E − μ_p)𝓘_p
///     4–7   ∂/∂μ_p, ∂/∂θ of 𝓘_p and (E − μ_p)𝓘_p      (as ``ProbeIntegrand``)
///     8–11  ∂/∂μ_p, ∂/∂θ of 𝓘_L and (E − μ)𝓘_L
///    12–14  ∂𝓘_L/∂U_β        15–17  (E − μ)∂𝓘_L/∂U_β
///    18–20  ∂𝓘_p/∂U_β        21–23  (E − μ_p)∂𝓘_p/∂U_β
///    24–26  Σ_j ν_jα f_j                   (the occupied states, per α)
///    27–29  Σ_j ∂ν_jα/∂U₁ f_j   30–32  Σ_j ∂ν_jα/∂U₃ f_j
///    33–35  Σ_j ν_jα ∂f_j/∂E   (the U₂ column, see ``ScreeningSystem``)
///    36–38  ν_pα ∂f_p/∂μ_p      39–41  ν_pα ∂f_p/∂θ
///
/// The current components vanish outside the current window, the charge
/// components outside the charge window (both windows' edges are breakpoints).
@frozen
public struct ScreeningIntegrand: VectorIntegrand {
    public var model: ScatteringModel
    public var potentials: SIMD3<Double>
    public var left: FermiDistribution, right: FermiDistribution, probe: FermiDistribution
    public var hasProbe: Bool
    public var currentWindow: (lower: Double, upper: Double)
    public var chargeWindow: (lower: Double, upper: Double)

    @inlinable
    public init(model: ScatteringModel, potentials: SIMD3<Double>, left: FermiDistribution,
                right: FermiDistribution, probe: FermiDistribution, hasProbe: Bool,
                currentWindow: (lower: Double, upper: Double), chargeWindow: (lower: Double, upper: Double)) {
        self.model = model; self.potentials = potentials
        self.left = left; self.right = right; self.probe = probe; self.hasProbe = hasProbe
        self.currentWindow = currentWindow; self.chargeWindow = chargeWindow
    }

    @inlinable
    public func callAsFunction(_ e: Double) -> SIMD64<Double> {
        let s = model.screeningSpectrum(energy: e, potentials: potentials)
        let fl = left(e), fr = right(e), fp = probe(e)
        var v = SIMD64<Double>.zero
        if e >= currentWindow.lower && e <= currentWindow.upper {
            let t = s.transmissions
            let leftRight = FermiValue.difference(fl, fr)
            let energyLeft = e - left.mu
            let currentLeft = 2 * (t.leftRight * leftRight)
            let gradientLeft = 2 * (s.leftRightGradient * leftRight)
            if hasProbe {
                let leftProbe = FermiValue.difference(fl, fp)
                let rightProbe = FermiValue.difference(fr, fp)
                let energyProbe = e - probe.mu
                let currentLeftTotal = currentLeft + 2 * t.leftProbe * leftProbe
                let currentProbe = -2 * (t.leftProbe * leftProbe + t.rightProbe * rightProbe)
                let dMu = fp.spread / probe.temperature
                let dTheta = fp.reducedEnergy * fp.spread
                let probeCoupling = 2 * (t.leftProbe + t.rightProbe)
                let leftCoupling = -2 * t.leftProbe
                v[0] = currentLeftTotal; v[1] = energyLeft * currentLeftTotal
                v[2] = currentProbe; v[3] = energyProbe * currentProbe
                v[4] = probeCoupling * dMu; v[5] = probeCoupling * dTheta
                v[6] = energyProbe * v[4]; v[7] = energyProbe * v[5]
                v[8] = leftCoupling * dMu; v[9] = leftCoupling * dTheta
                v[10] = energyLeft * v[8]; v[11] = energyLeft * v[9]
                let gradientLeftTotal = gradientLeft + 2 * (s.leftProbeGradient * leftProbe)
                let gradientProbe = -2 * (s.leftProbeGradient * leftProbe + s.rightProbeGradient * rightProbe)
                for beta in 0..<3 {
                    v[12 + beta] = gradientLeftTotal[beta]
                    v[15 + beta] = energyLeft * gradientLeftTotal[beta]
                    v[18 + beta] = gradientProbe[beta]
                    v[21 + beta] = energyProbe * gradientProbe[beta]
                }
            } else {
                v[0] = currentLeft; v[1] = energyLeft * currentLeft
                for beta in 0..<3 {
                    v[12 + beta] = gradientLeft[beta]
                    v[15 + beta] = energyLeft * gradientLeft[beta]
                }
            }
        }
        if e >= chargeWindow.lower && e <= chargeWindow.upper {
            let nu = s.injectivities, by1 = s.injectivitiesByU1, by3 = s.injectivitiesByU3
            let slopeLeft = -fl.spread / left.temperature, slopeRight = -fr.spread / right.temperature
            var occupied = nu.left * fl.occupation + nu.right * fr.occupation
            var occupiedBy1 = by1.left * fl.occupation + by1.right * fr.occupation
            var occupiedBy3 = by3.left * fl.occupation + by3.right * fr.occupation
            var slope = nu.left * slopeLeft + nu.right * slopeRight
            if hasProbe {
                occupied += nu.probe * fp.occupation
                occupiedBy1 += by1.probe * fp.occupation
                occupiedBy3 += by3.probe * fp.occupation
                slope += nu.probe * (-fp.spread / probe.temperature)
                let byMu = nu.probe * (fp.spread / probe.temperature)
                let byTheta = nu.probe * (fp.reducedEnergy * fp.spread)
                for alpha in 0..<3 {
                    v[36 + alpha] = byMu[alpha]
                    v[39 + alpha] = byTheta[alpha]
                }
            }
            for alpha in 0..<3 {
                v[24 + alpha] = occupied[alpha]
                v[27 + alpha] = occupiedBy1[alpha]
                v[30 + alpha] = occupiedBy3[alpha]
                v[33 + alpha] = slope[alpha]
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
/// - the currents' U-gradients from 2 Re(S* ∂S/∂U_β).
/// Residual and Jacobian come from one quadrature pass (plus the two short
/// edge integrals per region).
public struct ScreeningSystem: NewtonSystem {
    public let model: ScatteringModel
    public let hasProbe: Bool
    public let capacitances: Capacitances
    public let left: FermiDistribution
    public let right: FermiDistribution
    /// N_α^eq (one spin).
    public let equilibriumStates: SIMD3<Double>
    public let tolerance: SIMD64<Double>
    public var charges: ExcessCharges
    public var quadrature: AdaptiveQuadrature<SIMD64<Double>>
    var breakpoints = EnergyBreakpoints()
    var grading = SquareRootGrading()
    var features: [Double] = []
    var scratch: [Double] = []

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
        let currents = settings.relativeTolerance, derivatives = settings.jacobianRelativeTolerance
        let chargeTolerance = Self.chargeTolerance(settings)
        var tolerance = SIMD64<Double>(repeating: derivatives)
        for i in 0..<4 { tolerance[i] = currents }
        for i in 24..<27 { tolerance[i] = chargeTolerance }
        self.tolerance = tolerance
        self.charges = ExcessCharges(model: model, mu: left.mu, leftTemperature: left.temperature,
                                     rightTemperature: right.temperature, relativeTolerance: chargeTolerance,
                                     maximumEvaluations: settings.maximumEvaluations)
        self.quadrature = AdaptiveQuadrature(maximumEvaluations: settings.maximumEvaluations)
        features.reserveCapacity(128)
        scratch.reserveCapacity(128)
    }

    /// The charge integrals are differences of two O(1) state counts, so
    /// they are integrated 10× tighter than the currents.
    public static func chargeTolerance(_ settings: SolverSettings) -> Double {
        0.1 * settings.relativeTolerance
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
        let currentWindow = integrationWindow(mu: left.mu, leftTemperature: left.temperature,
                                              rightTemperature: right.temperature,
                                              probe: hasProbe ? probe : nil)
        let chargeWindow = charges.window
        let lower = Swift.min(currentWindow.lower, chargeWindow.lower)
        let upper = Swift.max(currentWindow.upper, chargeWindow.upper)
        breakpoints.reset(model: model, potentials: u, leads: [left, right], range: lower...upper)
        breakpoints.update(window: lower, upper, moving: hasProbe ? probe : nil)
        features.removeAll(keepingCapacity: true)
        features.append(contentsOf: breakpoints.points)
        features.append(contentsOf: [currentWindow.lower, currentWindow.upper, chargeWindow.lower, chargeWindow.upper])
        let integrand = ScreeningIntegrand(model: model, potentials: u, left: left, right: right, probe: probe,
                                           hasProbe: hasProbe, currentWindow: currentWindow,
                                           chargeWindow: chargeWindow)
        let r = quadrature.integrateGraded(integrand, lower: lower, upper: upper, roots: SIMD4(u[1], 0, 0, 0),
                                           rootCount: 1, features: features, relativeTolerance: tolerance,
                                           absoluteTolerance: SIMD64(repeating: 1e-15),
                                           grading: &grading, scratch: &scratch)
        let v = r.value
        let edges = charges.edgeTerms(potentials: u)
        // [Σ_j ν_jα f_j]_a^b for the U₂ column.
        func occupied(at e: Double) -> SIMD3<Double> {
            let nu = model.injectivities(energy: e, potentials: u)
            var n = nu.left * left(e).occupation + nu.right * right(e).occupation
            if hasProbe { n += nu.probe * probe(e).occupation }
            return n
        }
        let boundary = occupied(at: chargeWindow.upper) - occupied(at: chargeWindow.lower)

        var residual = SIMD8<Double>.zero, scale = SIMD8<Double>(repeating: 1)
        var jacobian = SmallMatrix(), gradient = SmallMatrix()
        let induced = capacitances.inducedCharges(u)
        for alpha in 0..<3 {
            let row = o + alpha
            residual[row] = 2 * (v[24 + alpha] - equilibriumStates[alpha] + edges.value[alpha]) - induced[alpha]
            scale[row] = Swift.max(2 * r.magnitude[24 + alpha], 1e-300)
            var by1 = 2 * v[27 + alpha], by3 = 2 * v[30 + alpha]
            var by2 = 2 * (v[33 + alpha] - v[27 + alpha] - v[30 + alpha] - boundary[alpha])
            switch alpha {
            case 0: by1 += 2 * edges.derivative[0]
            case 1: by2 += 2 * edges.derivative[1]
            default: by3 += 2 * edges.derivative[2]
            }
            jacobian[row, o] = by1 - capacitances.matrix(alpha, 0)
            jacobian[row, o + 1] = by2 - capacitances.matrix(alpha, 1)
            jacobian[row, o + 2] = by3 - capacitances.matrix(alpha, 2)
            if hasProbe {
                jacobian[row, 0] = 2 * v[36 + alpha]
                jacobian[row, 1] = 2 * v[39 + alpha]
            }
        }
        if hasProbe {
            residual[0] = v[2]; residual[1] = v[3]
            scale[0] = r.magnitude[2]; scale[1] = r.magnitude[3]
            jacobian[0, 0] = v[4]; jacobian[0, 1] = v[5]
            jacobian[1, 0] = v[6] - v[2]; jacobian[1, 1] = v[7]
            gradient[0, 0] = v[8]; gradient[0, 1] = v[9]
            gradient[1, 0] = v[10]; gradient[1, 1] = v[11]
            for beta in 0..<3 {
                jacobian[0, o + beta] = v[18 + beta]
                jacobian[1, o + beta] = v[21 + beta]
            }
        }
        for beta in 0..<3 {
            gradient[0, o + beta] = v[12 + beta]
            gradient[1, o + beta] = v[15 + beta]
        }
        return NewtonEvaluation(residual: residual, residualScale: scale, jacobian: jacobian,
                                observables: SIMD4(v[0], v[1], 0, 0), observableGradient: gradient,
                                integrandEvaluations: r.evaluations + 3 * 42,
                                quadratureConverged: r.converged && edges.converged)
    }

    /// The charge residuals F_α(U) = n_α − induced_α at a state (for checks).
    public mutating func chargeResiduals(_ state: InternalState) -> SIMD3<Double> {
        let e = evaluate(at: unknowns(state))
        let o = potentialOffset
        return SIMD3(e.residual[o], e.residual[o + 1], e.residual[o + 2])
    }
}
