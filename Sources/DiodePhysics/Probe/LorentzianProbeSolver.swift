// Newton solve of the probe conditions I_p = J_p = 0 on the λ = 1 closed forms.

import RealModule

/// Solves the probe conditions I_p = 0, J_p = 0 (docs/physics.md §0) for (μ_p, T_p) on the
/// closed forms of a ``LorentzianProbeDevice`` (λ = 1, no screening).
///
/// Newton's method in x = (μ_p, θ = log T_p), so T_p stays positive, with the
/// analytic Jacobian ∂(I_p, J_p)/∂(μ_p, θ) = ∂(I_p, J_p)/∂(μ_p, T_p) · diag(1, T_p).
/// A step is capped at |Δθ| ≤ 1 and |Δμ_p| ≤ 10 max(T_L, T_R, T_p) (the
/// direction kept), then halved until the merit
/// (I_p/s_I)² + (J_p/s_J)² decreases, s the current ``LorentzianProbeEvaluation/residualScale``.
/// It stops when ``LorentzianProbeEvaluation/scaledResidual`` ≤ `residualTolerance`,
/// or, at the rounding floor of the closed forms (a full Newton step no
/// longer decreases the merit, or the step is below 1e-14), when the residual
/// is ≤ `floorTolerance`. The cold start is μ_p = μ, T_p = (T_L + T_R)/2.
public struct LorentzianProbeSolver: Sendable {
    /// The device.
    public var device: LorentzianProbeDevice
    /// Convergence: ``LorentzianProbeEvaluation/scaledResidual`` ≤ this.
    public var residualTolerance: Double
    /// At most this many Newton steps.
    public var maximumIterations: Int
    /// Accepted as converged when Newton stagnates at the rounding floor of
    /// the closed forms (typically 1e-15 to 1e-13), far below the 1e-9 of docs/physics.md §0.
    public var floorTolerance: Double

    /// A solver for `device`; the defaults reach the rounding floor of the
    /// closed forms (about 1e-15) in 3–6 steps from a cold start.
    public init(device: LorentzianProbeDevice, residualTolerance: Double = 1e-13, maximumIterations: Int = 50,
                floorTolerance: Double = 1e-10) {
        self.device = device
        self.residualTolerance = residualTolerance
        self.maximumIterations = maximumIterations
        self.floorTolerance = floorTolerance
    }

    /// The infinite-band residual at which Newton moves to the full model.
    static let phaseSwitchResidual = 1e-8
    /// The bound on the band-bottom correction, relative to the flows, up to
    /// which Newton starts on the infinitely deep band.
    static let phaseOneCorrection = 1e-5

    /// Solves from `(muP, tP)` (a warm start from a neighbouring point), or
    /// from the cold start where they are nil.
    public func solve(muP: Double? = nil, tP: Double? = nil) -> LorentzianProbeSolution {
        var mu = muP ?? device.mu
        var theta = Double.log(tP ?? 0.5 * (device.leftTemperature + device.rightTemperature))
        // Phase 1 on the infinitely deep band, unless that is the device or
        // the band bottom moves the solution by more than ~1e-5 (then phase 1
        // would lead a warm start away from the solution).
        var full = device.bandBottom == .infinitelyDeep
        var evaluation = device.evaluate(muP: mu, tP: Double.exp(theta), includingBandBottom: full)
        var evaluations = 1
        if !full {
            let t = Double.exp(theta)
            let widest = max(device.leftTemperature, device.rightTemperature, t)
            if device.correctionBound(muP: mu, tP: t, widest: widest) > Self.phaseOneCorrection * evaluation.residualScale.x {
                full = true
                evaluation = device.evaluate(muP: mu, tP: t, includingBandBottom: true)
                evaluations += 1
            }
        }
        // The closed forms are differences of digamma functions of O(1)
        // magnitude while the probe currents are O(ΔT): their rounding floor,
        // relative to the flows, is ~1e-15/|ΔT| (1e-7 at ΔT = 1e-8), so the
        // floor tolerance follows it for small ΔT (unchanged for |ΔT| ≥ 1e-4).
        let spread = abs(device.leftTemperature - device.rightTemperature)
        let floorTolerance = spread > 0 ? Swift.max(self.floorTolerance, 1e-14 / spread) : self.floorTolerance
        var iterations = 0
        func finish(_ status: LorentzianProbeSolution.Status) -> LorentzianProbeSolution {
            LorentzianProbeSolution(
                muP: mu, tP: Double.exp(theta), evaluation: evaluation, status: status,
                iterations: iterations, evaluations: evaluations)
        }
        while true {
            guard evaluation.isFinite else { return finish(.nonFinite) }
            if !full && evaluation.scaledResidual <= Self.phaseSwitchResidual {
                full = true
                evaluation = device.evaluate(muP: mu, tP: Double.exp(theta), includingBandBottom: true)
                evaluations += 1
                continue
            }
            if full && evaluation.scaledResidual <= residualTolerance { return finish(.converged) }
            guard iterations < maximumIterations else { return finish(.notConverged) }
            iterations += 1

            // Newton step in (μ_p, θ).
            let t = Double.exp(theta)
            let a = evaluation.probeParticleGradient.x, b = evaluation.probeParticleGradient.y * t
            let c = evaluation.probeHeatGradient.x, d = evaluation.probeHeatGradient.y * t
            let determinant = a * d - b * c
            guard determinant.isFinite && determinant != 0 else { return finish(.notConverged) }
            let fI = evaluation.probeParticleCurrent, fJ = evaluation.probeHeatCurrent
            var stepMu = -(d * fI - b * fJ) / determinant
            var stepTheta = -(a * fJ - c * fI) / determinant
            let widest = max(device.leftTemperature, device.rightTemperature, t)
            let cap = min(1, 1 / abs(stepTheta), 10 * widest / abs(stepMu))
            stepMu *= cap
            stepTheta *= cap
            let atFloor = full && evaluation.scaledResidual <= floorTolerance
            if atFloor && abs(stepMu) <= 1e-14 * widest && abs(stepTheta) <= 1e-14 {
                return finish(.converged)
            }

            // Backtracking on the scaled merit function.
            let scale = evaluation.residualScale
            func merit(_ e: LorentzianProbeEvaluation) -> Double {
                let x = scale.x > 0 ? e.probeParticleCurrent / scale.x : e.probeParticleCurrent
                let y = scale.y > 0 ? e.probeHeatCurrent / scale.y : e.probeHeatCurrent
                return x * x + y * y
            }
            let current = merit(evaluation)
            var fraction = 1.0
            var accepted = false
            for _ in 0..<30 {
                let trialMu = mu + fraction * stepMu, trialTheta = theta + fraction * stepTheta
                let trial = device.evaluate(muP: trialMu, tP: Double.exp(trialTheta), includingBandBottom: full)
                evaluations += 1
                if trial.isFinite && merit(trial) < current {
                    mu = trialMu
                    theta = trialTheta
                    evaluation = trial
                    accepted = true
                    break
                }
                // A full step that does not descend at the rounding floor:
                // nothing left to gain.
                if atFloor { return finish(.converged) }
                fraction *= 0.5
            }
            // No decrease along a Newton direction: the residual is at the
            // rounding floor (or the Jacobian is useless). Report honestly.
            if !accepted && !full {
                // Let the full model's own Newton iteration take over.
                full = true
                evaluation = device.evaluate(muP: mu, tP: Double.exp(theta), includingBandBottom: true)
                evaluations += 1
                continue
            }
            guard accepted else { return finish(.notConverged) }
        }
    }
}

/// The outcome of a ``LorentzianProbeSolver`` solve.
public struct LorentzianProbeSolution: Sendable, Hashable {
    /// Converged: residual within tolerance. Not converged: iteration cap,
    /// singular Jacobian or no descent. Non-finite: NaN/∞ met.
    /// The solver's own outcome is the point's status (``SolveStatus``).
    public typealias Status = SolveStatus

    /// μ_p, the last iterate (the solution when converged).
    public var muP: Double
    /// T_p, the last iterate.
    public var tP: Double
    /// The closed-form currents at (μ_p, T_p).
    public var evaluation: LorentzianProbeEvaluation
    /// How the solve ended.
    public var status: Status
    /// Newton steps taken.
    public var iterations: Int
    /// Calls of ``LorentzianProbeDevice/evaluate(muP:tP:)``, including line-search trials.
    public var evaluations: Int

    /// I = I_L, NaN unless converged.
    public var particleCurrent: Double {
        status == .converged ? evaluation.leftParticleCurrent : .nan
    }
    /// J = J_L, NaN unless converged.
    public var heatCurrent: Double {
        status == .converged ? evaluation.leftHeatCurrent : .nan
    }
    /// The scaled residual at the returned state.
    public var residual: Double { evaluation.scaledResidual }
}

extension LorentzianProbeEvaluation {
    /// Every current and derivative is finite.
    var isFinite: Bool {
        let values = SIMD8(probeParticleCurrent, probeHeatCurrent, leftParticleCurrent, leftHeatCurrent,
                           probeParticleGradient.x, probeParticleGradient.y,
                           probeHeatGradient.x, probeHeatGradient.y)
        return (values - values) == .zero   // NaN or ∞ give NaN
    }
}
