import RealModule

/// The particle and heat currents out of each terminal into the device:
/// I_j = ∫ 𝓘_j dE and J_j = ∫ (E − μ_j) 𝓘_j dE, j ∈ {L, R, p}.
@frozen
public struct TerminalCurrents: Sendable, Hashable {
    /// (I_L, I_R, I_p), units k_B T/h.
    public var particle: SIMD3<Double>
    /// (J_L, J_R, J_p), units (k_B T)²/h.
    public var heat: SIMD3<Double>
    /// ∫|𝓘_j| and ∫|(E − μ_j)𝓘_j|: the scales the quadrature tolerance refers to.
    public var particleMagnitude: SIMD3<Double>
    public var heatMagnitude: SIMD3<Double>
    /// Whether the quadrature met its tolerance.
    public var converged: Bool
    /// Integrand evaluations of the quadrature.
    public var evaluations: Int

    @inlinable
    public init(particle: SIMD3<Double>, heat: SIMD3<Double>, particleMagnitude: SIMD3<Double>,
                heatMagnitude: SIMD3<Double>, converged: Bool, evaluations: Int = 0) {
        self.particle = particle; self.heat = heat
        self.particleMagnitude = particleMagnitude; self.heatMagnitude = heatMagnitude
        self.converged = converged
        self.evaluations = evaluations
    }
}

/// The three reservoirs of one configuration. Without a probe (λ = 0) the
/// probe distribution is irrelevant (its transmissions vanish identically).
@frozen
public struct Reservoirs: Sendable, Hashable {
    public var left: FermiDistribution
    public var right: FermiDistribution
    public var probe: FermiDistribution

    @inlinable
    public init(left: FermiDistribution, right: FermiDistribution, probe: FermiDistribution) {
        self.left = left; self.right = right; self.probe = probe
    }

    /// Spectral currents 𝓘_j(E) = 2 Σ_k T_kj(E) [f_j(E) − f_k(E)] (spin factor 2)
    /// for j = L, R, p. Their sum vanishes identically at every energy.
    @inlinable @inline(__always)
    public func spectralCurrents(_ t: TerminalTransmissions, energy e: Double) -> SIMD3<Double> {
        let fl = left(e), fr = right(e), fp = probe(e)
        let leftRight = FermiValue.difference(fl, fr)
        let leftProbe = FermiValue.difference(fl, fp)
        let rightProbe = FermiValue.difference(fr, fp)
        return SIMD3(2 * (t.leftRight * leftRight + t.leftProbe * leftProbe),
                     2 * (-t.leftRight * leftRight + t.rightProbe * rightProbe),
                     -2 * (t.leftProbe * leftProbe + t.rightProbe * rightProbe))
    }
}

/// [𝓘_L, (E − μ)𝓘_L]: the coherent two-terminal case (λ = 0), where nothing
/// is solved.
@frozen
public struct TwoTerminalIntegrand: VectorIntegrand {
    public var model: ScatteringModel
    public var potentials: SIMD3<Double>
    public var left: FermiDistribution
    public var right: FermiDistribution

    @inlinable
    public init(model: ScatteringModel, potentials: SIMD3<Double>, left: FermiDistribution, right: FermiDistribution) {
        self.model = model; self.potentials = potentials; self.left = left; self.right = right
    }

    @inlinable
    public func callAsFunction(_ e: Double) -> SIMD2<Double> {
        let t = model.transmissions(energy: e, potentials: potentials)
        let current = 2 * t.leftRight * FermiValue.difference(left(e), right(e))
        return SIMD2(current, (e - left.mu) * current)
    }
}

/// [𝓘_L, (E − μ)𝓘_L] with a probe: the reported left-lead currents alone
/// (component 0 of ``Reservoirs/spectralCurrents(_:energy:)``, the same
/// arithmetic), for the screening solver's currents at its solution.
@frozen
public struct LeftLeadIntegrand: VectorIntegrand {
    /// The six-current integrand, for its device, state and reservoirs.
    public var all: TerminalCurrentsIntegrand

    @inlinable
    public init(_ all: TerminalCurrentsIntegrand) {
        self.all = all
    }

    @inlinable
    public func callAsFunction(_ e: Double) -> SIMD2<Double> {
        let t = all.model.transmissions(energy: e, potentials: all.potentials)
        let r = all.reservoirs
        let fl = r.left(e), fr = r.right(e), fp = r.probe(e)
        let current = 2 * (t.leftRight * FermiValue.difference(fl, fr) + t.leftProbe * FermiValue.difference(fl, fp))
        return SIMD2(current, (e - r.left.mu) * current)
    }
}

/// All six terminal currents: [I_L, J_L, I_R, J_R, I_p, J_p, 0, 0].
@frozen
public struct TerminalCurrentsIntegrand: VectorIntegrand {
    public var model: ScatteringModel
    public var potentials: SIMD3<Double>
    public var reservoirs: Reservoirs

    @inlinable
    public init(model: ScatteringModel, potentials: SIMD3<Double>, reservoirs: Reservoirs) {
        self.model = model; self.potentials = potentials; self.reservoirs = reservoirs
    }

    @inlinable
    public func callAsFunction(_ e: Double) -> SIMD8<Double> {
        let i = reservoirs.spectralCurrents(model.transmissions(energy: e, potentials: potentials), energy: e)
        return SIMD8(i[0], (e - reservoirs.left.mu) * i[0], i[1], (e - reservoirs.right.mu) * i[1],
                     i[2], (e - reservoirs.probe.mu) * i[2], 0, 0)
    }
}

/// Everything one Newton step of the probe problem needs, in one pass over
/// the energy axis (x = (μ_p, θ = log T_p)):
///
///     0  𝓘_L                 1  (E − μ)𝓘_L
///     2  𝓘_p                 3  (E − μ_p)𝓘_p
///     4  ∂𝓘_p/∂μ_p           5  ∂𝓘_p/∂θ
///     6  (E − μ_p)∂𝓘_p/∂μ_p  7  (E − μ_p)∂𝓘_p/∂θ
///     8  ∂𝓘_L/∂μ_p           9  ∂𝓘_L/∂θ
///    10  (E − μ)∂𝓘_L/∂μ_p   11  (E − μ)∂𝓘_L/∂θ
///
/// with ∂𝓘_p/∂x = 2(T_pL + T_pR)∂f_p/∂x, ∂𝓘_L/∂x = −2T_pL ∂f_p/∂x,
/// ∂f_p/∂μ_p = f_p(1 − f_p)/T_p, ∂f_p/∂θ = y f_p(1 − f_p). (∂J_p/∂μ_p also
/// has the term −I_p from the factor (E − μ_p), added after integration.)
@frozen
public struct ProbeIntegrand: VectorIntegrand {
    public var model: ScatteringModel
    public var potentials: SIMD3<Double>
    public var reservoirs: Reservoirs

    @inlinable
    public init(model: ScatteringModel, potentials: SIMD3<Double>, reservoirs: Reservoirs) {
        self.model = model; self.potentials = potentials; self.reservoirs = reservoirs
    }

    @inlinable
    public func callAsFunction(_ e: Double) -> SIMD16<Double> {
        let t = model.transmissions(energy: e, potentials: potentials)
        let fl = reservoirs.left(e), fr = reservoirs.right(e), fp = reservoirs.probe(e)
        let leftRight = FermiValue.difference(fl, fr)
        let leftProbe = FermiValue.difference(fl, fp)
        let rightProbe = FermiValue.difference(fr, fp)
        let currentLeft = 2 * (t.leftRight * leftRight + t.leftProbe * leftProbe)
        let currentProbe = -2 * (t.leftProbe * leftProbe + t.rightProbe * rightProbe)
        let dMu = fp.spread / reservoirs.probe.temperature
        let dTheta = fp.reducedEnergy * fp.spread
        let probeCoupling = 2 * (t.leftProbe + t.rightProbe)
        let leftCoupling = -2 * t.leftProbe
        let energyLeft = e - reservoirs.left.mu, energyProbe = e - reservoirs.probe.mu
        let probeMu = probeCoupling * dMu, probeTheta = probeCoupling * dTheta
        let leftMu = leftCoupling * dMu, leftTheta = leftCoupling * dTheta
        return SIMD16(currentLeft, energyLeft * currentLeft, currentProbe, energyProbe * currentProbe,
                      probeMu, probeTheta, energyProbe * probeMu, energyProbe * probeTheta,
                      leftMu, leftTheta, energyLeft * leftMu, energyLeft * leftTheta,
                      0, 0, 0, 0)
    }
}

/// The integration window of docs/physics.md §0: [min(μ, μ_p) − 40 T_w, max(μ, μ_p) + 40 T_w],
/// T_w = max(T_L, T_R, T_p) (μ_p, T_p only where there is a probe).
@inlinable
public func integrationWindow(mu: Double, leftTemperature: Double, rightTemperature: Double,
                              probe: FermiDistribution?) -> (lower: Double, upper: Double) {
    let widthTemperature = Swift.max(leftTemperature, rightTemperature, probe?.temperature ?? 0)
    let low = Swift.min(mu, probe?.mu ?? mu), high = Swift.max(mu, probe?.mu ?? mu)
    return (low - windowTemperatures * widthTemperature, high + windowTemperatures * widthTemperature)
}

/// Half-width of the integration window in units of the widest temperature
/// (docs/physics.md §0: the integrands vanish beyond it to within e^-40).
public let windowTemperatures = 40.0

/// The probe conditions I_p = J_p = 0 as a Newton system in x = (μ_p, log T_p).
/// Observables: (I_L, J_L).
public struct ProbeSystem: NewtonSystem {
    public let model: ScatteringModel
    public let potentials: SIMD3<Double>
    public let left: FermiDistribution
    public let right: FermiDistribution
    public let tolerance: SIMD16<Double>
    public var breakpoints: EnergyBreakpoints
    public var quadrature: AdaptiveQuadrature<SIMD16<Double>>
    /// The final quadrature partition of the last pass that met its
    /// tolerance; the next pass starts from it (warm quadrature, as in
    /// ``ScreeningSystem/passPartition``).
    public var passPartition: QuadraturePartition?
    public var dimension: Int { 2 }
    public var maximumStep: SIMD8<Double> {
        // μ_p moves at most a few lead temperatures, T_p at most a factor e^{±1/2}.
        SIMD8(4 * Swift.max(left.temperature, right.temperature), 0.5, 0, 0, 0, 0, 0, 0)
    }

    public init(model: ScatteringModel, potentials: SIMD3<Double>, left: FermiDistribution,
                right: FermiDistribution, settings: SolverSettings) {
        self.model = model
        self.potentials = potentials
        self.left = left
        self.right = right
        let derivatives = settings.jacobianRelativeTolerance
        let currents = DiodeSolver.currentTolerance(settings, deltaT: left.temperature - right.temperature)
        self.tolerance = SIMD16(currents, currents, currents, currents,
                                derivatives, derivatives, derivatives, derivatives,
                                derivatives, derivatives, derivatives, derivatives, 1, 1, 1, 1)
        self.quadrature = AdaptiveQuadrature(maximumEvaluations: settings.maximumEvaluations)
        self.breakpoints = EnergyBreakpoints()
        let hottest = Swift.max(left.temperature, right.temperature)
        let reach = 2 * windowTemperatures * hottest + 20
        breakpoints.reset(model: model, potentials: potentials, leads: [left, right],
                          range: (left.mu - reach)...(left.mu + reach))
    }

    public mutating func evaluate(at x: SIMD8<Double>) -> NewtonEvaluation {
        let probe = FermiDistribution(mu: x[0], temperature: Double.exp(x[1]))
        guard probe.mu.isFinite, probe.temperature.isFinite, probe.temperature > 0 else {
            return NewtonEvaluation(residual: SIMD8(repeating: .nan), residualScale: SIMD8(repeating: 1),
                                    jacobian: SmallMatrix(), observables: SIMD4(repeating: .nan),
                                    observableGradient: SmallMatrix(), integrandEvaluations: 0,
                                    quadratureConverged: false)
        }
        let window = integrationWindow(mu: left.mu, leftTemperature: left.temperature,
                                       rightTemperature: right.temperature, probe: probe)
        breakpoints.update(window: window.lower, window.upper, moving: probe)
        let integrand = ProbeIntegrand(model: model, potentials: potentials,
                                       reservoirs: Reservoirs(left: left, right: right, probe: probe))
        let result = quadrature.integrate(integrand, breakpoints: breakpoints.points, relativeTolerance: tolerance,
                                          startingFrom: passPartition)
        passPartition = result.converged ? quadrature.partition : nil
        let v = result.value
        var jacobian = SmallMatrix()
        jacobian[0, 0] = v[4]; jacobian[0, 1] = v[5]
        jacobian[1, 0] = v[6] - v[2]; jacobian[1, 1] = v[7]
        var gradient = SmallMatrix()
        gradient[0, 0] = v[8]; gradient[0, 1] = v[9]
        gradient[1, 0] = v[10]; gradient[1, 1] = v[11]
        return NewtonEvaluation(
            residual: SIMD8(v[2], v[3], 0, 0, 0, 0, 0, 0),
            residualScale: SIMD8(result.magnitude[2], result.magnitude[3], 1, 1, 1, 1, 1, 1),
            jacobian: jacobian, observables: SIMD4(v[0], v[1], 0, 0), observableGradient: gradient,
            integrandEvaluations: result.evaluations, quadratureConverged: result.converged)
    }
}
